// SPDX-License-Identifier: GPL-2.0
/*
 * A whole program diffed as linked (-Wl,--emit-relocs).  Version 1 counts
 * its calls in a global and returns live_one (1) through a static helper,
 * which the assembler calls without a relocation.
 */
long live_calls;
long live_one = 1;

static __attribute__((noinline)) long scale(long x)
{
	return x * (live_calls > 0);
}

__attribute__((noinline)) long live_probe(void)
{
	live_calls++;
	return scale(live_one);
}
