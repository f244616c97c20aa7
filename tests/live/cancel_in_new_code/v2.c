// SPDX-License-Identifier: GPL-2.0
/*
 * Version 2 (see v1.c): wait_here() runs new code and sleeps in it.
 *
 * pthread_cancel of a thread inside patched code.  A worker calls
 * wait_here() in a loop, under a cleanup handler.  Version 2's wait_here()
 * says it runs, then sleeps (a cancellation point) in the new code; the
 * main loop then cancels the worker.  glibc unwinds a C thread with the
 * unwinder, which finds no tables for the new code and stops there: glibc
 * then runs the handlers still registered and ends the thread.  Probe
 * values: 1 before the patch, 3 once the worker was cancelled and its
 * handler ran once, 4 if it did not.
 */
#include <pthread.h>
#include <time.h>

static volatile long cleaned;
static volatile long rounds;
volatile int live_in_new;
static pthread_t worker;
static int started, cancelled;

/* noipa: its callers compile the same whatever it does. */
__attribute__((noipa)) void wait_here(void)
{
	struct timespec t = { .tv_sec = 1 };

	rounds++;
	live_in_new = 1;
	nanosleep(&t, NULL);	/* cancelled here, in the new code */
}

static void cleanup(void *arg)
{
	(void)arg;
	cleaned++;
}

static void *work(void *arg)
{
	struct timespec t = { .tv_nsec = 5 * 1000 * 1000 };

	(void)arg;
	pthread_cleanup_push(cleanup, NULL);
	for (;;) {
		wait_here();
		nanosleep(&t, NULL);
	}
	pthread_cleanup_pop(0);
	return NULL;
}

__attribute__((noinline)) long live_probe(void)
{
	if (!started) {
		started = 1;
		pthread_create(&worker, NULL, work, NULL);
	}
	if (live_in_new && !cancelled) {
		cancelled = 1;
		pthread_cancel(worker);
		pthread_join(worker, NULL);
	}
	if (!cancelled)
		return 1;
	return cleaned == 1 ? 3 : 4;
}
