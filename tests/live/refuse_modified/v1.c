// SPDX-License-Identifier: GPL-2.0
/*
 * Before main, the program rewrites one byte of live_tail(), which then
 * returns x * 2 (live_probe() returns 2): its text no longer matches its
 * file, as after another tool patched it.  hdctl apply must refuse to
 * patch code that is not what the patch was made for.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((noinline)) long live_tail(long x)
{
	return x * 3;
}

__attribute__((constructor)) static void live_tamper(void)
{
	uintptr_t page = (uintptr_t)live_tail & ~(uintptr_t)4095;
	unsigned char *p = (unsigned char *)live_tail;

	if (mprotect((void *)page, 8192, PROT_READ | PROT_WRITE | PROT_EXEC))
		return;
	/* "lea (%rdi,%rdi,2),%rax" becomes "lea (%rdi,%rdi,1)...": x * 2. */
	if (p[0] == 0x48 && p[1] == 0x8d && p[2] == 0x04 && p[3] == 0x7f)
		p[3] = 0x3f;
	mprotect((void *)page, 8192, PROT_READ | PROT_EXEC);
}

__attribute__((noinline)) long live_probe(void)
{
	return live_tail(1);
}
