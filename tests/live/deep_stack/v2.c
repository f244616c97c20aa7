// SPDX-License-Identifier: GPL-2.0
/*
 * A thread whose stack is the bottom 1 MiB of one 65 MiB anonymous
 * mapping, the rest of it data, as when the kernel merges a thread's
 * stack with a large malloc() right above it: the mapping holding its
 * stack pointer reaches 64 MiB further than any stack.  The thread
 * sleeps outside the replaced function; the main loop calls
 * live_value() every 20 ms.  Version 2 returns 2.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define STACK	(1UL << 20)
#define DATA	(64UL << 20)

__attribute__((noipa)) long live_value(void)
{
	return 2;
}

static void *sleeper(void *arg)
{
	for (;;)
		pause();
	return NULL;
}

__attribute__((noinline)) long live_probe(void)
{
	static int started;
	pthread_attr_t attr;
	pthread_t tid;
	char *m;

	if (!started) {
		started = 1;
		m = mmap(NULL, STACK + DATA, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			abort();
		memset(m + STACK, 0x5a, DATA);
		pthread_attr_init(&attr);
		pthread_attr_setstack(&attr, m, STACK);
		if (pthread_create(&tid, &attr, sleeper, NULL))
			abort();
	}
	return live_value();
}
