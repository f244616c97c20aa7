// SPDX-License-Identifier: GPL-2.0
/*
 * Version 2 (see v1.c): compares the depth through its new frame.
 *
 * backtrace() through a patched frame, in C.  The probe calls where(),
 * which the patch replaces, and where() calls depth(), which counts the
 * frames backtrace() finds above it.  The unwinder walks from depth()
 * through where() to main only if it has where()'s tables: the patch's
 * own, registered with the process's unwinder.  Version 1 notes the depth
 * and returns 1; version 2 returns 2 when it sees the same depth through
 * its new frame, 4 when the walk stopped there.  The first backtrace()
 * loads libgcc_s, the unwinder the patch registers its tables with.
 */
#include <execinfo.h>

int live_base;	/* global: the patch reads the running one */

__attribute__((noipa)) int depth(void)
{
	void *frames[64];

	return backtrace(frames, 64);
}

__attribute__((noipa)) long where(void)
{
	int d = depth();

	asm volatile("" ::: "memory");	/* no tail call: where keeps a frame */
	return d == live_base ? 2 : 4;
}

__attribute__((noinline)) long live_probe(void)
{
	return where();
}
