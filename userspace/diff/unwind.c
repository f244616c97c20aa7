// SPDX-License-Identifier: GPL-2.0
/*
 * A build's unwind tables, record by record (the .eh_frame format of the
 * LSB, "Exception Frames"): a length, then a CIE id of 0 or an FDE's
 * distance back to its CIE, then the record.  The fields that name code
 * and data are relocated, so the model reads them as relocations, never
 * as bytes.
 */
#include <capstone/capstone.h>
#include <stdlib.h>
#include <string.h>

#include "diff/unwind.h"

size_t hd_eh_section(const struct obj *o)
{
	size_t i;

	for (i = 1; i < o->nsecs; i++)
		if (o->secs[i].name && !strcmp(o->secs[i].name, ".eh_frame") &&
		    o->secs[i].data)
			return i;
	return 0;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

const struct hd_eh_rec *hd_eh_rec_at(const struct hd_eh_rec *v, size_t n,
				     uint64_t off)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].off == off ? &v[lo] : NULL;
}

int hd_eh_records(const struct dsec *sec, struct hd_eh_rec **v, size_t *n)
{
	uint64_t size = sec->sh.sh_size, off = 0;
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	while (off + 4 <= size) {
		uint32_t len = get32(sec->data + off), id;
		struct hd_eh_rec *r;

		if (!len)
			break;
		if (len == 0xffffffff || len < 4 || len > size - off - 4)
			goto bad;
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			r = realloc(*v, cap * sizeof(*r));
			if (!r)
				goto bad;
			*v = r;
		}
		r = &(*v)[(*n)++];
		id = get32(sec->data + off + 4);
		r->off = off;
		r->size = 4 + (size_t)len;
		r->cie = !id;
		r->cie_off = id ? off + 4 - id : off;
		/* An FDE's CIE comes before it, and is a CIE. */
		if (id) {
			const struct hd_eh_rec *c;

			if (id > off + 4)
				goto bad;
			c = hd_eh_rec_at(*v, *n - 1, r->cie_off);
			if (!c || !c->cie)
				goto bad;
		}
		off += r->size;
	}
	return 0;
bad:
	free(*v);
	*v = NULL;
	*n = 0;
	return -1;
}

const struct hd_eh_rec *hd_eh_fde_of(const struct hd_eh_rec *v, size_t n,
				     uint64_t field)
{
	const struct hd_eh_rec *r = field >= 8 ? hd_eh_rec_at(v, n, field - 8) : NULL;

	return r && !r->cie ? r : NULL;
}

int hd_eh_covers(const struct obj *o, size_t shndx, uint64_t value)
{
	size_t eh = hd_eh_section(o), n, i;
	const struct dsec *sec;
	struct hd_eh_rec *v;
	int found = 0;

	if (!eh)
		return 0;
	sec = &o->secs[eh];
	if (hd_eh_records(sec, &v, &n))
		return -1;
	for (i = 0; i < sec->nrelas && !found; i++) {
		const GElf_Rela *r = &sec->relas[i];
		size_t si = GELF_R_SYM(r->r_info);
		const GElf_Sym *s;

		if (!si || si >= o->nsyms)
			continue;
		s = &o->syms[si].sym;
		found = s->st_shndx == shndx &&
			s->st_value + r->r_addend == value &&
			hd_eh_fde_of(v, n, r->r_offset);
	}
	free(v);
	return found;
}

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
