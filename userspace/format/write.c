// SPDX-License-Identifier: GPL-2.0
/* The emit stage: the .hdp model and its ELF writer (libelf). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/write.h"
#include "format/hdp.h"

struct esec {
	char *name;
	uint32_t type;
	uint64_t flags, align, size;
	uint8_t *buf;		/* NULL for SHT_NOBITS */
	GElf_Rela *relas;	/* r_info's symbol is an esym id here */
	size_t nrelas;
	long secsym;		/* its STT_SECTION symbol, or -1 */
};

struct esym {
	char *name;
	int bind, type;
	long sec;		/* -1: undefined */
	uint64_t value, size;
	uint32_t kind;		/* HDP_SYM_* when undefined */
	uint64_t addr;
	size_t final;		/* its .symtab index */
};

struct efunc {
	long sym;
	uint32_t flags;
	char *old_name;
	uint64_t old_addr, old_size, old_hash;
};

struct hd_emit {
	uint8_t build_id[HD_BUILD_ID_MAX];
	size_t build_id_len;
	char *target;
	struct esec *secs;
	size_t nsecs;
	struct esym *syms;
	size_t nsyms;
	struct efunc *funcs;
	size_t nfuncs;
};

struct strbuf {
	char *buf;
	size_t len;
};

static long strbuf_add(struct strbuf *s, const char *str)
{
	size_t n = strlen(str) + 1;
	char *p = realloc(s->buf, s->len + n);

	if (!p)
		return -1;
	s->buf = p;
	memcpy(p + s->len, str, n);
	s->len += n;
	return s->len - n;
}

#define GROW(arr, n) ({							\
	void *__p = realloc((arr), ((n) + 1) * sizeof(*(arr)));		\
	if (__p)							\
		(arr) = __p;						\
	__p;								\
})

struct hd_emit *hd_emit_new(const uint8_t *build_id, size_t build_id_len,
			    const char *target)
{
	struct hd_emit *em = calloc(1, sizeof(*em));

	if (!em || build_id_len > HD_BUILD_ID_MAX || !build_id_len)
		goto fail;
	memcpy(em->build_id, build_id, build_id_len);
	em->build_id_len = build_id_len;
	em->target = strdup(target);
	if (!em->target)
		goto fail;
	return em;
fail:
	free(em);
	return NULL;
}

void hd_emit_free(struct hd_emit *em)
{
	size_t i;

	if (!em)
		return;
	for (i = 0; i < em->nsecs; i++) {
		free(em->secs[i].name);
		free(em->secs[i].buf);
		free(em->secs[i].relas);
	}
	for (i = 0; i < em->nsyms; i++)
		free(em->syms[i].name);
	for (i = 0; i < em->nfuncs; i++)
		free(em->funcs[i].old_name);
	free(em->secs);
	free(em->syms);
	free(em->funcs);
	free(em->target);
	free(em);
}

long hd_emit_section(struct hd_emit *em, const char *name, uint32_t type,
		     uint64_t flags, uint64_t align, const void *buf,
		     uint64_t size)
{
	struct esec *s;

	if (!GROW(em->secs, em->nsecs))
		return -1;
	s = &em->secs[em->nsecs];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (!s->name)
		return -1;
	if (type != SHT_NOBITS && size) {
		s->buf = malloc(size);
		if (!s->buf) {
			free(s->name);
			return -1;
		}
		memcpy(s->buf, buf, size);
	}
	s->type = type;
	s->flags = flags;
	s->align = align ? align : 1;
	s->size = size;
	s->secsym = -1;
	return em->nsecs++;
}

static long add_sym(struct hd_emit *em, const char *name, int bind, int type,
		    long sec, uint64_t value, uint64_t size)
{
	struct esym *y;

	if (!GROW(em->syms, em->nsyms))
		return -1;
	y = &em->syms[em->nsyms];
	memset(y, 0, sizeof(*y));
	y->name = strdup(name);
	if (!y->name)
		return -1;
	y->bind = bind;
	y->type = type;
	y->sec = sec;
	y->value = value;
	y->size = size;
	return em->nsyms++;
}

long hd_emit_defined(struct hd_emit *em, const char *name, int bind,
		     int type, long sec, uint64_t value, uint64_t size)
{
	return add_sym(em, name, bind, type, sec, value, size);
}

long hd_emit_secsym(struct hd_emit *em, long sec)
{
	if (em->secs[sec].secsym < 0)
		em->secs[sec].secsym = add_sym(em, "", STB_LOCAL, STT_SECTION,
					       sec, 0, 0);
	return em->secs[sec].secsym;
}

long hd_emit_undef(struct hd_emit *em, const char *name, uint32_t kind,
		   uint64_t addr)
{
	size_t i;
	long id;

	for (i = 0; i < em->nsyms; i++)
		if (em->syms[i].sec < 0 && em->syms[i].kind == kind &&
		    em->syms[i].addr == addr && !strcmp(em->syms[i].name, name))
			return i;
	id = add_sym(em, name, STB_GLOBAL, STT_NOTYPE, -1, 0, 0);
	if (id >= 0) {
		em->syms[id].kind = kind;
		em->syms[id].addr = addr;
	}
	return id;
}

int hd_emit_rela(struct hd_emit *em, long sec, uint64_t off, uint32_t type,
		 int64_t addend, long sym)
{
	struct esec *s = &em->secs[sec];

	if (!GROW(s->relas, s->nrelas))
		return -1;
	s->relas[s->nrelas].r_offset = off;
	s->relas[s->nrelas].r_info = GELF_R_INFO(sym, type);
	s->relas[s->nrelas].r_addend = addend;
	s->nrelas++;
	return 0;
}

int hd_emit_func(struct hd_emit *em, long sym, uint32_t flags,
		 const char *old_name, uint64_t old_addr, uint64_t old_size,
		 uint64_t old_hash)
{
	struct efunc *f;
	size_t i;

	/*
	 * Aliases (C++'s complete and base destructors, D1 and D2) are one
	 * function at one address: one redirect, if their new code is one.
	 */
	for (i = 0; old_addr && i < em->nfuncs; i++) {
		const struct esym *a = &em->syms[em->funcs[i].sym];
		const struct esym *b = &em->syms[sym];

		if (em->funcs[i].old_addr != old_addr)
			continue;
		if (em->funcs[i].old_size == old_size &&
		    (em->funcs[i].sym == sym ||
		     (a->sec >= 0 && a->sec == b->sec && a->value == b->value)))
			return 0;
		return -EEXIST;
	}
	if (!GROW(em->funcs, em->nfuncs))
		return -1;
	f = &em->funcs[em->nfuncs];
	f->old_name = strdup(old_name);
	if (!f->old_name)
		return -1;
	f->sym = sym;
	f->flags = flags;
	f->old_addr = old_addr;
	f->old_size = old_size;
	f->old_hash = old_hash;
	em->nfuncs++;
	return 0;
}

size_t hd_emit_nfuncs(const struct hd_emit *em)
{
	return em->nfuncs;
}

static int add_note(uint8_t **buf, size_t *len, uint32_t type,
		    const void *desc, uint32_t descsz)
{
	GElf_Nhdr nh = { .n_namesz = sizeof(HDP_NOTE_OWNER),
			 .n_descsz = descsz, .n_type = type };
	size_t nlen = (sizeof(HDP_NOTE_OWNER) + 3) & ~3UL;
	size_t dlen = (descsz + 3) & ~3UL;
	uint8_t *p = realloc(*buf, *len + sizeof(nh) + nlen + dlen);

	if (!p)
		return -1;
	*buf = p;
	p += *len;
	memset(p, 0, sizeof(nh) + nlen + dlen);
	memcpy(p, &nh, sizeof(nh));
	memcpy(p + sizeof(nh), HDP_NOTE_OWNER, sizeof(HDP_NOTE_OWNER));
	memcpy(p + sizeof(nh) + nlen, desc, descsz);
	*len += sizeof(nh) + nlen + dlen;
	return 0;
}

/* One output section with one data buffer; returns its index or 0. */
static size_t new_scn(Elf *elf, struct strbuf *shstr, const char *name,
		      GElf_Shdr *sh, void *buf, size_t size, Elf_Type t)
{
	Elf_Scn *scn = elf_newscn(elf);
	Elf_Data *d = scn ? elf_newdata(scn) : NULL;
	long off = strbuf_add(shstr, name);

	if (!d || off < 0)
		return 0;
	d->d_buf = buf;
	d->d_size = size;
	d->d_type = t;
	d->d_align = sh->sh_addralign ? sh->sh_addralign : 1;
	sh->sh_name = off;
	sh->sh_size = size;
	if (!gelf_update_shdr(scn, sh))
		return 0;
	return elf_ndxscn(scn);
}

/* The model's symbols in .symtab order: locals first, as ELF requires. */
static size_t order_syms(struct hd_emit *em)
{
	size_t i, n = 1;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < em->nsyms; i++)
			if (!(em->syms[i].bind == STB_LOCAL) == pass)
				em->syms[i].final = n++;
	return n;
}

/* What the written sections point at, freed once the file is out. */
struct wbufs {
	uint8_t *notes;
	struct hdp_func *funcs;
	struct hdp_sym *hsyms;
	Elf64_Sym *syms;
	struct strbuf str, shstr;
	GElf_Rela **relas;
	size_t nsecs;
	size_t symtab_ndx, strtab_ndx;	/* where .symtab and .strtab go */
};

static void wbufs_free(struct wbufs *w)
{
	size_t i;

	free(w->notes);
	free(w->funcs);
	free(w->hsyms);
	free(w->syms);
	free(w->str.buf);
	free(w->shstr.buf);
	for (i = 0; w->relas && i < w->nsecs; i++)
		free(w->relas[i]);
	free(w->relas);
}

static int write_header(Elf *elf, GElf_Ehdr *eh)
{
	if (!gelf_newehdr(elf, ELFCLASS64) || !gelf_getehdr(elf, eh))
		return -1;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh->e_type = ET_REL;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	return 0;
}

/* Model section i becomes section 1 + i; relocations and ours follow. */
static int write_sections(struct hd_emit *em, Elf *elf, struct wbufs *w)
{
	GElf_Shdr sh;
	size_t i;

	for (i = 0; i < em->nsecs; i++) {
		struct esec *s = &em->secs[i];
		Elf_Scn *scn;

		memset(&sh, 0, sizeof(sh));
		sh.sh_type = s->type;
		sh.sh_flags = s->flags;
		sh.sh_addralign = s->align;
		if (new_scn(elf, &w->shstr, s->name, &sh, s->buf, s->size,
			    ELF_T_BYTE) != i + 1)
			return -1;
		if (s->type != SHT_NOBITS)
			continue;
		/* The size of NOBITS data is the section's size. */
		scn = elf_getscn(elf, i + 1);
		if (!gelf_getshdr(scn, &sh))
			return -1;
		sh.sh_size = s->size;
		elf_getdata(scn, NULL)->d_buf = NULL;
		if (!gelf_update_shdr(scn, &sh))
			return -1;
	}
	return 0;
}

/* One .rela section per model section that has relocations. */
static int write_relas(struct hd_emit *em, Elf *elf, struct wbufs *w)
{
	GElf_Shdr sh;
	size_t i, j;

	w->nsecs = em->nsecs;
	w->relas = calloc(em->nsecs + 1, sizeof(*w->relas));
	if (!w->relas)
		return -1;
	for (i = 0; i < em->nsecs; i++) {
		struct esec *s = &em->secs[i];
		char name[512];

		if (!s->nrelas)
			continue;
		w->relas[i] = calloc(s->nrelas, sizeof(GElf_Rela));
		if (!w->relas[i])
			return -1;
		for (j = 0; j < s->nrelas; j++) {
			GElf_Rela r = s->relas[j];

			r.r_info = GELF_R_INFO(em->syms[GELF_R_SYM(r.r_info)].final,
					       GELF_R_TYPE(r.r_info));
			w->relas[i][j] = r;
		}
		memset(&sh, 0, sizeof(sh));
		sh.sh_type = SHT_RELA;
		sh.sh_flags = SHF_INFO_LINK;
		sh.sh_addralign = 8;
		sh.sh_entsize = sizeof(Elf64_Rela);
		sh.sh_link = w->symtab_ndx;
		sh.sh_info = i + 1;
		snprintf(name, sizeof(name), ".rela%s", s->name);
		if (!new_scn(elf, &w->shstr, name, &sh, w->relas[i],
			     s->nrelas * sizeof(Elf64_Rela), ELF_T_RELA))
			return -1;
	}
	return 0;
}

/* .note.hotdeploy: format version, the target's build-id and path. */
static int write_notes(struct hd_emit *em, Elf *elf, struct wbufs *w)
{
	uint32_t ver = HDP_VERSION;
	size_t len = 0;
	GElf_Shdr sh;

	if (add_note(&w->notes, &len, HDP_NT_VERSION, &ver, 4) ||
	    add_note(&w->notes, &len, HDP_NT_BUILD_ID, em->build_id,
		     em->build_id_len) ||
	    add_note(&w->notes, &len, HDP_NT_TARGET, em->target,
		     strlen(em->target) + 1))
		return -1;
	memset(&sh, 0, sizeof(sh));
	sh.sh_type = SHT_NOTE;
	sh.sh_addralign = 4;
	return new_scn(elf, &w->shstr, HDP_NOTE_SECTION, &sh, w->notes, len,
		       ELF_T_NHDR) ? 0 : -1;
}

/* .hotdeploy.funcs and .hotdeploy.syms, in .symtab's final indices. */
static int write_tables(struct hd_emit *em, Elf *elf, struct wbufs *w)
{
	size_t i, j, nund = 0;
	GElf_Shdr sh;
	long off;

	w->funcs = calloc(em->nfuncs + 1, sizeof(*w->funcs));
	for (i = 0; i < em->nsyms; i++)
		nund += em->syms[i].sec < 0;
	w->hsyms = calloc(nund + 1, sizeof(*w->hsyms));
	if (!w->funcs || !w->hsyms)
		return -1;
	for (i = 0; i < em->nfuncs; i++) {
		off = strbuf_add(&w->str, em->funcs[i].old_name);
		if (off < 0)
			return -1;
		w->funcs[i].sym = em->syms[em->funcs[i].sym].final;
		w->funcs[i].flags = em->funcs[i].flags;
		w->funcs[i].old_name = off;
		w->funcs[i].old_addr = em->funcs[i].old_addr;
		w->funcs[i].old_size = em->funcs[i].old_size;
		w->funcs[i].old_hash = em->funcs[i].old_hash;
	}
	memset(&sh, 0, sizeof(sh));
	sh.sh_type = SHT_PROGBITS;
	sh.sh_addralign = 8;
	sh.sh_entsize = sizeof(struct hdp_func);
	if (!new_scn(elf, &w->shstr, HDP_FUNCS_SECTION, &sh, w->funcs,
		     em->nfuncs * sizeof(*w->funcs), ELF_T_BYTE))
		return -1;
	for (i = 0, j = 0; i < em->nsyms; i++) {
		if (em->syms[i].sec >= 0)
			continue;
		w->hsyms[j].sym = em->syms[i].final;
		w->hsyms[j].kind = em->syms[i].kind;
		w->hsyms[j].addr = em->syms[i].addr;
		j++;
	}
	sh.sh_entsize = sizeof(struct hdp_sym);
	return new_scn(elf, &w->shstr, HDP_SYMS_SECTION, &sh, w->hsyms,
		       nund * sizeof(*w->hsyms), ELF_T_BYTE) ? 0 : -1;
}

/* .symtab, locals first; its names go to .strtab. */
static int write_symtab(struct hd_emit *em, Elf *elf, struct wbufs *w,
			size_t nsym)
{
	Elf_Scn *scn = elf_newscn(elf);
	Elf_Data *d = scn ? elf_newdata(scn) : NULL;
	GElf_Shdr sh;
	size_t i;
	long off;

	w->syms = calloc(nsym, sizeof(Elf64_Sym));
	if (!d || !w->syms)
		return -1;
	d->d_type = ELF_T_SYM;
	d->d_size = nsym * sizeof(Elf64_Sym);
	d->d_buf = w->syms;
	d->d_align = 8;
	for (i = 0; i < em->nsyms; i++) {
		struct esym *y = &em->syms[i];
		GElf_Sym s = { 0 };

		off = strbuf_add(&w->str, y->name);
		if (off < 0)
			return -1;
		s.st_name = *y->name ? off : 0;
		s.st_info = GELF_ST_INFO(y->bind, y->type);
		s.st_shndx = y->sec < 0 ? SHN_UNDEF : y->sec + 1;
		s.st_value = y->value;
		s.st_size = y->size;
		if (!gelf_update_sym(d, y->final, &s))
			return -1;
	}
	memset(&sh, 0, sizeof(sh));
	off = strbuf_add(&w->shstr, ".symtab");
	if (off < 0)
		return -1;
	sh.sh_name = off;
	sh.sh_type = SHT_SYMTAB;
	sh.sh_addralign = 8;
	sh.sh_entsize = sizeof(Elf64_Sym);
	sh.sh_size = d->d_size;
	sh.sh_link = w->strtab_ndx;
	sh.sh_info = 1;
	for (i = 0; i < em->nsyms; i++)
		if (em->syms[i].bind == STB_LOCAL && em->syms[i].final >= sh.sh_info)
			sh.sh_info = em->syms[i].final + 1;
	if (!gelf_update_shdr(scn, &sh) || elf_ndxscn(scn) != w->symtab_ndx)
		return -1;
	return 0;
}

/* .strtab, then .shstrtab, which names itself; its index into @eh. */
static int write_strtabs(Elf *elf, struct wbufs *w, GElf_Ehdr *eh)
{
	Elf_Scn *scn;
	GElf_Shdr sh;
	size_t i;
	long off;

	memset(&sh, 0, sizeof(sh));
	sh.sh_type = SHT_STRTAB;
	if (new_scn(elf, &w->shstr, ".strtab", &sh, w->str.buf, w->str.len,
		    ELF_T_BYTE) != w->strtab_ndx)
		return -1;
	/* Its own name must be in it before it is sized. */
	off = strbuf_add(&w->shstr, ".shstrtab");
	if (off < 0)
		return -1;
	memset(&sh, 0, sizeof(sh));
	sh.sh_type = SHT_STRTAB;
	i = new_scn(elf, &w->shstr, "", &sh, w->shstr.buf, w->shstr.len,
		    ELF_T_BYTE);
	if (!i)
		return -1;
	/* new_scn appended "" and pointed at it; use the real name. */
	scn = elf_getscn(elf, i);
	sh.sh_name = off;
	elf_getdata(scn, NULL)->d_buf = w->shstr.buf;
	elf_getdata(scn, NULL)->d_size = w->shstr.len;
	sh.sh_size = w->shstr.len;
	if (!gelf_update_shdr(scn, &sh))
		return -1;
	eh->e_shstrndx = i;
	return 0;
}

static int write_elf(struct hd_emit *em, Elf *elf, struct wbufs *w)
{
	size_t i, nsym;
	GElf_Ehdr eh;

	if (write_header(elf, &eh) || strbuf_add(&w->shstr, "") < 0 ||
	    strbuf_add(&w->str, "") < 0)
		return -1;
	nsym = order_syms(em);
	/* The model's sections, their relocations, then ours. */
	w->symtab_ndx = em->nsecs + 1;
	for (i = 0; i < em->nsecs; i++)
		w->symtab_ndx += em->secs[i].nrelas ? 1 : 0;
	w->symtab_ndx += 3;	/* note, funcs, syms */
	w->strtab_ndx = w->symtab_ndx + 1;
	if (write_sections(em, elf, w) || write_relas(em, elf, w) ||
	    write_notes(em, elf, w) || write_tables(em, elf, w) ||
	    write_symtab(em, elf, w, nsym) || write_strtabs(elf, w, &eh))
		return -1;
	if (!gelf_update_ehdr(elf, &eh) || elf_update(elf, ELF_C_WRITE) < 0)
		return -1;
	return 0;
}

int hd_emit_write(struct hd_emit *em, const char *path, struct hd_error *err)
{
	struct wbufs w = { 0 };
	int fd, ret = -1;
	Elf *elf;

	elf_version(EV_CURRENT);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return hd_fail(err, -errno, "%s: %s", path, strerror(errno));
	elf = elf_begin(fd, ELF_C_WRITE, NULL);
	if (!elf || write_elf(em, elf, &w)) {
		hd_fail(err, -EIO, "%s: cannot write: %s", path, elf_errmsg(-1));
		goto out;
	}
	ret = 0;
out:
	if (elf)
		elf_end(elf);
	wbufs_free(&w);
	if (close(fd) && !ret)
		ret = hd_fail(err, -errno, "%s: %s", path, strerror(errno));
	if (ret)
		unlink(path);
	return ret;
}
