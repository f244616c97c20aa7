// SPDX-License-Identifier: GPL-2.0
/*
 * Version 2 changes live_blocker().  A thread parks inside live_blocker()
 * on a futex and never leaves it, so a patch replacing live_blocker() must
 * be refused: deterministically.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

static int live_futex;
int live_release;

__attribute__((noinline)) long live_blocker(long x)
{
	while (!__atomic_load_n(&live_release, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, &live_futex, FUTEX_WAIT, 0, NULL, NULL, 0);
	return x + 2;
}

static void *parker(void *arg)
{
	live_blocker(0);
	return NULL;
}

__attribute__((noinline)) long live_probe(void)
{
	static pthread_t tid;

	if (!tid)
		pthread_create(&tid, NULL, parker, NULL);
	return 1;
}
