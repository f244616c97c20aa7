// SPDX-License-Identifier: GPL-2.0
/*
 * Version 2 writes through stdout, which the program holds a copy of (an
 * R_X86_64_COPY: live_main uses it): the patch must use that copy, not
 * a fresh, zeroed stdout of its own (a crash in fputs) nor libc's.
 */
#include <stdio.h>

static int said;

__attribute__((noinline)) long live_probe(void)
{
	if (!said++)
		fputs("through the program's stdout\n", stdout);
	return 2;
}
