// SPDX-License-Identifier: GPL-2.0
/*
 * Version 2 formats a new string literal with libc and returns its length
 * through the same static helper: "v2" is 2.  The global keeps counting
 * in the running process.
 */
#include <stdio.h>

long live_calls;
long live_one = 1;

static __attribute__((noinline)) long scale(long x)
{
	return x * (live_calls > 0);
}

__attribute__((noinline)) long live_probe(void)
{
	char buf[16];

	live_calls++;
	return scale(live_one * snprintf(buf, sizeof(buf), "v%d", 2));
}
