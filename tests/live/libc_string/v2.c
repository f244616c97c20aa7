// SPDX-License-Identifier: GPL-2.0
/*
 * Version 2 calls into libc (malloc, snprintf, strlen, free, puts) with a
 * string literal that exists only in the patch, and returns the length of
 * what it formatted: "patched 42" is 10 characters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) long live_probe(void)
{
	char *buf = malloc(64);
	long n;

	if (!buf)
		return -1;
	snprintf(buf, 64, "patched %d", 42);
	n = strlen(buf);
	free(buf);
	return n;
}
