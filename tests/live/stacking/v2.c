// SPDX-License-Identifier: GPL-2.0
/* Version 2: the function returns 2, through a new helper. */
__attribute__((noinline)) long stack_two(void)
{
	return 2;
}

__attribute__((noinline)) long live_probe(void)
{
	return stack_two();
}
