// SPDX-License-Identifier: GPL-2.0
/*
 * A thread sleeps in pause() with its stack pointer at 0, in no mapping,
 * every signal blocked: nothing can tell where its frames are, so a
 * patch must be refused, not checked against an empty stack.  The main
 * loop calls live_value() every 20 ms.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>

__attribute__((noipa)) long live_value(void)
{
	return 1;
}

static void *lost(void *arg)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	/* Nothing uses the stack from here: pause() never returns. */
	__asm__ volatile("xorl %%esp, %%esp\n\t"
			 "syscall\n\t"
			 "ud2"
			 : : "a"(SYS_pause) : "memory");
	return NULL;
}

__attribute__((noinline)) long live_probe(void)
{
	static pthread_t tid;

	if (!tid)
		pthread_create(&tid, NULL, lost, NULL);
	return live_value();
}
