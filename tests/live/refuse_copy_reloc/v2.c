// SPDX-License-Identifier: GPL-2.0
/*
 * Version 2 writes to stderr, which the running program holds no copy of:
 * code built for an executable reads it directly (R_X86_64_PC32 to a copy
 * the new link made), and libc's own stderr is out of reach of the patch.
 * hdctl apply must refuse, naming it, and leave the process as it was.
 */
#include <stdio.h>

__attribute__((noinline)) long live_probe(void)
{
	fputs("never printed: this patch is refused\n", stderr);
	return 2;
}
