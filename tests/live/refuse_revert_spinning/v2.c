// SPDX-License-Identifier: GPL-2.0
/*
 * Version 2 of live_spinner() flags that it runs, then spins: a thread is
 * always in the patch's new code, so reverting must be refused.
 */
#include <pthread.h>
#include <unistd.h>

int live_release;
int live_spinning;

__attribute__((noinline)) long live_spinner(long x)
{
	__atomic_store_n(&live_spinning, 1, __ATOMIC_RELAXED);
	while (!__atomic_load_n(&live_release, __ATOMIC_RELAXED))
		__builtin_ia32_pause();
	return x + 2;
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
