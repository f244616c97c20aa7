// SPDX-License-Identifier: GPL-2.0
/* Version 1 uses no library data; live_main uses stdout (a copy). */
__attribute__((noinline)) long live_probe(void)
{
	return 1;
}
