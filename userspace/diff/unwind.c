// SPDX-License-Identifier: GPL-2.0
/*
 * Which new code an unwinder could have to pass.  An exception travels
 * through the frames of functions that called what threw; a leaf has no
 * callee, and a tail call leaves no frame of its own, so only a function
 * with a call instruction can be in the way.  Programs built without
 * exceptions (C without -fexceptions) use no personality routine and are
 * not checked: pthread_cancel of a C thread in new code works, as glibc
 * runs a C thread's cleanup handlers when the unwinder stops at a frame
 * it has no tables for (tests/live/cancel_in_new_code).
 */
#include <capstone/capstone.h>
#include <string.h>

#include "diff/unwind.h"

/* __gxx_personality_v0 (C++), __gcc_personality_v0 (C, -fexceptions). */
static bool is_personality(const char *name)
{
	size_t n = strlen(name);

	return n > 15 && !strcmp(name + n - 15, "_personality_v0");
}

bool hd_uses_exceptions(struct obj *o)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(o->elf, scn))) {
		Elf_Data *d;
		size_t i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB ||
		    !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (i = 1; d && i < sh.sh_size / sh.sh_entsize; i++) {
			const char *name;
			GElf_Sym s;

			if (!gelf_getsym(d, i, &s))
				continue;
			name = elf_strptr(o->elf, sh.sh_link, s.st_name);
			if (name && is_personality(name))
				return true;
		}
	}
	return false;
}

int hd_func_calls(const struct obj_func *f)
{
	const uint8_t *code = f->code;
	size_t size = f->sym.st_size;
	uint64_t addr = 0;
	int ret = 0;
	cs_insn *insn;
	csh cs;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -1;
	insn = cs_malloc(cs);
	if (!insn) {
		cs_close(&cs);
		return -1;
	}
	/* Past bytes capstone cannot decode (data in code): keep going. */
	while (size && !ret) {
		if (cs_disasm_iter(cs, &code, &size, &addr, insn)) {
			ret = insn->id == X86_INS_CALL;
			continue;
		}
		code++;
		size--;
		addr++;
	}
	cs_free(insn, 1);
	cs_close(&cs);
	return ret;
}
