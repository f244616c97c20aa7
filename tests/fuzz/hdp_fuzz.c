// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the .hdp reader: any input either parses into
 * a file whose every table entry can be printed, or is refused with a
 * message; it never crashes, leaks or reads out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "format/hdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hdp_file f;
	struct hd_error err = { 0 };
	size_t i, n = 0;

	if (hdp_parse(data, size, &f, &err)) {
		/* A refusal always says why. */
		if (!err.msg[0])
			__builtin_trap();
		return 0;
	}
	/* Walk what info would print. */
	for (i = 0; i < f.nfuncs; i++) {
		GElf_Sym s;

		n += strlen(hdp_str(&f, f.funcs[i].old_name));
		if (hdp_get_sym(&f, f.funcs[i].sym, &s))
			__builtin_trap();
	}
	for (i = 0; i < f.nsyms; i++)
		n += strlen(hdp_sym_name(&f, f.syms[i].sym));
	n += strlen(f.target);
	hdp_release(&f);
	return n == (size_t)-1;
}
