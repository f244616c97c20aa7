// SPDX-License-Identifier: GPL-2.0
/*
 * Version 2 reads both thread-locals, as the running thread holds them:
 * 2 only if the patch finds each where the program keeps it.
 */
__thread long tl_le = 5;
__thread long __attribute__((tls_model("initial-exec"))) tl_ie;

__attribute__((noinline)) long live_probe(void)
{
	return tl_le + tl_ie - 43;
}
