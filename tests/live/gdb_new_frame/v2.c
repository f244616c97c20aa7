// SPDX-License-Identifier: GPL-2.0
/*
 * Version 2 (see v1.c): nap() sleeps for good, in the new code.
 *
 * gdb's backtrace through a patched frame.  A worker thread calls nap()
 * in a loop; version 2's nap() sleeps for good, so the worker stays in
 * the new code.  Given the patch's symbols and unwind tables where apply
 * put them ("hdctl -v apply" prints the add-symbol-file command), gdb's
 * "bt" names the new frame and goes on to worker() and beyond.  Probe
 * values: 1, then 2 once the new code runs.
 */
#include <pthread.h>
#include <time.h>

volatile int live_in_new;
static int started;

__attribute__((noipa)) void nap(void)
{
	struct timespec t = { 1000000, 0 };

	live_in_new = 1;
	nanosleep(&t, NULL);	/* gdb finds the worker here */
	asm volatile("" ::: "memory");
}

static void *worker(void *arg)
{
	(void)arg;
	struct timespec t = { 0, 10 * 1000 * 1000 };

	/* Asleep outside nap(): the patch finds the worker elsewhere. */
	for (;;) {
		nap();
		nanosleep(&t, NULL);
	}
	return NULL;
}

__attribute__((noinline)) long live_probe(void)
{
	pthread_t t;

	if (!started) {
		started = 1;
		pthread_create(&t, NULL, worker, NULL);
	}
	return live_in_new ? 2 : 1;
}
