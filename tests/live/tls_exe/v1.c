// SPDX-License-Identifier: GPL-2.0
/*
 * Thread-locals of the program: tl_le reached local-exec (%fs:offset),
 * tl_ie initial-exec (its offset in a GOT entry).  Version 1 sets tl_ie
 * and returns 1.
 */
__thread long tl_le = 5;
__thread long __attribute__((tls_model("initial-exec"))) tl_ie;

__attribute__((noinline)) long live_probe(void)
{
	tl_ie = 40;
	return tl_le - 4;
}
