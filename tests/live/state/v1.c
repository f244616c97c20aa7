// SPDX-License-Identifier: GPL-2.0
/*
 * State that must survive the patch: a global and a static local, both
 * counting by 1 per call in version 1 and by 1000 in version 2.
 */
long live_calls;

__attribute__((noinline)) long live_probe(void)
{
	static long local;

	local += 1;
	live_calls += 1;
	return live_calls * 10000000 + local;
}
