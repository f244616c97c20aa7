// SPDX-License-Identifier: GPL-2.0
/* Version 3: one more than version 2's helper gives. */
__attribute__((noinline)) long stack_two(void)
{
	return 2;
}

__attribute__((noinline)) long live_probe(void)
{
	return stack_two() + 1;
}
