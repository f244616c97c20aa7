// SPDX-License-Identifier: GPL-2.0
/*
 * The strict .hdp reader.  A patch file comes from elsewhere and steers
 * what is written into a live process, so nothing in it is trusted:
 * every index, offset, size, count and string is checked against what
 * contains it before use, and the first violation is reported by name.
 */
#include <errno.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/hdp.h"
#include "elf/reloc.h"

struct ctx {
	Elf *elf;
	size_t len;
	size_t shnum;
	struct hd_error *err;
};

static int __attribute__((format(printf, 2, 3))) bad(struct ctx *c,
						     const char *fmt, ...)
{
	va_list ap;

	if (!c->err)
		return -1;
	c->err->code = -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

uint64_t hdp_hash(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int check_sections(struct ctx *c, size_t *symtab)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	*symtab = 0;
	while ((scn = elf_nextscn(c->elf, scn))) {
		size_t i = elf_ndxscn(scn);

		if (!gelf_getshdr(scn, &sh))
			return bad(c, "section %zu: unreadable header", i);
		if (sh.sh_type != SHT_NOBITS &&
		    (sh.sh_offset > c->len || sh.sh_size > c->len - sh.sh_offset))
			return bad(c, "section %zu: extends past the end of the file", i);
		if (sh.sh_link >= c->shnum)
			return bad(c, "section %zu: link %u out of range", i,
				   sh.sh_link);
		if (sh.sh_type == SHT_SYMTAB) {
			if (*symtab)
				return bad(c, "more than one symbol table");
			*symtab = i;
		}
	}
	if (!*symtab)
		return bad(c, "no symbol table");
	return 0;
}

/* Copy a section of fixed-size records, checking its geometry. */
static int get_table(struct ctx *c, const char *name, size_t entsize,
		     void **out, size_t *n)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	Elf_Data *d;
	GElf_Shdr sh;

	*out = NULL;
	*n = 0;
	if (elf_getshdrstrndx(c->elf, &shstrndx))
		return bad(c, "no section name table");
	while ((scn = elf_nextscn(c->elf, scn))) {
		const char *s;

		if (!gelf_getshdr(scn, &sh))
			continue;
		s = elf_strptr(c->elf, shstrndx, sh.sh_name);
		if (s && !strcmp(s, name))
			break;
	}
	if (!scn)
		return 0;
	if (sh.sh_type != SHT_PROGBITS || sh.sh_entsize != entsize ||
	    sh.sh_size % entsize)
		return bad(c, "%s: not a table of %zu-byte entries", name,
			   entsize);
	d = elf_getdata(scn, NULL);
	if (!d || d->d_size != sh.sh_size)
		return bad(c, "%s: unreadable", name);
	if (!d->d_size)
		return 0;
	/* Copied: the file gives no alignment guarantee. */
	*out = malloc(d->d_size);
	if (!*out)
		return bad(c, "out of memory");
	memcpy(*out, d->d_buf, d->d_size);
	*n = d->d_size / entsize;
	return 0;
}

static int check_notes(struct ctx *c, struct hdp_file *f)
{
	Elf_Scn *scn = NULL;
	bool have_version = false;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(c->elf, &shstrndx))
		return bad(c, "no section name table");
	while ((scn = elf_nextscn(c->elf, scn))) {
		const char *s;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		s = elf_strptr(c->elf, shstrndx, sh.sh_name);
		if (!s || strcmp(s, HDP_NOTE_SECTION))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			return bad(c, "%s: unreadable", HDP_NOTE_SECTION);
		while (off < d->d_size) {
			const char *desc;

			off = gelf_getnote(d, off, &nh, &noff, &doff);
			if (!off)
				return bad(c, "%s: malformed note", HDP_NOTE_SECTION);
			if (nh.n_namesz != sizeof(HDP_NOTE_OWNER) ||
			    memcmp((const char *)d->d_buf + noff, HDP_NOTE_OWNER,
				   sizeof(HDP_NOTE_OWNER)))
				continue;
			desc = (const char *)d->d_buf + doff;
			switch (nh.n_type) {
			case HDP_NT_VERSION:
				if (nh.n_descsz != 4)
					return bad(c, "version note of %u bytes",
						   nh.n_descsz);
				memcpy(&f->version, desc, 4);
				have_version = true;
				break;
			case HDP_NT_BUILD_ID:
				if (!nh.n_descsz || nh.n_descsz > HD_BUILD_ID_MAX)
					return bad(c, "build-id note of %u bytes",
						   nh.n_descsz);
				memcpy(f->build_id, desc, nh.n_descsz);
				f->build_id_len = nh.n_descsz;
				break;
			case HDP_NT_TARGET:
				if (nh.n_descsz < 2 || desc[nh.n_descsz - 1] ||
				    strlen(desc) != nh.n_descsz - 1)
					return bad(c, "target note is not one string");
				f->target = desc;
				break;
			default:
				return bad(c, "unknown note type %u", nh.n_type);
			}
		}
	}
	if (!have_version)
		return bad(c, "not a .hdp: no %s version note", HDP_NOTE_SECTION);
	if (f->version != HDP_VERSION)
		return bad(c, "format version %u; this hdctl reads %u",
			   f->version, HDP_VERSION);
	if (!f->build_id_len || !f->target)
		return bad(c, "target build-id or path missing");
	return 0;
}

static int get_sym(struct ctx *c, Elf_Data *d, size_t n, size_t i,
		   GElf_Sym *s)
{
	if (i >= n || !gelf_getsym(d, i, s))
		return bad(c, "symbol %zu out of range", i);
	return 0;
}

static int check_symtab(struct ctx *c, size_t symtab, struct hdp_file *f,
			Elf_Data **symdata)
{
	Elf_Scn *scn = elf_getscn(c->elf, symtab), *str;
	GElf_Shdr sh, ssh;
	Elf_Data *sd;
	size_t i;

	if (!gelf_getshdr(scn, &sh) || sh.sh_entsize != sizeof(Elf64_Sym) ||
	    sh.sh_size % sizeof(Elf64_Sym) || !sh.sh_size)
		return bad(c, "symbol table: bad geometry");
	str = elf_getscn(c->elf, sh.sh_link);
	sd = str ? elf_getdata(str, NULL) : NULL;
	if (!sd || !gelf_getshdr(str, &ssh) || ssh.sh_type != SHT_STRTAB ||
	    !sd->d_size ||
	    ((const char *)sd->d_buf)[sd->d_size - 1])
		return bad(c, "symbol table: bad string table");
	*symdata = elf_getdata(scn, NULL);
	if (!*symdata || (*symdata)->d_size != sh.sh_size)
		return bad(c, "symbol table: unreadable");
	f->nsymtab = sh.sh_size / sizeof(Elf64_Sym);
	for (i = 1; i < f->nsymtab; i++) {
		GElf_Sym s;
		Elf_Scn *in;
		GElf_Shdr ish;

		if (get_sym(c, *symdata, f->nsymtab, i, &s))
			return -1;
		if (s.st_name >= sd->d_size)
			return bad(c, "symbol %zu: name out of range", i);
		if (s.st_shndx == SHN_UNDEF || s.st_shndx == SHN_ABS)
			continue;
		in = s.st_shndx < c->shnum ? elf_getscn(c->elf, s.st_shndx) :
					     NULL;
		if (!in || !gelf_getshdr(in, &ish))
			return bad(c, "symbol %s: section %u out of range",
				   hdp_sym_name(f, i), s.st_shndx);
		if (s.st_value > ish.sh_size || s.st_size > ish.sh_size - s.st_value)
			return bad(c, "symbol %s: outside its section",
				   hdp_sym_name(f, i));
	}
	return 0;
}

static int check_funcs(struct ctx *c, struct hdp_file *f, Elf_Data *symdata)
{
	size_t i;

	for (i = 0; i < f->nfuncs; i++) {
		const struct hdp_func *fn = &f->funcs[i];
		Elf_Scn *scn;
		GElf_Shdr sh;
		GElf_Sym s;

		if (get_sym(c, symdata, f->nsymtab, fn->sym, &s))
			return -1;
		if (fn->flags & ~HDP_FUNC_FLAGS || fn->reserved)
			return bad(c, "function %zu: unknown flags", i);
		if (!hdp_str(f, fn->old_name))
			return bad(c, "function %zu: name out of range", i);
		scn = s.st_shndx != SHN_UNDEF && s.st_shndx < c->shnum ?
		      elf_getscn(c->elf, s.st_shndx) : NULL;
		if (GELF_ST_TYPE(s.st_info) != STT_FUNC || !scn ||
		    !gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_EXECINSTR))
			return bad(c, "function %s: new code is not a defined function",
				   hdp_str(f, fn->old_name));
		if (!(fn->flags & HDP_FUNC_NEW) && fn->old_size < 5)
			return bad(c, "function %s: %llu bytes, too short to redirect",
				   hdp_str(f, fn->old_name),
				   (unsigned long long)fn->old_size);
	}
	return 0;
}

static int check_syms(struct ctx *c, struct hdp_file *f, Elf_Data *symdata)
{
	uint8_t *seen;
	size_t i;
	int ret = -1;

	seen = calloc(f->nsymtab, 1);
	if (!seen)
		return bad(c, "out of memory");
	for (i = 0; i < f->nsyms; i++) {
		const struct hdp_sym *hs = &f->syms[i];
		GElf_Sym s;

		if (get_sym(c, symdata, f->nsymtab, hs->sym, &s))
			goto out;
		if (!hs->sym || s.st_shndx != SHN_UNDEF || seen[hs->sym]) {
			bad(c, "symbol %s: resolution entry for a defined or repeated symbol",
			    hdp_sym_name(f, hs->sym));
			goto out;
		}
		if (hs->kind != HDP_SYM_TARGET && hs->kind != HDP_SYM_SHLIB &&
		    hs->kind != HDP_SYM_TLS) {
			bad(c, "symbol %s: unknown kind %u",
			    hdp_sym_name(f, hs->sym), hs->kind);
			goto out;
		}
		seen[hs->sym] = 1;
	}
	for (i = 1; i < f->nsymtab; i++) {
		GElf_Sym s;

		if (get_sym(c, symdata, f->nsymtab, i, &s))
			goto out;
		if (s.st_shndx == SHN_UNDEF && !seen[i]) {
			bad(c, "symbol %s: undefined, with no resolution",
			    hdp_sym_name(f, i));
			goto out;
		}
	}
	ret = 0;
out:
	free(seen);
	return ret;
}

static int check_relas(struct ctx *c, struct hdp_file *f, size_t symtab,
		       Elf_Data *symdata)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh, tsh;

	while ((scn = elf_nextscn(c->elf, scn))) {
		Elf_Scn *to;
		Elf_Data *d;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh))
			return bad(c, "unreadable section header");
		if (sh.sh_type == SHT_REL)
			return bad(c, "SHT_REL section: only RELA is used");
		if (sh.sh_type != SHT_RELA)
			continue;
		to = sh.sh_info && sh.sh_info < c->shnum ?
		     elf_getscn(c->elf, sh.sh_info) : NULL;
		if (sh.sh_entsize != sizeof(Elf64_Rela) ||
		    sh.sh_size % sizeof(Elf64_Rela) || sh.sh_link != symtab ||
		    !to || !gelf_getshdr(to, &tsh) || tsh.sh_type != SHT_PROGBITS)
			return bad(c, "relocation section %zu: bad geometry",
				   elf_ndxscn(scn));
		d = elf_getdata(scn, NULL);
		if (!d || d->d_size != sh.sh_size)
			return bad(c, "relocation section %zu: unreadable",
				   elf_ndxscn(scn));
		n = sh.sh_size / sizeof(Elf64_Rela);
		for (i = 0; i < n; i++) {
			GElf_Rela r;
			unsigned int w;

			if (!gelf_getrela(d, i, &r))
				return bad(c, "relocation %zu unreadable", i);
			w = hd_reloc_width(GELF_R_TYPE(r.r_info));
			if (!GELF_R_SYM(r.r_info) ||
			    GELF_R_SYM(r.r_info) >= f->nsymtab)
				return bad(c, "relocation %zu: symbol out of range", i);
			if (!w || r.r_offset > tsh.sh_size ||
			    w > tsh.sh_size - r.r_offset)
				return bad(c,
					   "relocation %zu against %s: type %u at %#llx not valid",
					   i, hdp_sym_name(f, GELF_R_SYM(r.r_info)),
					   (unsigned int)GELF_R_TYPE(r.r_info),
					   (unsigned long long)r.r_offset);
		}
		f->nrelocs += n;
	}
	(void)symdata;
	return 0;
}

int hdp_parse(const void *buf, size_t len, struct hdp_file *f,
	      struct hd_error *err)
{
	struct ctx c = { .len = len, .err = err };
	Elf_Data *symdata = NULL;
	size_t symtab;
	GElf_Ehdr eh;
	void *tab;

	memset(f, 0, sizeof(*f));
	elf_version(EV_CURRENT);
	/* libelf is handed a copy it may own; the caller keeps @buf. */
	c.elf = elf_memory((char *)buf, len);
	f->elf = c.elf;
	if (!c.elf || elf_kind(c.elf) != ELF_K_ELF || !gelf_getehdr(c.elf, &eh)) {
		bad(&c, "not an ELF file");
		goto fail;
	}
	if (gelf_getclass(c.elf) != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_type != ET_REL ||
	    eh.e_machine != EM_X86_64) {
		bad(&c, "not an x86-64 relocatable object");
		goto fail;
	}
	if (elf_getshdrnum(c.elf, &c.shnum)) {
		bad(&c, "unreadable section headers");
		goto fail;
	}
	if (check_sections(&c, &symtab) || check_notes(&c, f) ||
	    check_symtab(&c, symtab, f, &symdata))
		goto fail;
	if (get_table(&c, HDP_FUNCS_SECTION, sizeof(struct hdp_func), &tab,
		      &f->nfuncs))
		goto fail;
	f->funcs = tab;
	if (get_table(&c, HDP_SYMS_SECTION, sizeof(struct hdp_sym), &tab,
		      &f->nsyms))
		goto fail;
	f->syms = tab;
	if (!f->nfuncs) {
		bad(&c, "no functions");
		goto fail;
	}
	if (check_funcs(&c, f, symdata) || check_syms(&c, f, symdata) ||
	    check_relas(&c, f, symtab, symdata))
		goto fail;
	return 0;
fail:
	hdp_release(f);
	return -1;
}

void hdp_release(struct hdp_file *f)
{
	free((void *)f->funcs);
	free((void *)f->syms);
	if (f->elf)
		elf_end(f->elf);
	memset(f, 0, sizeof(*f));
}

static size_t symtab_ndx(Elf *elf, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, sh) && sh->sh_type == SHT_SYMTAB)
			return elf_ndxscn(scn);
	return 0;
}

const char *hdp_str(const struct hdp_file *f, uint32_t off)
{
	GElf_Shdr sh;

	if (!f->elf || !symtab_ndx(f->elf, &sh))
		return NULL;
	/* The string table was checked to end in a NUL. */
	return elf_strptr(f->elf, sh.sh_link, off);
}

const char *hdp_sym_name(const struct hdp_file *f, size_t i)
{
	Elf_Scn *scn;
	GElf_Shdr sh;
	GElf_Sym s;
	size_t ndx;

	ndx = f->elf ? symtab_ndx(f->elf, &sh) : 0;
	scn = ndx ? elf_getscn(f->elf, ndx) : NULL;
	if (!scn || i >= sh.sh_size / sizeof(Elf64_Sym) ||
	    !gelf_getsym(elf_getdata(scn, NULL), i, &s))
		return "?";
	return elf_strptr(f->elf, sh.sh_link, s.st_name) ?: "?";
}

int hdp_get_sym(const struct hdp_file *f, size_t i, GElf_Sym *s)
{
	Elf_Scn *scn;
	GElf_Shdr sh;
	size_t ndx;

	ndx = f->elf ? symtab_ndx(f->elf, &sh) : 0;
	scn = ndx ? elf_getscn(f->elf, ndx) : NULL;
	if (!scn || i >= sh.sh_size / sizeof(Elf64_Sym) ||
	    !gelf_getsym(elf_getdata(scn, NULL), i, s))
		return -1;
	return 0;
}
