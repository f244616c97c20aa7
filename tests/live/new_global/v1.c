// SPDX-License-Identifier: GPL-2.0
/* Version 1: the function returns 1. */
__attribute__((noinline)) long live_probe(void)
{
	return 1;
}
