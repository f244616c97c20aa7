// SPDX-License-Identifier: GPL-2.0
/*
 * live_step() is inlined into its callers: a change to it changes them.
 * A thread sleeps inside live_slow(), one of those callers, for
 * LIVE_SLOW_MS (default 3000) ms, then waits outside it for good; the
 * main loop calls live_slow(0) every 20 ms.  The patch replaces
 * live_slow() though its source did not change, and must wait for it.
 * Version 2's live_step() returns 2.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline __attribute__((always_inline)) long live_step(void)
{
	return 2;
}

__attribute__((noinline)) long live_slow(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
	return live_step();
}

static void *sleeper(void *arg)
{
	const char *ms = getenv("LIVE_SLOW_MS");

	live_slow(ms ? atol(ms) : 3000);
	for (;;)
		pause();
	return NULL;
}

__attribute__((noinline)) long live_probe(void)
{
	static pthread_t tid;

	if (!tid)
		pthread_create(&tid, NULL, sleeper, NULL);
	return live_slow(0);
}
