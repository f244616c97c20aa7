// SPDX-License-Identifier: GPL-2.0
/* Version 2: the function returns 2. */
__attribute__((noinline)) long live_probe(void)
{
	return 2;
}
