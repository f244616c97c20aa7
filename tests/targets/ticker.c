// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's target: prints one line a second, forever, from a function
 * that the demo's patch replaces.  Built twice, -DTICKER_VERSION=1 and 2;
 * only message() differs.  Argument: the period in ms (default 1000).
 * SIGTERM ends it with exit code 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#ifndef TICKER_VERSION
#define TICKER_VERSION 1
#endif

static volatile sig_atomic_t stop;
/* State that lives in the process and must survive the patch. */
static unsigned long ticks;

__attribute__((noinline)) const char *message(unsigned long n)
{
#if TICKER_VERSION == 1
	return n % 2 ? "tick" : "tock";
#else
	return n % 2 ? "TICK (patched)" : "TOCK (patched)";
#endif
}

static void on_term(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 1000;
	struct timespec period = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	signal(SIGTERM, on_term);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* No TICKER_VERSION here: only message() may differ between builds. */
	printf("ticker: pid %d\n", (int)getpid());
	while (!stop) {
		ticks++;
		printf("[pid %d] %lu: %s\n", (int)getpid(), ticks,
		       message(ticks));
		nanosleep(&period, NULL);
	}
	return 0;
}
