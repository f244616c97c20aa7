// SPDX-License-Identifier: GPL-2.0
/* Version 1 calls nothing in libc's string functions. */
__attribute__((noinline)) long live_probe(void)
{
	return 1;
}
