// SPDX-License-Identifier: GPL-2.0
/*
 * A thread spins inside live_spinner() and never leaves it, so its
 * instruction pointer is always there: a patch replacing live_spinner()
 * must be refused, with or without --force.
 */
#include <pthread.h>

int live_release;

__attribute__((noinline)) long live_spinner(long x)
{
	while (!__atomic_load_n(&live_release, __ATOMIC_RELAXED))
		__builtin_ia32_pause();
	return x + 1;
}

static void *spinner(void *arg)
{
	live_spinner(0);
	return NULL;
}

__attribute__((noinline)) long live_probe(void)
{
	static pthread_t tid;

	if (!tid)
		pthread_create(&tid, NULL, spinner, NULL);
	return 1;
}
