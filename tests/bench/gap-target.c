// SPDX-License-Identifier: GPL-2.0
/*
 * gap-target: the benchmarks' target.  It measures, from inside, how long
 * it was frozen: every thread loops calling bench_fn() and records the
 * largest gap between two consecutive iterations.  bench_fn() and
 * bench_probe() come from a source that tests/bench/gen-target writes, in
 * two versions: the patch is made from them by hdctl diff.
 *
 *   gap-target SPINNERS SLEEPERS [SLEEP_US [HEAP_MIB]]
 *
 * SPINNERS threads call bench_fn() in a tight loop; SLEEPERS threads call
 * it then sleep SLEEP_US (default 2000) per iteration, so a target with
 * many threads need not oversubscribe the CPUs.  The sleepers' wake-ups
 * are spread over SLEEP_US, as those of independent threads would be:
 * started in step, 63 sleepers waking at once on one emulated CPU keep
 * the spinner off it for milliseconds, with nothing applied.  HEAP_MIB
 * (default 0) MiB of heap are allocated and filled with pseudo-random
 * words, resident, as a program's data would be: what the module's
 * memory scan reads inside the stop.  Commands on stdin, one
 * per line, answered on stdout:
 *   reset   forget the gaps seen so far          -> "ok"
 *   gap     the largest gap since reset, in µs   -> "gap MAX_US SPIN_US SLEEP_US"
 *           (worst over all threads, over spinners, over sleepers)
 *   gapin T0 T1  the same over the gaps of at least GAP_EVENT_NS that
 *           overlap [T0, T1] (CLOCK_MONOTONIC ns): the pause that a
 *           patcher active from T0 to T1 made, not the host's hiccups
 *           before or after it                 -> "gapin MAX_US SPIN_US SLEEP_US"
 *   calls   bench_fn() calls so far              -> "calls N"
 *   probe   bench_probe(12345), which calls every generated function, so
 *           it tells which version of each runs -> "probe VALUE"
 *   time N  call bench_fn() N times in a dependent chain from the main
 *           thread                                -> "time NS_PER_CALL"
 *   idle    every worker blocks (in a futex) until "active"  -> "ok"
 *   active  the workers run again                 -> "ok"
 *   quit    exit 0
 * "ready PID" is printed once every thread runs.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench-target.h"

#define MAX_THREADS	4096
#define GAP_EVENTS	512		/* per thread, the most recent */
#define GAP_EVENT_NS	100000ULL	/* gaps worth remembering */

struct gap_event {
	_Atomic uint64_t end_ns;
	_Atomic uint64_t len_ns;
};

struct worker {
	_Atomic uint64_t max_gap_ns;
	_Atomic uint64_t reset_gen;
	_Atomic uint64_t nr_events;	/* written; the ring keeps the last */
	struct gap_event ev[GAP_EVENTS];
	pthread_t tid;
	int sleeper;
	long phase_ns;		/* a sleeper's offset into the nap */
} __attribute__((aligned(64)));

static struct worker workers[MAX_THREADS];
static int nworkers;
static unsigned int sleep_us = 2000;
static _Atomic uint64_t generation;
static _Atomic uint64_t calls;
static _Atomic int running;
static _Atomic int active = 1;
static unsigned long *heap;
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Sleepers start their loop at their own offset into the nap. */
static void stagger(const struct worker *w)
{
	struct timespec off = { 0, w->phase_ns };

	if (w->sleeper && w->phase_ns)
		nanosleep(&off, NULL);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t last, t, gap, x = 0, gen = 0, expect;
	struct timespec nap = { 0, 0 };

	nap.tv_nsec = sleep_us * 1000L;
	/* A sleeper's iteration is meant to take the nap; count the rest. */
	expect = w->sleeper ? nap.tv_nsec : 0;
	atomic_fetch_add(&running, 1);
	stagger(w);
	last = now_ns();
	for (;;) {
		if (!atomic_load_explicit(&active, memory_order_relaxed)) {
			pthread_mutex_lock(&idle_lock);
			while (!atomic_load(&active))
				pthread_cond_wait(&idle_cond, &idle_lock);
			pthread_mutex_unlock(&idle_lock);
			stagger(w);		/* woken together: spread again */
			last = now_ns();	/* idle time is no gap */
		}
		x = bench_fn(x);
		atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
		if (w->sleeper)
			nanosleep(&nap, NULL);
		t = now_ns();
		gap = t - last > expect ? t - last - expect : 0;
		last = t;
		if (atomic_load_explicit(&generation, memory_order_relaxed) != gen) {
			gen = atomic_load(&generation);
			atomic_store(&w->max_gap_ns, 0);
			atomic_store(&w->reset_gen, gen);
			continue;
		}
		if (gap > atomic_load_explicit(&w->max_gap_ns, memory_order_relaxed))
			atomic_store_explicit(&w->max_gap_ns, gap, memory_order_relaxed);
		if (gap >= GAP_EVENT_NS) {
			uint64_t n = atomic_load_explicit(&w->nr_events,
							  memory_order_relaxed);
			struct gap_event *e = &w->ev[n % GAP_EVENTS];

			atomic_store_explicit(&e->end_ns, t, memory_order_relaxed);
			atomic_store_explicit(&e->len_ns, gap, memory_order_relaxed);
			atomic_store_explicit(&w->nr_events, n + 1,
					      memory_order_release);
		}
	}
	return NULL;
}

static void report(void)
{
	uint64_t spin = 0, slp = 0, g;
	int i;

	for (i = 0; i < nworkers; i++) {
		g = atomic_load(&workers[i].max_gap_ns);
		if (workers[i].sleeper && g > slp)
			slp = g;
		if (!workers[i].sleeper && g > spin)
			spin = g;
	}
	printf("gap %lu %lu %lu\n", (unsigned long)((spin > slp ? spin : slp) / 1000),
	       (unsigned long)(spin / 1000), (unsigned long)(slp / 1000));
}

/* The largest remembered gap of @w overlapping [t0, t1]. */
static uint64_t worker_gap_in(struct worker *w, uint64_t t0, uint64_t t1)
{
	uint64_t n = atomic_load_explicit(&w->nr_events, memory_order_acquire);
	uint64_t i, first = n > GAP_EVENTS ? n - GAP_EVENTS : 0, max = 0;

	for (i = first; i < n; i++) {
		uint64_t end = atomic_load(&w->ev[i % GAP_EVENTS].end_ns);
		uint64_t len = atomic_load(&w->ev[i % GAP_EVENTS].len_ns);

		/* The gap is [end - len, end], give or take the nap. */
		if (end >= t0 && end - len <= t1 && len > max)
			max = len;
	}
	return max;
}

static void report_in(uint64_t t0, uint64_t t1)
{
	uint64_t spin = 0, slp = 0, g;
	int i;

	for (i = 0; i < nworkers; i++) {
		g = worker_gap_in(&workers[i], t0, t1);
		if (workers[i].sleeper && g > slp)
			slp = g;
		if (!workers[i].sleeper && g > spin)
			spin = g;
	}
	printf("gapin %lu %lu %lu\n",
	       (unsigned long)((spin > slp ? spin : slp) / 1000),
	       (unsigned long)(spin / 1000), (unsigned long)(slp / 1000));
}

/* The steady-state cost of a call, in the main thread. */
static void time_calls(unsigned long n)
{
	uint64_t t0, t1, x = 1;
	unsigned long i;

	t0 = now_ns();
	for (i = 0; i < n; i++)
		x = bench_fn(x);
	t1 = now_ns();
	/* x keeps the chain alive; it never equals ~0 in practice. */
	printf("time %.3f%s\n", n ? (double)(t1 - t0) / n : 0.0,
	       x == ~0ULL ? " " : "");
}

static void set_active(int on)
{
	pthread_mutex_lock(&idle_lock);
	atomic_store(&active, on);
	pthread_cond_broadcast(&idle_cond);
	pthread_mutex_unlock(&idle_lock);
}

/* Wait until every worker has seen the newest reset (workers must run). */
static void reset(void)
{
	uint64_t gen = atomic_fetch_add(&generation, 1) + 1;
	struct timespec pause = { 0, 1000000 };
	int i;

	for (i = 0; i < nworkers; i++)
		while (atomic_load(&workers[i].reset_gen) < gen)
			nanosleep(&pause, NULL);
}

/*
 * @mib MiB of resident heap, no word of it a return address.  Mapped with
 * an inaccessible page below it, as malloc() does not: the threads'
 * stacks are mapped next, right below, and the kernel would merge the
 * first one with the heap, so that the thread scan alone (--scan
 * threads, measured beside the default) could not bound that stack.
 */
static int fill_heap(unsigned long mib)
{
	size_t i, n = mib * 1048576 / sizeof(*heap);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	char *m;

	if (!n)
		return 0;
	m = mmap(NULL, n * sizeof(*heap) + 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m, 4096, PROT_NONE))
		return -1;
	heap = (unsigned long *)(m + 4096);
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		heap[i] = x;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int spinners, sleepers, i;
	char line[64];

	if (argc < 3) {
		fputs("usage: gap-target SPINNERS SLEEPERS [SLEEP_US [HEAP_MIB]]\n",
		      stderr);
		return 2;
	}
	spinners = atoi(argv[1]);
	sleepers = atoi(argv[2]);
	if (argc > 3)
		sleep_us = atoi(argv[3]);
	nworkers = spinners + sleepers;
	if (spinners < 0 || sleepers < 0 ||
	    nworkers > MAX_THREADS || sleep_us < 1 || sleep_us >= 1000000) {
		fputs("gap-target: bad thread counts or sleep\n", stderr);
		return 2;
	}
	if (fill_heap(argc > 4 ? strtoul(argv[4], NULL, 0) : 0)) {
		fputs("gap-target: no memory for the heap\n", stderr);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < nworkers; i++) {
		workers[i].sleeper = i >= spinners;
		if (workers[i].sleeper)
			workers[i].phase_ns = sleep_us * 1000L * (i - spinners) /
					      sleepers;
		if (pthread_create(&workers[i].tid, NULL, work, &workers[i])) {
			fputs("gap-target: pthread_create failed\n", stderr);
			return 1;
		}
	}
	while (atomic_load(&running) < nworkers)
		usleep(1000);
	printf("ready %d\n", (int)getpid());
	while (fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "reset", 5)) {
			reset();
			puts("ok");
		} else if (!strncmp(line, "gapin ", 6)) {
			unsigned long long t0, t1;

			if (sscanf(line + 6, "%llu %llu", &t0, &t1) == 2)
				report_in(t0, t1);
			else
				puts("gapin ? ? ?");
		} else if (!strncmp(line, "gap", 3)) {
			report();
		} else if (!strncmp(line, "calls", 5)) {
			printf("calls %lu\n", (unsigned long)atomic_load(&calls));
		} else if (!strncmp(line, "probe", 5)) {
			printf("probe %lu\n", (unsigned long)bench_probe(12345));
		} else if (!strncmp(line, "time ", 5)) {
			time_calls(strtoul(line + 5, NULL, 0));
		} else if (!strncmp(line, "idle", 4)) {
			set_active(0);
			puts("ok");
		} else if (!strncmp(line, "active", 6)) {
			set_active(1);
			puts("ok");
		} else if (!strncmp(line, "quit", 4)) {
			break;
		}
	}
	return 0;
}
