// SPDX-License-Identifier: GPL-2.0
/*
 * Four coroutines (makecontext/swapcontext), two on stacks from malloc(),
 * two on stacks from mmap(); the main loop resumes each once per call of
 * live_probe().  Coroutine 0 is suspended inside live_step() for
 * LIVE_SLOW_MS (default 3000) ms, then returns and its stack is unmapped;
 * the others idle in co_idle() for good.  A suspended coroutine is on no
 * thread's stack: only the memory scan sees live_step()'s frame.
 * Version 2 returns 2.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>

#define NR_CO		4
#define CO_STACK	(64 * 1024)

struct co {
	ucontext_t ctx;
	void *stack;
	int mapped, done;
};

static struct co co[NR_CO];
static ucontext_t sched;
static struct co *cur;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static __attribute__((noipa)) void co_yield(void)
{
	swapcontext(&cur->ctx, &sched);
}

/* Suspended here, between its calls to co_yield(), for @ms. */
__attribute__((noipa)) long live_step(long ms)
{
	long end = now_ms() + ms;

	while (now_ms() < end)
		co_yield();
	return 2;
}

static __attribute__((noipa)) void co_idle(void)
{
	for (;;)
		co_yield();
}

static void co_main(int i)
{
	const char *ms = getenv("LIVE_SLOW_MS");

	if (i == 0)
		live_step(ms ? atol(ms) : 3000);
	else
		co_idle();
	co[i].done = 1;
}

static void co_start(int i)
{
	struct co *c = &co[i];

	c->mapped = i % 2 == 0;
	if (c->mapped)
		c->stack = mmap(NULL, CO_STACK, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else
		c->stack = malloc(CO_STACK);
	if (c->stack == MAP_FAILED || !c->stack)
		abort();
	getcontext(&c->ctx);
	c->ctx.uc_stack.ss_sp = c->stack;
	c->ctx.uc_stack.ss_size = CO_STACK;
	c->ctx.uc_link = &sched;
	makecontext(&c->ctx, (void (*)(void))co_main, 1, i);
}

__attribute__((noinline)) long live_probe(void)
{
	static int started;
	int i;

	if (!started) {
		for (i = 0; i < NR_CO; i++)
			co_start(i);
		started = 1;
	}
	for (i = 0; i < NR_CO; i++) {
		if (!co[i].stack)
			continue;
		cur = &co[i];
		swapcontext(&sched, &co[i].ctx);
		if (co[i].done && co[i].mapped) {
			/*
			 * Released as a library would: its saved context
			 * still holds the return address into live_step()
			 * (co_yield() tail-calls swapcontext()), which the
			 * conservative scan would take for a live frame.
			 */
			munmap(co[i].stack, CO_STACK);
			memset(&co[i], 0, sizeof(co[i]));
		}
	}
	return live_step(0);
}
