// SPDX-License-Identifier: GPL-2.0
/*
 * Two coroutines switched by hand, as QEMU's or boost.context's do: a few
 * instructions that save the callee-saved registers on the current stack
 * and load another stack pointer, nothing the C library knows of.
 * Coroutine 0, on a stack from mmap(), is suspended inside live_step()
 * for LIVE_SLOW_MS (default 3000) ms, then returns and its stack is
 * unmapped; coroutine 1, on a stack from malloc(), idles for good.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define NR_CO		2
#define CO_STACK	(64 * 1024)

/*
 * co_switch(&from_sp, to_sp): push rbp, rbx, r12-r15, store the stack
 * pointer in from_sp, load to_sp, pop the same six and return there.
 */
static __attribute__((naked, noinline)) void co_switch(void **from, void *to)
{
	__asm__("pushq %rbp\n\t"
		"pushq %rbx\n\t"
		"pushq %r12\n\t"
		"pushq %r13\n\t"
		"pushq %r14\n\t"
		"pushq %r15\n\t"
		"movq %rsp, (%rdi)\n\t"
		"movq %rsi, %rsp\n\t"
		"popq %r15\n\t"
		"popq %r14\n\t"
		"popq %r13\n\t"
		"popq %r12\n\t"
		"popq %rbx\n\t"
		"popq %rbp\n\t"
		"ret");
}

struct co {
	void *sp;
	void *stack;
	int mapped, done;
};

static struct co co[NR_CO];
static void *sched_sp;
static struct co *cur;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static __attribute__((noipa)) void co_yield(void)
{
	co_switch(&cur->sp, sched_sp);
}

/* Suspended here, between its calls to co_yield(), for @ms. */
__attribute__((noipa)) long live_step(long ms)
{
	long end = now_ms() + ms;

	while (now_ms() < end)
		co_yield();
	return 1;
}

/* Where a new coroutine starts: it never returns, it is switched away. */
static __attribute__((noipa, noreturn)) void co_entry(void)
{
	const char *ms = getenv("LIVE_SLOW_MS");
	struct co *c = cur;

	if (c == &co[0])
		live_step(ms ? atol(ms) : 3000);
	else
		for (;;)
			co_yield();
	c->done = 1;
	for (;;)
		co_yield();
}

static void co_start(int i)
{
	struct co *c = &co[i];
	void **sp;

	c->mapped = i == 0;
	if (c->mapped)
		c->stack = mmap(NULL, CO_STACK, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else
		c->stack = aligned_alloc(16, CO_STACK);
	if (c->stack == MAP_FAILED || !c->stack)
		abort();
	/*
	 * Six zeroed registers, then co_entry as the address co_switch
	 * returns to, leaving the stack as after a call (rsp % 16 == 8).
	 */
	sp = (void **)((char *)c->stack + CO_STACK) - 8;
	sp[6] = (void *)co_entry;
	sp[7] = NULL;
	c->sp = sp;
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
		co_switch(&sched_sp, co[i].sp);
		if (co[i].done && co[i].mapped) {
			munmap(co[i].stack, CO_STACK);
			co[i].stack = NULL;
		}
	}
	return live_step(0);
}
