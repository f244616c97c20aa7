// SPDX-License-Identifier: GPL-2.0
/*
 * The main loop shared by every live-patch case: call live_probe() every
 * 20 ms, print "value N" whenever the result changes, end with status 0 on
 * SIGTERM.  Unchanged between versions, so it is never in a patch.
 */
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

long live_probe(void);

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

int main(void)
{
	struct timespec period = { .tv_nsec = 20 * 1000 * 1000 };
	long last = 0, v;
	int first = 1;

	signal(SIGTERM, on_term);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready %d\n", (int)getpid());
	while (!stop) {
		v = live_probe();
		if (first || v != last)
			printf("value %ld\n", v);
		first = 0;
		last = v;
		nanosleep(&period, NULL);
	}
	return 0;
}
