// SPDX-License-Identifier: GPL-2.0
/*
 * A thread sleeps inside live_slow() for LIVE_SLOW_MS (default 3000) ms,
 * once, then waits outside it for good; the main loop calls live_slow(0)
 * every 20 ms.  A patch replacing live_slow() cannot apply while the
 * thread is in it, and can once it has returned: hdctl apply --wait.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) long live_slow(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
	return 1;
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
