// SPDX-License-Identifier: GPL-2.0
/*
 * Thread-locals of a shared library, in the three models code of a
 * library uses: tl_gd general dynamic (__tls_get_addr with its own
 * module and offset), tl_ld local dynamic (the module's block, then an
 * offset in it), tl_ie initial-exec (static TLS, its offset in a GOT
 * entry).  Version 1 sets two of them and returns 1.
 */
__thread long tl_gd = 5;
static __thread volatile long tl_ld;	/* read in v2: not folded to 0 */
__thread long __attribute__((tls_model("initial-exec"))) tl_ie;

long live_probe(void)
{
	tl_ld = 7;
	tl_ie = 30;
	return tl_gd - 4;
}
