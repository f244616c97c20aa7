// SPDX-License-Identifier: GPL-2.0
/*
 * A thread calls live_spinner() in a loop; version 1 returns at once.
 * Version 2 spins in it once entered, so after the patch a thread is
 * always in the new code: reverting must be refused, and --force must
 * restore the function and keep the new code mapped.
 */
#include <pthread.h>
#include <unistd.h>

int live_release;
int live_spinning;

__attribute__((noinline)) long live_spinner(long x)
{
	if (__atomic_load_n(&live_release, __ATOMIC_RELAXED))
		return x;
	return x + 1;
}

static void *spinner(void *arg)
{
	long x = 0;

	for (;;) {
		x = live_spinner(x);
		usleep(1000);
	}
	return NULL;
}

__attribute__((noinline)) long live_probe(void)
{
	static pthread_t tid;

	if (!tid)
		pthread_create(&tid, NULL, spinner, NULL);
	return 1 + __atomic_load_n(&live_spinning, __ATOMIC_RELAXED);
}
