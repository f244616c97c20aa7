// SPDX-License-Identifier: GPL-2.0
/* Version 3: the function returns 3. */
__attribute__((noinline)) long live_probe(void)
{
	return 3;
}
