// SPDX-License-Identifier: GPL-2.0
/*
 * The TLS layout of a live process, as x86-64's glibc makes it (variant
 * II: blocks below the thread pointer).  Nothing is run in the target
 * and nothing guessed: the main program's block is placed by a rule the
 * psABI and the static linker share (its local-exec offsets are fixed at
 * link time), and a library's by what the dynamic linker wrote into the
 * library's own GOT.
 */
#include <errno.h>
#include <gelf.h>
#include <string.h>

#include "apply/tls.h"

static uint64_t round_up(uint64_t v, uint64_t align)
{
	return align > 1 ? (v + align - 1) / align * align : v;
}

static bool pt_tls(Elf *elf, GElf_Phdr *ph)
{
	size_t i, n;

	if (elf_getphdrnum(elf, &n))
		return false;
	for (i = 0; i < n; i++)
		if (gelf_getphdr(elf, i, ph) && ph->p_type == PT_TLS)
			return true;
	return false;
}

/*
 * The main program is module 1, and its block the first below the thread
 * pointer: at round_up(size - firstbyte, align) + firstbyte, where
 * firstbyte is how far the block's start is from being aligned (0 for
 * what linkers write).  The static linker computes local-exec offsets
 * with the same rule.
 */
static void main_program(const GElf_Phdr *ph, struct hd_tls *tls)
{
	uint64_t align = ph->p_align ? ph->p_align : 1;
	uint64_t firstbyte = -ph->p_vaddr & (align - 1);

	tls->module = 1;
	tls->has_offset = true;
	tls->offset = round_up(ph->p_memsz - firstbyte, align) + firstbyte;
}

/*
 * The st_value of .dynsym entry @i (0 for none) in *@value; false when
 * the symbol is another object's: its GOT entry says nothing of @elf's.
 */
static bool own_symbol(Elf *elf, const GElf_Shdr *rsh, size_t i,
		       uint64_t *value)
{
	Elf_Scn *scn = elf_getscn(elf, rsh->sh_link);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	GElf_Sym s;

	*value = 0;
	if (!i)
		return true;
	if (!d || !gelf_getsym(d, i, &s) || s.st_shndx == SHN_UNDEF)
		return false;
	*value = s.st_value;
	return true;
}

/* What the dynamic linker wrote into @obj's GOT for its thread-locals. */
static int library(const struct hd_proc *proc, const struct hd_object *obj,
		   Elf *elf, uint64_t bias, struct hd_tls *tls,
		   struct hd_error *err)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;
		size_t i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA ||
		    !(sh.sh_flags & SHF_ALLOC) || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			uint64_t slot, value;
			uint32_t type;
			GElf_Rela r;
			int ret;

			if (!gelf_getrela(d, i, &r))
				continue;
			type = GELF_R_TYPE(r.r_info);
			if ((type != R_X86_64_DTPMOD64 || tls->module) &&
			    (type != R_X86_64_TPOFF64 || tls->has_offset))
				continue;
			if (!own_symbol(elf, &sh, GELF_R_SYM(r.r_info), &value))
				continue;
			ret = hd_proc_read(proc->pid, bias + r.r_offset, &slot,
					   sizeof(slot));
			if (ret)
				return hd_fail(err, ret, "cannot read the GOT of %s in process %d",
					       obj->name, (int)proc->pid);
			if (type == R_X86_64_DTPMOD64) {
				tls->module = slot;
				continue;
			}
			/* slot = S + A - offset */
			tls->has_offset = true;
			tls->offset = value + r.r_addend - slot;
		}
	}
	return 0;
}

int hd_tls_of(const struct hd_proc *proc, const struct hd_object *obj,
	      struct hd_tls *tls, struct hd_error *err)
{
	GElf_Addr bias;
	GElf_Phdr ph;
	Elf *elf;

	memset(tls, 0, sizeof(*tls));
	elf = dwfl_module_getelf(obj->mod, &bias);
	if (!elf)
		return hd_fail(err, -EIO, "%s: no ELF file", obj->name);
	if (!pt_tls(elf, &ph))
		return -ENOENT;
	if (obj == &proc->obj[0]) {
		main_program(&ph, tls);
		return 0;
	}
	return library(proc, obj, elf, bias, tls, err);
}
