// SPDX-License-Identifier: GPL-2.0
/* Version 2 reads all three: 2 only if each is found where it lives. */
__thread long tl_gd = 5;
static __thread volatile long tl_ld;	/* read in v2: not folded to 0 */
__thread long __attribute__((tls_model("initial-exec"))) tl_ie;

long live_probe(void)
{
	return tl_gd + tl_ld + tl_ie - 40;
}
