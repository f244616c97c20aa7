// SPDX-License-Identifier: GPL-2.0
/*
 * A thread is inside live_outer(), waiting in live_wait(), when a signal
 * arrives; its handler runs on an alternate signal stack (sigaltstack)
 * and sleeps there LIVE_SLOW_MS (default 3000) ms.  Meanwhile the only
 * trace of live_outer() is a return address on the thread's normal
 * stack, which is not the stack it runs on: a patch replacing
 * live_outer() must not apply until the handler has returned and
 * live_outer() with it.  The main loop calls live_outer(0) every 20 ms.
 * Version 2 returns 2.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile int waiting, handled;

static void on_usr1(int sig)
{
	const char *ms = getenv("LIVE_SLOW_MS");
	long n = ms ? atol(ms) : 3000;
	struct timespec ts = { n / 1000, (n % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
	handled = 1;
}

/* Not inlined: the interrupted IP is here, the replaced frame above. */
__attribute__((noipa)) void live_wait(void)
{
	waiting = 1;
	while (!handled)
		;
}

__attribute__((noipa)) long live_outer(int wait)
{
	if (wait)
		live_wait();
	return 2;
}

static void *waiter(void *arg)
{
	static char alt[64 * 1024];
	stack_t ss = { .ss_sp = alt, .ss_size = sizeof(alt) };
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_ONSTACK };

	sigaltstack(&ss, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	live_outer(1);
	for (;;)
		pause();
	return NULL;
}

__attribute__((noinline)) long live_probe(void)
{
	static pthread_t tid;

	if (!tid) {
		pthread_create(&tid, NULL, waiter, NULL);
		while (!waiting)
			;
		pthread_kill(tid, SIGUSR1);
	}
	return live_outer(0);
}
