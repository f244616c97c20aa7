// SPDX-License-Identifier: GPL-2.0
/*
 * Version 2 calls strstr(), a glibc ifunc that neither this program nor
 * glibc itself calls through a GOT slot, so no slot in the process holds
 * what its resolver chose: hdctl apply must refuse, naming it.
 */
#include <string.h>

static const char *volatile live_needle = "b";

__attribute__((noinline)) long live_probe(void)
{
	return strstr("abc", live_needle) ? 2 : 0;
}
