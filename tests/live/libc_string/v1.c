// SPDX-License-Identifier: GPL-2.0
/* Version 1 returns a constant. */
__attribute__((noinline)) long live_probe(void)
{
	return 1;
}
