// SPDX-License-Identifier: GPL-2.0
/*
 * Version 2 (see v1.c): wait_here() sleeps in new code, holding an
 * object with a destructor.
 *
 * C++ (built with g++): pthread_cancel of a thread inside patched code.
 * A worker calls wait_here() in a loop.  Version 2's wait_here() holds an
 * object whose destructor counts, says it runs, and sleeps (a
 * cancellation point) in the new code; the probe then cancels the
 * worker.  The cancellation unwinds the worker's stack like an
 * exception: the destructor in the new frame runs only if the unwinder
 * can pass that frame.  Probe values: 1 before the patch, 3 once the
 * worker was cancelled and the destructor ran once, 4 if it did not.
 */
#include <pthread.h>
#include <time.h>

static volatile long destroyed;
volatile int live_in_new;
static pthread_t worker;
static int started, cancelled;

/* Counts only in version 2's frame; version 1 has one too (its tables). */
struct counted {
	~counted()
	{
		if (live_in_new)
			destroyed = destroyed + 1;
	}
};

__attribute__((noipa)) void wait_here(void)
{
	struct timespec t = { 1, 0 };
	counted c;

	live_in_new = 1;
	nanosleep(&t, NULL);	/* cancelled here, in the new code */
}

static void *work(void *)
{
	struct timespec t = { 0, 5 * 1000 * 1000 };

	for (;;) {
		wait_here();
		nanosleep(&t, NULL);
	}
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
	return destroyed == 1 ? 3 : 4;
}
