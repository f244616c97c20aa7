// SPDX-License-Identifier: GPL-2.0
/*
 * The open, correlate and compare stages of hdctl diff, over two
 * relocatable objects built with -ffunction-sections -fdata-sections.
 * A function is changed when its bytes differ once the fields that
 * relocations fill are masked, or when its relocations name different
 * symbols or addends: code that only moved is unchanged, because its
 * bytes are the same and everything position-dependent is a relocation.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff/diff.h"
#include "diff/lines.h"
#include "diff/model.h"
#include "diff/unwind.h"
#include "format/write.h"
#include "format/hdp.h"
#include "elf/reloc.h"
#include "elf/build.h"

/* Read one function symbol's bytes and relocations into @f. */
static int load_func(struct obj *o, size_t idx, struct obj_func *f)
{
	const struct dsym *s = &o->syms[idx];
	const struct dsec *sec = obj_sec(o, s->sym.st_shndx);

	if (!sec) {
		hd_fail(o->err, 0, "%s: function %s: cannot read its section", o->path,
			s->name);
		return -1;
	}
	if (sec->sh.sh_type != SHT_PROGBITS || !sec->data ||
	    s->sym.st_value > sec->sh.sh_size ||
	    s->sym.st_size > sec->sh.sh_size - s->sym.st_value) {
		hd_fail(o->err, 0, "%s: function %s lies outside its section", o->path,
			s->name);
		return -1;
	}
	f->name = s->name;
	f->unit = s->unit;
	f->sym = s->sym;
	f->code = sec->data + s->sym.st_value;
	f->rela = sec->relas;
	f->nrela = sec->nrelas;
	f->twin = NULL;
	f->symidx = idx;
	return 0;
}

/* Stage 1: open a build as the model and collect its defined functions. */
static int obj_open(struct obj *o, const char *path, bool linked,
		    struct hd_error *err)
{
	size_t i;

	if (linked ? obj_load_bin(o, path, err) : obj_load_rel(o, path, err))
		return -1;
	o->funcs = calloc(o->nsyms + 1, sizeof(*o->funcs));
	if (!o->funcs) {
		hd_fail(o->err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 1; i < o->nsyms; i++) {
		const GElf_Sym *sym = &o->syms[i].sym;

		if (GELF_ST_TYPE(sym->st_info) != STT_FUNC ||
		    sym->st_shndx == SHN_UNDEF || sym->st_shndx >= SHN_LORESERVE)
			continue;
		if (!*o->syms[i].name) {
			hd_fail(o->err, 0, "%s: function symbol %zu has no name", path, i);
			goto fail;
		}
		if (load_func(o, i, &o->funcs[o->nfuncs]))
			goto fail;
		o->nfuncs++;
	}
	return 0;
fail:
	obj_close(o);
	return -1;
}

/* Stage 2: pair each new function with the old one of the same name. */
static void correlate(struct obj *old, struct obj *new)
{
	size_t i, j;

	for (i = 0; i < new->nfuncs; i++)
		for (j = 0; j < old->nfuncs; j++)
			if (!old->funcs[j].twin &&
			    !strcmp(new->funcs[i].name, old->funcs[j].name) &&
			    obj_same_unit(new->funcs[i].unit, old->funcs[j].unit)) {
				new->funcs[i].twin = &old->funcs[j];
				old->funcs[j].twin = &new->funcs[i];
				break;
			}
}

/* A static local's name without the ".N" its compiler numbered it with. */
static size_t sym_key_len(const GElf_Sym *sym, const char *name)
{
	const char *dot = strrchr(name, '.');

	if (GELF_ST_BIND(sym->st_info) == STB_LOCAL && dot && dot[1] &&
	    strspn(dot + 1, "0123456789") == strlen(dot + 1))
		return dot - name;
	return strlen(name);
}

/*
 * What a relocation refers to, as something comparable across builds:
 * a symbol's name without the ".N" the compiler numbers static locals
 * with, or for a section symbol the section's name, plus for a string
 * section the string itself (adding a literal moves the others).
 */
struct target {
	const char *name;
	size_t namelen;
	const char *str;	/* string literal, or NULL */
	int64_t off;		/* addend, plus a label's place in its section */
	const void *data;	/* a section's contents, compared whole */
	size_t datalen;
	bool section;
};

/*
 * A constant of a mergeable section (.rodata.cst16: entries of sh_entsize
 * bytes, which the linker deduplicates, so their order means nothing):
 * compared by the entry referred to, and the place in it.
 */
static int merged_constant(struct obj *o, const struct obj_func *f,
			   const GElf_Rela *r, const GElf_Sym *sym,
			   const struct dsec *sec, struct target *t)
{
	uint64_t size = sec->sh.sh_entsize;
	int64_t pos = (int64_t)sym->st_value, entry;

	/*
	 * A label (.LC0) names its entry; through the section symbol, the
	 * addend says which, biased by the field's end when rip-relative.
	 */
	if (GELF_ST_TYPE(sym->st_info) == STT_SECTION)
		pos = t->off + (hd_reloc_pc_relative(GELF_R_TYPE(r->r_info)) ?
				hd_reloc_width(GELF_R_TYPE(r->r_info)) : 0);
	entry = pos >= 0 ? pos - pos % (int64_t)size : -1;
	if (entry < 0 || (uint64_t)entry + size > sec->sh.sh_size) {
		hd_fail(o->err, 0, "%s: %s: constant reference outside %s",
			o->path, f->name, t->name);
		return -1;
	}
	t->data = sec->data + entry;
	t->datalen = size;
	t->off -= entry;
	return 0;
}

static int reloc_target(struct obj *o, const struct obj_func *f,
			const GElf_Rela *r, struct target *t)
{
	size_t idx = GELF_R_SYM(r->r_info);
	const struct dsec *sec = NULL;
	const GElf_Sym *sym;
	int64_t off;

	memset(t, 0, sizeof(*t));
	if (!idx || idx >= o->nsyms) {
		hd_fail(o->err, 0, "%s: %s: relocation with bad symbol %zu", o->path,
			f->name, idx);
		return -1;
	}
	sym = &o->syms[idx].sym;
	if (sym->st_shndx != SHN_UNDEF && sym->st_shndx < SHN_LORESERVE) {
		sec = obj_sec(o, sym->st_shndx);
		if (!sec) {
			hd_fail(o->err, 0, "%s: %s: relocation against unreadable section %u",
				o->path, f->name, sym->st_shndx);
			return -1;
		}
	}
	/*
	 * Labels (gcc's .LC0 under -fdata-sections, clang's .L.str) are
	 * places in a section, compared by what is there.
	 */
	if (!sec || (GELF_ST_TYPE(sym->st_info) != STT_SECTION &&
		     !(GELF_ST_BIND(sym->st_info) == STB_LOCAL &&
		       (GELF_ST_TYPE(sym->st_info) == STT_NOTYPE ||
			(sec->sh.sh_flags & SHF_STRINGS))))) {
		t->name = o->syms[idx].name;
		t->namelen = strlen(t->name);
		t->off = r->r_addend;
		if (GELF_ST_TYPE(sym->st_info) == STT_OBJECT)
			t->namelen = sym_key_len(sym, t->name);
		return 0;
	}
	t->section = true;
	t->name = sec->name;
	t->namelen = strlen(t->name);
	t->off = (int64_t)sym->st_value + r->r_addend;
	if (!(sec->sh.sh_flags & SHF_STRINGS) &&
	    (sec->sh.sh_flags & SHF_MERGE) && sec->sh.sh_entsize && sec->data)
		return merged_constant(o, f, r, sym, sec, t);
	if (!(sec->sh.sh_flags & SHF_STRINGS)) {
		/*
		 * An offset into data whose extent is unknown (gcc -O0's
		 * .rodata): the whole section has to be the same.
		 */
		if (sec->data && sec->sh.sh_type == SHT_PROGBITS &&
		    !(sec->sh.sh_flags & SHF_EXECINSTR)) {
			t->data = sec->data;
			t->datalen = sec->cmpsize ? sec->cmpsize : sec->sh.sh_size;
		}
		return 0;
	}
	if (GELF_ST_TYPE(sym->st_info) != STT_SECTION) {
		/* A label names its string; the addend is compared as is. */
		off = sym->st_value;
		t->off = r->r_addend;
	} else {
		/* A rip-relative addend is biased by the field's end. */
		off = t->off + (hd_reloc_pc_relative(GELF_R_TYPE(r->r_info)) ?
				hd_reloc_width(GELF_R_TYPE(r->r_info)) : 0);
	}
	if (!sec->data || sec->sh.sh_type != SHT_PROGBITS || off < 0 ||
	    (uint64_t)off >= sec->sh.sh_size ||
	    !memchr(sec->data + off, 0, sec->sh.sh_size - off)) {
		hd_fail(o->err, 0, "%s: %s: string reference outside %s", o->path,
			f->name, t->name);
		return -1;
	}
	t->str = (const char *)sec->data + off;
	return 0;
}

/* Relocations of @f, in its own order, that fall inside it. */
static int func_relas(struct obj *o, const struct obj_func *f,
		      GElf_Rela **out, size_t *n)
{
	GElf_Rela *v;
	size_t i;

	*n = 0;
	*out = NULL;
	if (!f->nrela)
		return 0;
	v = calloc(f->nrela, sizeof(*v));
	if (!v) {
		hd_fail(o->err, -ENOMEM, "out of memory");
		return -1;
	}
	for (i = 0; i < f->nrela; i++) {
		GElf_Rela r;
		unsigned int w;

		r = f->rela[i];
		if (r.r_offset < f->sym.st_value ||
		    r.r_offset >= f->sym.st_value + f->sym.st_size)
			continue;
		w = hd_reloc_width(GELF_R_TYPE(r.r_info));
		if (!w || r.r_offset + w > f->sym.st_value + f->sym.st_size) {
			hd_fail(o->err, 0, "%s: %s: relocation type %u at +%#llx not understood",
				o->path, f->name, (unsigned int)GELF_R_TYPE(r.r_info),
				(unsigned long long)(r.r_offset - f->sym.st_value));
			goto fail;
		}
		r.r_offset -= f->sym.st_value;
		v[(*n)++] = r;
	}
	*out = v;
	return 0;
fail:
	free(v);
	return -1;
}

static int by_offset(const void *a, const void *b)
{
	const GElf_Rela *x = a, *y = b;

	return x->r_offset < y->r_offset ? -1 : x->r_offset > y->r_offset;
}

/* The bytes outside the relocated fields (@mask): as compare_func(). */
static int compare_bytes(struct obj *old, const struct obj_func *of,
			 struct obj *new, const struct obj_func *nf,
			 const uint8_t *mask, char **why)
{
	size_t off;
	int r;

	for (off = 0; off < nf->sym.st_size; off++)
		if (!mask[off] && of->code[off] != nf->code[off])
			break;
	if (off == nf->sym.st_size)
		return 0;
	r = hd_line_only(old, of, new, nf, mask);
	if (r < 0)
		return -1;
	if (r)
		return asprintf(why, "only line numbers differ (__LINE__)") < 0 ?
		       -1 : 2;
	return asprintf(why, "code differs at +%#zx", off) < 0 ? -1 : 1;
}

/*
 * Stage 3 for one pair.  Returns 1 if changed (with *why set), 2 if only
 * its line numbers changed (diff/lines.c), 0 if the same, -1 on error.
 */
static int compare_func(struct obj *old, struct obj_func *of,
			struct obj *new, struct obj_func *nf, char **why)
{
	GElf_Rela *or = NULL, *nr = NULL;
	size_t on, nn, i;
	uint8_t *mask = NULL;
	int ret = -1;

	*why = NULL;
	if (of->sym.st_size != nf->sym.st_size) {
		ret = asprintf(why, "size %llu -> %llu",
			       (unsigned long long)of->sym.st_size,
			       (unsigned long long)nf->sym.st_size) < 0 ? -1 : 1;
		return ret;
	}
	if (func_relas(old, of, &or, &on) || func_relas(new, nf, &nr, &nn))
		goto out;
	if (on != nn) {
		ret = asprintf(why, "%zu relocations -> %zu", on, nn) < 0 ? -1 : 1;
		goto out;
	}
	if (nn) {
		qsort(or, on, sizeof(*or), by_offset);
		qsort(nr, nn, sizeof(*nr), by_offset);
	}
	mask = calloc(1, nf->sym.st_size + 1);
	if (!mask) {
		hd_fail(new->err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nn; i++) {
		struct target ot, nt;

		if (or[i].r_offset != nr[i].r_offset ||
		    GELF_R_TYPE(or[i].r_info) != GELF_R_TYPE(nr[i].r_info)) {
			ret = asprintf(why, "relocation at +%#llx differs",
				       (unsigned long long)nr[i].r_offset) < 0 ?
				       -1 : 1;
			goto out;
		}
		if (reloc_target(old, of, &or[i], &ot) ||
		    reloc_target(new, nf, &nr[i], &nt))
			goto out;
		if (ot.namelen != nt.namelen ||
		    memcmp(ot.name, nt.name, nt.namelen) ||
		    ot.section != nt.section || !ot.str != !nt.str ||
		    (nt.str ? strcmp(ot.str, nt.str) :
			      ot.off != nt.off) ||
		    ot.datalen != nt.datalen ||
		    (nt.datalen && memcmp(ot.data, nt.data, nt.datalen))) {
			ret = asprintf(why,
				       "+%#llx refers to %.*s%s%s, was %.*s%s%s (or its contents changed)",
				       (unsigned long long)nr[i].r_offset,
				       (int)nt.namelen, nt.name,
				       nt.str ? " string " : "",
				       nt.str ? nt.str : "",
				       (int)ot.namelen, ot.name,
				       ot.str ? " string " : "",
				       ot.str ? ot.str : "") < 0 ? -1 : 1;
			goto out;
		}
		memset(mask + nr[i].r_offset, 1,
		       hd_reloc_width(GELF_R_TYPE(nr[i].r_info)));
	}
	ret = compare_bytes(old, of, new, nf, mask, why);
out:
	free(mask);
	free(or);
	free(nr);
	return ret;
}

static int add_change(struct hd_diff *d, const struct obj_func *f,
		      enum hd_func_status st, char *why)
{
	struct hd_func_change *v;

	v = realloc(d->funcs, (d->n + 1) * sizeof(*v));
	if (!v)
		goto oom;
	d->funcs = v;
	memset(&v[d->n], 0, sizeof(v[d->n]));
	v[d->n].name = strdup(f->name);
	v[d->n].unit = f->unit ? strdup(f->unit) : NULL;
	if (!v[d->n].name || (f->unit && !v[d->n].unit)) {
		free(v[d->n].name);
		goto oom;
	}
	v[d->n].status = st;
	v[d->n].why = why;
	d->n++;
	return 0;
oom:
	free(why);
	hd_fail(&d->err, -ENOMEM, "out of memory");
	return -1;
}

/* Append a line to @v; 0, or -1 with @d's error set. */
static int add_line(struct hd_diff *d, char ***v, size_t *n,
		    const char *fmt, va_list ap)
{
	char **nv, *line;

	if (vasprintf(&line, fmt, ap) < 0)
		return hd_fail(&d->err, -ENOMEM, "out of memory");
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv) {
		free(line);
		return hd_fail(&d->err, -ENOMEM, "out of memory");
	}
	nv[(*n)++] = line;
	*v = nv;
	return 0;
}

/* A function left out because only its line numbers changed. */
static int add_line_only(struct hd_diff *d, const char *name)
{
	char **nv, *copy = strdup(name);

	nv = copy ? realloc(d->line_only, (d->nline_only + 1) * sizeof(*nv)) :
		    NULL;
	if (!nv) {
		free(copy);
		return hd_fail(&d->err, -ENOMEM, "out of memory");
	}
	nv[d->nline_only++] = copy;
	d->line_only = nv;
	return 0;
}

/* A decision, for --explain. */
static int __attribute__((format(printf, 2, 3)))
note(struct hd_diff *d, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = add_line(d, &d->notes, &d->nnotes, fmt, ap);
	va_end(ap);
	return r;
}

/*
 * A change that cannot be patched live.  The diff goes on, so that one
 * run names every such change; 0, or -1 when even that failed.
 */
static int __attribute__((format(printf, 2, 3)))
refuse(struct hd_diff *d, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = add_line(d, &d->refusals, &d->nrefusals, fmt, ap);
	va_end(ap);
	return r;
}

/* A data object: its symbol, name and initial bytes (NULL: zeros). */
struct obj_data {
	GElf_Sym sym;
	const char *name;
	const char *unit;
	size_t keylen;
	const uint8_t *init;
	bool writable;
};

static bool sec_relro(const struct dsec *sec)
{
	return !strncmp(sec->name, ".data.rel.ro", 12);
}

/* Fetch symbol @i as a data object; 0 if it is not one, -1 on error. */
static int get_data(struct obj *o, size_t i, struct obj_data *od)
{
	const struct dsec *sec;
	int type;

	if (!i || i >= o->nsyms)
		return 0;
	od->sym = o->syms[i].sym;
	type = GELF_ST_TYPE(od->sym.st_info);
	if ((type != STT_OBJECT && type != STT_TLS &&
	     type != STT_GNU_IFUNC) || od->sym.st_shndx == SHN_UNDEF ||
	    od->sym.st_shndx >= SHN_LORESERVE)
		return 0;
	od->name = o->syms[i].name;
	od->unit = o->syms[i].unit;
	sec = obj_sec(o, od->sym.st_shndx);
	if (!sec) {
		hd_fail(o->err, 0, "%s: data symbol %zu unreadable", o->path, i);
		return -1;
	}
	/* String literals are compared where code uses them. */
	if (sec->sh.sh_flags & SHF_STRINGS)
		return 0;
	od->keylen = sym_key_len(&od->sym, od->name);
	/* Relocated once at load, then read-only: a constant. */
	od->writable = (sec->sh.sh_flags & SHF_WRITE) && !sec_relro(sec);
	od->init = NULL;
	if (sec->sh.sh_type == SHT_NOBITS)
		return 1;
	if (!sec->data || od->sym.st_value > sec->sh.sh_size ||
	    od->sym.st_size > sec->sh.sh_size - od->sym.st_value) {
		hd_fail(o->err, 0, "%s: %s lies outside its section", o->path, od->name);
		return -1;
	}
	od->init = sec->data + od->sym.st_value;
	return 1;
}

/* Whether two data objects are the same variable of the two builds. */
static bool data_twins(const struct obj_data *a, const struct obj_data *b)
{
	return a->keylen == b->keylen &&
	       GELF_ST_BIND(a->sym.st_info) == GELF_ST_BIND(b->sym.st_info) &&
	       !memcmp(a->name, b->name, b->keylen) &&
	       obj_same_unit(a->unit, b->unit);
}

static bool init_equal(const struct obj_data *a, const struct obj_data *b)
{
	size_t i;

	if (a->init && b->init)
		return !memcmp(a->init, b->init, a->sym.st_size);
	for (i = 0; i < a->sym.st_size; i++)
		if ((a->init && a->init[i]) || (b->init && b->init[i]))
			return false;
	return true;
}

/*
 * Whether an existing object's initial value is the same, pointers in it
 * (relocations) compared by what they point to.  -1 on error.
 */
static int data_same(struct obj *old, const struct obj_data *od,
		     struct obj *new, const struct obj_data *nd)
{
	struct obj_func of = { .name = od->name, .sym = od->sym,
			       .code = od->init };
	struct obj_func nf = { .name = nd->name, .sym = nd->sym,
			       .code = nd->init };
	char *why = NULL;
	int r;

	if (!od->init || !nd->init)
		return init_equal(od, nd);
	of.rela = old->secs[od->sym.st_shndx].relas;
	of.nrela = old->secs[od->sym.st_shndx].nrelas;
	nf.rela = new->secs[nd->sym.st_shndx].relas;
	nf.nrela = new->secs[nd->sym.st_shndx].nrelas;
	r = compare_func(old, &of, new, &nf, &why);
	free(why);
	return r < 0 ? -1 : !r;
}

/* Whether @f has a relocation against @d, by its symbol or its section. */
static bool func_uses(struct obj *o, const struct obj_func *f,
		      const struct obj_data *d)
{
	size_t j, idx;

	for (j = 0; j < f->nrela; j++) {
		const GElf_Rela *r = &f->rela[j];
		const struct dsym *sym;

		idx = GELF_R_SYM(r->r_info);
		if (r->r_offset < f->sym.st_value ||
		    r->r_offset >= f->sym.st_value + f->sym.st_size ||
		    !idx || idx >= o->nsyms)
			continue;
		sym = &o->syms[idx];
		if (GELF_ST_TYPE(sym->sym.st_info) == STT_SECTION) {
			if (sym->sym.st_shndx == d->sym.st_shndx)
				return true;
			continue;
		}
		if (!strcmp(sym->name, d->name) &&
		    obj_same_unit(sym->unit, d->unit))
			return true;
	}
	return false;
}

/*
 * How well @cand stands for @nd, by what else tells: a correlated
 * function uses both (+3), the same size (+1) and bytes (+1).  From 0
 * (only the name) to 5.
 */
static int data_rank(struct obj *old, struct obj *new,
		     const struct obj_data *nd, const struct obj_data *cand)
{
	int r, rank = 0;
	size_t i;

	for (i = 0; i < new->nfuncs && !rank; i++) {
		const struct obj_func *f = &new->funcs[i];

		if (f->twin && func_uses(new, f, nd) &&
		    func_uses(old, f->twin, cand))
			rank = 3;
	}
	if (cand->sym.st_size != nd->sym.st_size)
		return rank;
	r = data_same(old, cand, new, nd);
	if (r < 0)
		return -1;
	return rank + (r ? 2 : 1);
}

/*
 * The old build's @od for the new build's @nd: the same name, or for a
 * static local the same name but for its ".N".  Two functions of one file
 * may each keep a static of the same name (Lua's f_seek and f_setvbuf
 * both have "mode", nginx's autoindex two "tail"s), and the compiler's
 * numbers tell nothing: then the twin is the best by data_rank(), the
 * first by name among equals.  1 if found, 0 if not, -1 on error.
 */
static int find_old_data(struct obj *old, struct obj *new,
			 const struct obj_data *nd, struct obj_data *od)
{
	struct obj_data cand;
	int r, rank, best = -1;
	size_t j;

	for (j = 1; j < old->nsyms && best < 5; j++) {
		r = get_data(old, j, &cand);
		if (r < 0)
			return -1;
		if (!r || !data_twins(&cand, nd))
			continue;
		if (GELF_ST_BIND(nd->sym.st_info) != STB_LOCAL) {
			*od = cand;
			return 1;
		}
		rank = data_rank(old, new, nd, &cand);
		if (rank < 0)
			return -1;
		if (rank > best) {
			*od = cand;
			best = rank;
		}
	}
	return best >= 0;
}

/*
 * A changed local constant is carried in the patch, so every function
 * of this object that uses it has to be replaced to use the new copy.
 */
static int include_users(struct obj *o, const struct obj_data *d,
			 struct hd_diff *out, size_t from)
{
	size_t i, k;

	for (i = 0; i < o->nfuncs; i++) {
		const struct obj_func *f = &o->funcs[i];
		char *why;

		for (k = from; k < out->n; k++)
			if (!strcmp(out->funcs[k].name, f->name) &&
			    obj_same_unit(out->funcs[k].unit, f->unit))
				break;
		if (k < out->n || !func_uses(o, f, d))
			continue;
		if (asprintf(&why, "uses changed constant %s", d->name) < 0)
			return -1;
		if (note(out, "%s: changed %s: %s", o->path, f->name, why)) {
			free(why);
			return -1;
		}
		if (add_change(out, f, HD_FUNC_CHANGED, why))
			return -1;
	}
	return 0;
}

/*
 * Stage 3 for data.  The running process owns its globals and their
 * current values, so an existing object must keep its size and initial
 * value, and thread-local storage cannot grow.  A changed static
 * constant gets a new copy in the patch, and every function using it is
 * replaced; a changed global constant may be used by other objects, so
 * it is refused.  Refusals name the symbol and are all collected, so
 * one run reports every one.  @from: where this object's functions
 * start in @changed.
 */
static int compare_data(struct obj *old, struct obj *new,
			struct hd_diff *changed, size_t from)
{
	struct obj_data nd, od;
	size_t i;
	int r;

	for (i = 1; i < new->nsyms; i++) {
		bool found;

		r = get_data(new, i, &nd);
		if (r <= 0) {
			if (r < 0)
				return -1;
			continue;
		}
		r = find_old_data(old, new, &nd, &od);
		if (r < 0)
			return -1;
		found = r;
		if (GELF_ST_TYPE(nd.sym.st_info) == STT_GNU_IFUNC) {
			if (found)
				continue;
			if (refuse(changed, "%s: ifunc %s is new: not supported",
				   new->path, nd.name))
				return -1;
			continue;
		}
		if (!found) {
			if (GELF_ST_TYPE(nd.sym.st_info) == STT_TLS) {
				if (refuse(changed, "%s: thread-local %s is new: running threads have no room for it",
					   new->path, nd.name))
					return -1;
				continue;
			}
			if (note(changed, "%s: new data %s: carried in the patch",
				 new->path, nd.name))
				return -1;
			continue;
		}
		if (GELF_ST_TYPE(od.sym.st_info) != GELF_ST_TYPE(nd.sym.st_info)) {
			if (refuse(changed, "%s: %s changes between thread-local and global",
				   new->path, nd.name))
				return -1;
			continue;
		}
		if (od.sym.st_size != nd.sym.st_size) {
			if (refuse(changed, "%s: %s%s changes size %llu -> %llu: the running process keeps the old layout",
				   new->path,
				   GELF_ST_TYPE(nd.sym.st_info) == STT_TLS ?
				   "thread-local " : "", nd.name,
				   (unsigned long long)od.sym.st_size,
				   (unsigned long long)nd.sym.st_size))
				return -1;
			continue;
		}
		r = data_same(old, &od, new, &nd);
		if (r < 0)
			return -1;
		if (r)
			continue;
		if (nd.writable || GELF_ST_TYPE(nd.sym.st_info) == STT_TLS) {
			if (refuse(changed, "%s: initial value of %s changed: the running process keeps its current value",
				   new->path, nd.name))
				return -1;
			continue;
		}
		if (GELF_ST_BIND(nd.sym.st_info) != STB_LOCAL) {
			if (refuse(changed, "%s: constant %s changed, but it is global: code in other objects would keep using the old copy",
				   new->path, nd.name))
				return -1;
			continue;
		}
		if (note(changed, "%s: changed constant %s: new copy in the patch",
			 new->path, nd.name))
			return -1;
		if (include_users(new, &nd, changed, from))
			return -1;
	}
	return 0;
}

/*
 * Whether section @sec holding function @fn is section @base, or one of
 * its named parts (-ffunction-sections and a split binary append the
 * function's name: .text.startup.main, .init._init).
 */
static bool sec_is(const char *sec, const char *fn, const char *base)
{
	size_t n = strlen(sec), fl = strlen(fn), bl = strlen(base);

	if (n > fl + 1 && sec[n - fl - 1] == '.' && !strcmp(sec + n - fl, fn))
		n -= fl + 1;
	return n >= bl && !strncmp(sec, base, bl) && (n == bl || sec[bl] == '.');
}

/* Whether a relocation of @o points at function @f. */
static bool points_at(const struct obj *o, const GElf_Rela *r,
		      const struct obj_func *f)
{
	size_t idx = GELF_R_SYM(r->r_info);
	const struct dsym *s;

	if (!idx || idx >= o->nsyms)
		return false;
	s = &o->syms[idx];
	if (GELF_ST_TYPE(s->sym.st_info) == STT_SECTION)
		return s->sym.st_shndx == f->sym.st_shndx &&
		       s->sym.st_value + r->r_addend == f->sym.st_value;
	return GELF_ST_TYPE(s->sym.st_info) == STT_FUNC && !r->r_addend &&
	       !strcmp(s->name, f->name) && obj_same_unit(s->unit, f->unit);
}

/*
 * Whether @f only ever runs once, at start-up (main, .text.startup,
 * .init, constructors) or at exit (.text.exit, .fini, destructors):
 * HDP_FUNC_STARTUP, HDP_FUNC_EXIT or 0, with the reason in *@why.
 */
static unsigned int runs_once(const struct obj *o, const struct obj_func *f,
			      const char **why)
{
	static const struct {
		const char *sec;
		unsigned int when;
		const char *why;
	} places[] = {
		{ ".text.startup", HDP_FUNC_STARTUP, "is start-up code (.text.startup)" },
		{ ".init", HDP_FUNC_STARTUP, "is start-up code (.init)" },
		{ ".text.exit", HDP_FUNC_EXIT, "is exit code (.text.exit)" },
		{ ".fini", HDP_FUNC_EXIT, "is exit code (.fini)" },
	}, arrays[] = {
		{ ".preinit_array", HDP_FUNC_STARTUP, "is a constructor (.preinit_array)" },
		{ ".init_array", HDP_FUNC_STARTUP, "is a constructor (.init_array)" },
		{ ".ctors", HDP_FUNC_STARTUP, "is a constructor (.ctors)" },
		{ ".fini_array", HDP_FUNC_EXIT, "is a destructor (.fini_array)" },
		{ ".dtors", HDP_FUNC_EXIT, "is a destructor (.dtors)" },
	};
	const struct dsec *sec = obj_sec(o, f->sym.st_shndx);
	size_t i, k, j;

	if (!strcmp(f->name, "main") && !f->unit) {
		*why = "is main";
		return HDP_FUNC_STARTUP;
	}
	for (k = 0; sec && k < sizeof(places) / sizeof(places[0]); k++)
		if (sec_is(sec->name, f->name, places[k].sec)) {
			*why = places[k].why;
			return places[k].when;
		}
	for (i = 1; i < o->nsecs; i++) {
		const struct dsec *a = &o->secs[i];

		if (a->sh.sh_flags & SHF_EXECINSTR)
			continue;
		for (k = 0; k < sizeof(arrays) / sizeof(arrays[0]); k++) {
			if (!sec_is(a->name, "", arrays[k].sec))
				continue;
			for (j = 0; j < a->nrelas; j++)
				if (points_at(o, &a->relas[j], f)) {
					*why = arrays[k].why;
					return arrays[k].when;
				}
		}
	}
	return 0;
}

/* Mark, and explain, changed functions the running process may never run. */
static int mark_once(struct obj *old, struct obj *new, struct hd_diff *d,
		     size_t from)
{
	size_t k, i;

	for (k = from; k < d->n; k++) {
		struct hd_func_change *c = &d->funcs[k];
		const struct obj_func *f = NULL;

		for (i = 0; i < new->nfuncs && !f; i++)
			if (!strcmp(new->funcs[i].name, c->name) &&
			    obj_same_unit(new->funcs[i].unit, c->unit))
				f = &new->funcs[i];
		if (!f)
			continue;
		c->once = runs_once(new, f, &c->once_why);
		if (!c->once && f->twin)
			c->once = runs_once(old, f->twin, &c->once_why);
		if (c->once &&
		    note(d, "%s: %s %s: %s", new->path, c->name, c->once_why,
			 c->once == HDP_FUNC_STARTUP ?
			 "the running process will not execute it again" :
			 "the running process will only execute it at exit"))
			return -1;
	}
	return 0;
}

/*
 * Stage 4, include and emit: copy the changed and new functions into the
 * patch with whatever they need that the target does not have (new
 * data, string literals, changed static constants), and turn every
 * other reference into an undefined symbol resolved in the target (its
 * own functions and data: the state stays there) or in a shared library.
 */
struct incl {
	struct obj *o;
	struct obj *old;
	const char *objname;	/* basename, to find file-local symbols */
	struct hd_emit *em;
	struct hd_build *tgt;
	struct hd_diff *changed;	/* and where refusals go */
	size_t from;
	long *secmap;		/* input section -> emitted, or -1 */
	long *symmap;		/* input symbol -> emitted, or -1 */
	size_t *work;		/* included sections still to relocate */
	size_t nwork;
};

static bool in_patch(const struct incl *in, const char *name,
		     const char *unit)
{
	size_t k;

	for (k = in->from; k < in->changed->n; k++)
		if (!strcmp(in->changed->funcs[k].name, name) &&
		    obj_same_unit(in->changed->funcs[k].unit, unit))
			return true;
	return false;
}

static long include_section(struct incl *in, size_t shndx)
{
	const struct dsec *sec = obj_sec(in->o, shndx);

	if (!sec) {
		return hd_fail(in->o->err, 0, "%s: section %zu unreadable",
			       in->o->path, shndx);
	}
	if (in->secmap[shndx] >= 0)
		return in->secmap[shndx];
	if ((sec->sh.sh_type != SHT_PROGBITS && sec->sh.sh_type != SHT_NOBITS) ||
	    (sec->sh.sh_flags & SHF_TLS) ||
	    (sec->sh.sh_type == SHT_PROGBITS && !sec->data)) {
		refuse(in->changed, "%s: section %s cannot be carried in a patch",
		       in->o->path, sec->name);
		return -1;
	}
	in->secmap[shndx] = hd_emit_section(in->em, sec->name, sec->sh.sh_type,
					    sec->sh.sh_flags & ~SHF_GROUP,
					    sec->sh.sh_addralign, sec->data,
					    sec->sh.sh_size);
	if (in->secmap[shndx] < 0)
		return -1;
	in->work[in->nwork++] = shndx;
	return in->secmap[shndx];
}

/* Several symbols of the target match: refuse rather than guess. */
static int ambiguous(struct incl *in, const char *name, size_t keylen,
		     bool local, const char *unit)
{
	refuse(in->changed, "%s: %.*s is ambiguous in %s", in->tgt->path,
	       (int)keylen, name, local ? unit : "the target");
	return -1;
}

/*
 * @name, @sym in the object, resolved to @ts in the target: a thread-
 * local stays one, by its offset in the target's TLS block.
 */
static long target_undef(struct incl *in, const char *name,
			 const GElf_Sym *sym, const GElf_Sym *ts)
{
	bool tls = GELF_ST_TYPE(ts->st_info) == STT_TLS;

	if (tls != (GELF_ST_TYPE(sym->st_info) == STT_TLS)) {
		refuse(in->changed, "%s: %s is thread-local in %s only",
		       in->o->path, name, tls ? in->tgt->path : in->o->path);
		return -1;
	}
	return hd_emit_undef(in->em, name, tls ? HDP_SYM_TLS : HDP_SYM_TARGET,
			     ts->st_value);
}

/* A symbol the target must have: an undefined symbol resolved there. */
static long target_sym(struct incl *in, const struct dsym *s)
{
	bool local = GELF_ST_BIND(s->sym.st_info) == STB_LOCAL;
	GElf_Sym ts;
	int r;

	r = hd_build_lookup(in->tgt, s->name, sym_key_len(&s->sym, s->name),
			    local, s->unit ? s->unit : in->objname,
			    s->sym.st_size, &ts);
	if (r < 0)
		return ambiguous(in, s->name, sym_key_len(&s->sym, s->name),
				 local, s->unit ? s->unit : in->objname);
	if (!r) {
		refuse(in->changed, "%s: %s%s is not in the target %s: is it built from the old source?",
		       in->o->path, local ? "static " : "", s->name,
		       in->tgt->path);
		return -1;
	}
	return target_undef(in, s->name, &s->sym, &ts);
}

/*
 * The old build refers to the same place by the same name: the same
 * object, followed by the same bytes but for relocated fields (a jump
 * table into code that moved), which the target's file cannot tell.
 */
static bool old_has_abs(const struct obj *old, const struct dsym *s)
{
	size_t i;

	for (i = 1; i < old->nsyms; i++)
		if (old->syms[i].sym.st_shndx == SHN_ABS &&
		    !strcmp(old->syms[i].name, s->name) &&
		    obj_same_unit(old->syms[i].unit, s->unit))
			return true;
	return false;
}

/*
 * The end of a static object, or what follows it (HD_END_OF in
 * diff/model.h): where the target has the same bytes after that object,
 * both readings are one address, the object's end in the target.
 */
static long end_of_sym(struct incl *in, const struct dsym *s)
{
	const char *name = s->name + strlen(HD_END_OF);
	const char *tail = strstr(name, ", or what follows it (");
	unsigned long long hash;
	const uint8_t *bytes;
	char obj[256];
	GElf_Sym ts;
	size_t len;
	int r;

	if (!tail || (size_t)(tail - name) >= sizeof(obj) ||
	    sscanf(tail, ", or what follows it (%zu bytes, %llx)", &len,
		   &hash) != 2)
		return -1;
	snprintf(obj, sizeof(obj), "%.*s", (int)(tail - name), name);
	r = hd_build_lookup(in->tgt, obj, sym_key_len(&s->sym, obj), true,
			    s->unit ? s->unit : in->objname, 0, &ts);
	if (r == 1) {
		bytes = len ? hd_build_bytes(in->tgt, ts.st_value + ts.st_size,
					     len) : NULL;
		if (!len || (bytes && hdp_hash(bytes, len) == hash) ||
		    old_has_abs(in->old, s))
			return hd_emit_undef(in->em, s->name, HDP_SYM_TARGET,
					     ts.st_value + ts.st_size);
	}
	refuse(in->changed, "%s: the patch would refer to %s, which the target does not lay out the same way",
	       in->o->path, s->name);
	return -1;
}

/* The only symbol of @type at offset 0 of section @shndx: its index. */
static size_t sole_symbol(struct obj *o, size_t shndx, int type)
{
	size_t i, n = 0, found = 0;

	for (i = 1; i < o->nsyms; i++) {
		const GElf_Sym *s = &o->syms[i].sym;

		if (s->st_shndx != shndx || GELF_ST_TYPE(s->st_info) != type)
			continue;
		found = i;
		n++;
	}
	return n == 1 && !o->syms[found].sym.st_value ? found : 0;
}

static long map_sym(struct incl *in, size_t idx, int64_t *addend);

static long map_data(struct incl *in, size_t idx)
{
	const struct dsym *s = &in->o->syms[idx];
	struct obj_data nd, od;
	size_t j;
	int r;

	r = get_data(in->o, idx, &nd);
	if (r <= 0)
		return -1;
	for (j = 1; j < in->old->nsyms; j++) {
		r = get_data(in->old, j, &od);
		if (r < 0)
			return -1;
		if (!r || !data_twins(&od, &nd))
			continue;
		r = data_same(in->old, &od, in->o, &nd);
		if (r < 0)
			return -1;
		/* Existing data: the target's own copy, current value. */
		if (r || nd.writable)
			return target_sym(in, s);
		break;
	}
	/* Running threads have no room for a new thread-local. */
	if (GELF_ST_TYPE(s->sym.st_info) == STT_TLS) {
		refuse(in->changed, "%s: patched code uses thread-local %s, which is new: running threads have no room for it",
		       in->o->path, s->name);
		return -1;
	}
	/* New data, or a changed static constant: a copy in the patch. */
	if (include_section(in, s->sym.st_shndx) < 0)
		return -1;
	return hd_emit_defined(in->em, s->name, GELF_ST_BIND(s->sym.st_info),
			       GELF_ST_TYPE(s->sym.st_info),
			       in->secmap[s->sym.st_shndx], s->sym.st_value,
			       s->sym.st_size);
}

/* A reference through a section symbol or a label: by section. */
static long map_section_ref(struct incl *in, const GElf_Sym *s,
			    int64_t *addend)
{
	const struct dsec *sec = obj_sec(in->o, s->st_shndx);
	size_t only;
	long id;

	if (!sec)
		return -1;
	if ((sec->sh.sh_flags & SHF_EXECINSTR) && in->secmap[s->st_shndx] < 0) {
		/* -ffunction-sections: the section is one function. */
		only = sole_symbol(in->o, s->st_shndx, STT_FUNC);
		if (!only) {
			refuse(in->changed, "%s: reference into %s, which is not one function",
			       in->o->path, sec->name);
			return -1;
		}
		if (!in_patch(in, in->o->syms[only].name,
			      in->o->syms[only].unit)) {
			*addend += s->st_value;
			return target_sym(in, &in->o->syms[only]);
		}
	} else if ((sec->sh.sh_flags & SHF_WRITE) && !sec_relro(sec)) {
		only = sole_symbol(in->o, s->st_shndx, STT_OBJECT);
		if (!only || in->o->syms[only].sym.st_size != sec->sh.sh_size) {
			refuse(in->changed, "%s: reference into %s, which is not one object: build with -fdata-sections",
			       in->o->path, sec->name);
			return -1;
		}
		*addend += s->st_value;
		return map_sym(in, only, addend);
	}
	id = include_section(in, s->st_shndx);
	if (id < 0)
		return -1;
	*addend += s->st_value;
	return hd_emit_secsym(in->em, id);
}

static long map_sym(struct incl *in, size_t idx, int64_t *addend)
{
	const struct dsym *ds;
	const GElf_Sym *s;
	long id;
	int type;

	if (!idx || idx >= in->o->nsyms)
		return -1;
	ds = &in->o->syms[idx];
	s = &ds->sym;
	type = GELF_ST_TYPE(s->st_info);
	if (s->st_shndx != SHN_UNDEF && s->st_shndx < SHN_LORESERVE &&
	    (type == STT_SECTION ||
	     (GELF_ST_BIND(s->st_info) == STB_LOCAL && type == STT_NOTYPE) ||
	     (GELF_ST_BIND(s->st_info) == STB_LOCAL && type == STT_OBJECT &&
	      !get_data(in->o, idx, &(struct obj_data){ 0 }))))
		return map_section_ref(in, s, addend);
	if (in->symmap[idx] >= 0)
		return in->symmap[idx];
	if (s->st_shndx == SHN_UNDEF) {
		GElf_Sym ts;
		int r = hd_build_lookup(in->tgt, ds->name, strlen(ds->name),
					 false, in->objname, 0, &ts);

		if (r < 0)
			return ambiguous(in, ds->name, strlen(ds->name), false,
					 in->objname);
		if (!r && type == STT_TLS) {
			refuse(in->changed, "%s: thread-local %s is not the target's own (a shared library's?): a patch can only use the target's thread-locals",
			       in->o->path, ds->name);
			return -1;
		}
		if (r)
			id = target_undef(in, ds->name, s, &ts);
		else
			id = hd_emit_undef(in->em, ds->name, HDP_SYM_SHLIB, 0);
	} else if (s->st_shndx == SHN_ABS && in->o->linked &&
		   !strncmp(ds->name, HD_END_OF, strlen(HD_END_OF))) {
		id = end_of_sym(in, ds);
	} else if (s->st_shndx >= SHN_LORESERVE) {
		if (in->o->linked)
			refuse(in->changed, "%s: the patch would refer to %s, which hdctl cannot place in the target",
			       in->o->path, ds->name);
		else
			refuse(in->changed, "%s: %s is in a special section, which a patch cannot refer to",
			       in->o->path, ds->name);
		return -1;
	} else if (type == STT_FUNC) {
		if (!in_patch(in, ds->name, ds->unit))
			id = target_sym(in, ds);
		else if (include_section(in, s->st_shndx) < 0)
			id = -1;
		else
			id = hd_emit_defined(in->em, ds->name,
					     GELF_ST_BIND(s->st_info), STT_FUNC,
					     in->secmap[s->st_shndx],
					     s->st_value, s->st_size);
	} else if (type == STT_OBJECT || type == STT_TLS) {
		id = map_data(in, idx);
	} else {
		refuse(in->changed, "%s: reference to %s (symbol type %d) not understood",
		       in->o->path, ds->name, type);
		return -1;
	}
	in->symmap[idx] = id;
	return id;
}

/* Copy the relocations of included section @shndx, resolving symbols. */
static int relocate_section(struct incl *in, size_t shndx)
{
	const struct dsec *sec = &in->o->secs[shndx];
	size_t i;

	for (i = 0; i < sec->nrelas; i++) {
		GElf_Rela r = sec->relas[i];
		unsigned int type = GELF_R_TYPE(r.r_info);
		int64_t addend;
		long sym;

		if (type == R_X86_64_PC8) {
			size_t t = GELF_R_SYM(r.r_info);

			refuse(in->changed, "%s: %s+%#llx jumps to %s with an 8-bit displacement, which cannot reach it from the patch; build with -ffunction-sections",
			       in->o->path, sec->name,
			       (unsigned long long)r.r_offset,
			       t && t < in->o->nsyms ? in->o->syms[t].name : "?");
			return -1;
		}
		if (!hd_reloc_width(type)) {
			size_t t = GELF_R_SYM(r.r_info);

			refuse(in->changed, "%s: %s+%#llx: relocation type %u against %s is not supported",
			       in->o->path, sec->name,
			       (unsigned long long)r.r_offset, type,
			       t && t < in->o->nsyms ? in->o->syms[t].name : "?");
			return -1;
		}
		addend = r.r_addend;
		sym = map_sym(in, GELF_R_SYM(r.r_info), &addend);
		if (sym < 0 || hd_emit_rela(in->em, in->secmap[shndx], r.r_offset,
					    type, addend, sym))
			return -1;
	}
	return 0;
}

static int add_func(struct incl *in, const struct hd_func_change *c)
{
	const struct obj_func *nf = NULL;
	const uint8_t *bytes;
	int64_t addend = 0;
	GElf_Sym ts;
	size_t i;
	long sym;
	int r;

	for (i = 0; i < in->o->nfuncs && !nf; i++)
		if (!strcmp(in->o->funcs[i].name, c->name) &&
		    obj_same_unit(in->o->funcs[i].unit, c->unit))
			nf = &in->o->funcs[i];
	if (!nf)
		return -1;
	sym = map_sym(in, nf->symidx, &addend);
	if (sym < 0)
		return -1;
	if (c->status == HD_FUNC_NEW)
		return hd_emit_func(in->em, sym, HDP_FUNC_NEW, c->name, 0, 0, 0);
	r = hd_build_lookup(in->tgt, c->name, strlen(c->name),
			    GELF_ST_BIND(nf->sym.st_info) == STB_LOCAL,
			    c->unit ? c->unit : in->objname,
			    nf->twin->sym.st_size, &ts);
	if (r < 0)
		return ambiguous(in, c->name, strlen(c->name),
				 GELF_ST_BIND(nf->sym.st_info) == STB_LOCAL,
				 c->unit ? c->unit : in->objname);
	if (!r) {
		refuse(in->changed, "%s: %s is not in the target %s",
		       in->o->path, c->name, in->tgt->path);
		return -1;
	}
	if (ts.st_size != nf->twin->sym.st_size) {
		refuse(in->changed, "%s: %s is %llu bytes in the target but %llu in the old build: the old build must be the one that runs (to stack a patch on an earlier one, diff the running build against the newest source)",
		       in->o->path, c->name, (unsigned long long)ts.st_size,
		       (unsigned long long)nf->twin->sym.st_size);
		return -1;
	}
	bytes = hd_build_bytes(in->tgt, ts.st_value, ts.st_size);
	if (!bytes) {
		refuse(in->changed, "%s: %s: its bytes are not in the target file",
		       in->tgt->path, c->name);
		return -1;
	}
	r = hd_emit_func(in->em, sym, c->once, c->name, ts.st_value,
			 ts.st_size, hdp_hash(bytes, ts.st_size));
	if (r == -EEXIST) {
		refuse(in->changed, "%s: %s shares its address in the target with another function (an alias) whose new code differs: one address cannot take both",
		       in->o->path, c->name);
		return -1;
	}
	return r;
}

/*
 * Stage 4 for unwinding: the FDEs of the included code, with the CIEs
 * they use, become one .eh_frame of the patch (ended by a terminator),
 * which apply has the process register so that an exception, a forced
 * unwind or a backtrace can pass the new frames.  What the records
 * refer to (an LSDA in .gcc_except_table, the personality routine's
 * DW.ref slot) is mapped like any reference of the code: carried, or
 * the target's own.
 */
struct eh_out {
	uint8_t *buf;
	size_t len, cap;
	GElf_Rela *relas;	/* r_info's symbol: an emitted symbol id */
	size_t nrelas, caprelas;
	long *copied;		/* record -> its offset in buf, or -1 */
};

static int eh_grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	p = realloc(*v, c * size);
	if (!p)
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

/* Copy record @r, and map the relocations inside it. */
static long eh_copy(struct incl *in, const struct dsec *sec,
		    const struct hd_eh_rec *r, struct eh_out *e)
{
	size_t at = e->len, i;

	if (eh_grow((void **)&e->buf, &e->cap, e->len + r->size + 4, 1))
		return hd_fail(in->o->err, -ENOMEM, "out of memory");
	memcpy(e->buf + at, sec->data + r->off, r->size);
	e->len += r->size;
	for (i = 0; i < sec->nrelas; i++) {
		const GElf_Rela *rel = &sec->relas[i];
		int64_t addend = rel->r_addend;
		GElf_Rela *o;
		long sym;

		if (rel->r_offset < r->off || rel->r_offset >= r->off + r->size)
			continue;
		sym = map_sym(in, GELF_R_SYM(rel->r_info), &addend);
		if (sym < 0)
			return -1;
		if (eh_grow((void **)&e->relas, &e->caprelas, e->nrelas + 1,
			    sizeof(*o)))
			return hd_fail(in->o->err, -ENOMEM, "out of memory");
		o = &e->relas[e->nrelas++];
		o->r_offset = at + (rel->r_offset - r->off);
		o->r_info = GELF_R_INFO(sym, GELF_R_TYPE(rel->r_info));
		o->r_addend = addend;
	}
	return at;
}

/* Whether the FDE with pc_begin relocation @rel covers included code. */
static bool eh_included(const struct incl *in, const GElf_Rela *rel)
{
	size_t si = GELF_R_SYM(rel->r_info);
	const struct dsec *code;
	size_t shndx;

	if (!si || si >= in->o->nsyms)
		return false;
	shndx = in->o->syms[si].sym.st_shndx;
	code = obj_sec(in->o, shndx);
	return code && (code->sh.sh_flags & SHF_EXECINSTR) &&
	       in->secmap[shndx] >= 0;
}

static int eh_include(struct incl *in, const struct dsec *sec,
		      const struct hd_eh_rec *v, size_t n, struct eh_out *e)
{
	size_t i;
	long id;

	for (i = 0; i < sec->nrelas; i++) {
		const struct hd_eh_rec *fde = hd_eh_fde_of(v, n,
							   sec->relas[i].r_offset);
		const struct hd_eh_rec *cie;
		long at, cat;
		uint32_t ptr;

		if (!fde || !eh_included(in, &sec->relas[i]) ||
		    e->copied[fde - v] >= 0)
			continue;
		cie = hd_eh_rec_at(v, n, fde->cie_off);	/* checked to exist */
		if (e->copied[cie - v] < 0) {
			e->copied[cie - v] = eh_copy(in, sec, cie, e);
			if (e->copied[cie - v] < 0)
				return -1;
		}
		cat = e->copied[cie - v];
		at = eh_copy(in, sec, fde, e);
		if (at < 0)
			return -1;
		e->copied[fde - v] = at;
		ptr = (uint32_t)(at + 4 - cat);
		memcpy(e->buf + at + 4, &ptr, sizeof(ptr));
	}
	if (!e->len)
		return 0;
	memset(e->buf + e->len, 0, 4);	/* the terminator */
	e->len += 4;
	id = hd_emit_section(in->em, ".eh_frame", SHT_PROGBITS, SHF_ALLOC, 8,
			     e->buf, e->len);
	if (id < 0)
		return -1;
	for (i = 0; i < e->nrelas; i++)
		if (hd_emit_rela(in->em, id, e->relas[i].r_offset,
				 GELF_R_TYPE(e->relas[i].r_info),
				 e->relas[i].r_addend,
				 GELF_R_SYM(e->relas[i].r_info)))
			return -1;
	return 0;
}

static int include_unwind(struct incl *in)
{
	size_t eh = hd_eh_section(in->o), n = 0, i;
	struct eh_out e = { 0 };
	struct hd_eh_rec *v;
	int ret = -1;

	if (!eh)
		return 0;
	if (hd_eh_records(&in->o->secs[eh], &v, &n))
		return hd_fail(in->o->err, 0, "%s: its .eh_frame is malformed (or out of memory)",
			       in->o->path);
	e.copied = malloc((n + 1) * sizeof(*e.copied));
	if (!e.copied) {
		hd_fail(in->o->err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		e.copied[i] = -1;
	ret = eh_include(in, &in->o->secs[eh], v, n, &e);
out:
	free(v);
	free(e.copied);
	free(e.buf);
	free(e.relas);
	return ret;
}

/*
 * A function that could not be included was refused (the refusal is
 * recorded, and the others are tried: every refusal is reported at once)
 * or hit an error (recorded in the model's error: stop).  A failure that
 * said nothing ran out of memory in the writer.
 */
static bool stop_after(struct incl *in, size_t nrefusals)
{
	if (in->o->err->code)
		return true;
	if (in->changed->nrefusals > nrefusals)
		return false;
	hd_fail(in->o->err, -ENOMEM, "out of memory");
	return true;
}

static int include_and_emit(struct obj *old, struct obj *new,
			    struct hd_diff *changed, size_t from,
			    struct hd_emit *em, struct hd_build *tgt)
{
	struct incl in = { .o = new, .old = old, .em = em, .tgt = tgt,
			   .changed = changed, .from = from };
	const char *slash = strrchr(new->path, '/');
	size_t i, n;
	int ret = -1;

	in.objname = slash ? slash + 1 : new->path;
	in.secmap = malloc((new->nsecs + 1) * sizeof(*in.secmap));
	in.symmap = malloc((new->nsyms + 1) * sizeof(*in.symmap));
	in.work = malloc((new->nsecs + 1) * sizeof(*in.work));
	if (!in.secmap || !in.symmap || !in.work) {
		hd_fail(new->err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < new->nsecs; i++)
		in.secmap[i] = -1;
	for (i = 0; i < new->nsyms; i++)
		in.symmap[i] = -1;
	for (i = from; i < changed->n; i++) {
		n = changed->nrefusals;
		if (add_func(&in, &changed->funcs[i]) && stop_after(&in, n))
			goto out;
	}
	n = changed->nrefusals;
	if (include_unwind(&in) && stop_after(&in, n))
		goto out;
	/* Relocating an included section may include more. */
	for (i = 0; i < in.nwork; i++) {
		n = changed->nrefusals;
		if (relocate_section(&in, in.work[i]) && stop_after(&in, n))
			goto out;
	}
	ret = 0;
out:
	free(in.secmap);
	free(in.symmap);
	free(in.work);
	return ret;
}

/* Stage 3 for functions: compare each new function with its twin. */
static int compare_funcs(struct obj *old, struct obj *new,
			 struct hd_diff *out)
{
	size_t i;

	for (i = 0; i < new->nfuncs; i++) {
		struct obj_func *nf = &new->funcs[i];
		char *why = NULL;
		int r;

		if (!nf->twin) {
			if (note(out, "%s: new %s: not in the old build",
				 new->path, nf->name) ||
			    add_change(out, nf, HD_FUNC_NEW, NULL))
				return -1;
			continue;
		}
		r = compare_func(old, nf->twin, new, nf, &why);
		if (r < 0)
			return -1;
		if (note(out, "%s: %s %s%s%s", new->path,
			 r == 2 ? "line-only" : r ? "changed" : "same",
			 nf->name, r ? ": " : "", r ? why : "")) {
			free(why);
			return -1;
		}
		if (r == 2 && !out->keep_line_changes) {
			free(why);
			if (add_line_only(out, nf->name))
				return -1;
			continue;
		}
		if (!r) {
			free(why);
			continue;
		}
		if (nf->twin->sym.st_size < HD_X86_JMP_SIZE) {
			free(why);
			if (refuse(out, "%s: %s is %llu bytes, shorter than the %d-byte jump that would redirect it",
				   old->path, nf->name,
				   (unsigned long long)nf->twin->sym.st_size,
				   HD_X86_JMP_SIZE))
				return -1;
			continue;
		}
		if (add_change(out, nf, HD_FUNC_CHANGED, why))
			return -1;
	}
	return 0;
}

/*
 * Stage 3 for unwinding: in a build with exceptions, new code an
 * exception may have to unwind through needs unwind tables of its own.
 */
static int check_unwind(struct obj *new, struct hd_diff *out, size_t from)
{
	size_t i, k;
	int r;

	if (from == out->n || !hd_uses_exceptions(new))
		return 0;
	for (k = from; k < out->n; k++) {
		const struct hd_func_change *c = &out->funcs[k];

		for (i = 0; i < new->nfuncs; i++) {
			const struct obj_func *f = &new->funcs[i];

			if (strcmp(f->name, c->name) ||
			    !obj_same_unit(f->unit, c->unit))
				continue;
			r = hd_eh_covers(new, f->sym.st_shndx, f->sym.st_value);
			if (r < 0)
				return hd_fail(new->err, 0, "%s: its .eh_frame is malformed (or out of memory)",
					       new->path);
			if (!r)
				r = hd_func_calls(f);
			else
				r = 0;
			if (r < 0)
				return hd_fail(new->err, -ENOMEM,
					       "cannot start the x86-64 decoder (capstone)");
			if (r && refuse(out, "%s: %s calls other functions in a build with exceptions, but has no unwind tables (.eh_frame): an exception thrown below it, or pthread_cancel, could not pass its frame; build it with unwind tables (gcc's default, not -fno-asynchronous-unwind-tables)",
					new->path, c->name))
				return -1;
			break;
		}
	}
	return 0;
}

static int diff_builds(const char *old_path, const char *new_path,
		       bool linked, struct hd_diff *out, struct hd_emit *em,
		       struct hd_build *tgt)
{
	struct obj old, new;
	size_t i, from = out->n;
	int ret = -1;

	elf_version(EV_CURRENT);
	if (obj_open(&old, old_path, linked, &out->err))
		goto fail;
	if (obj_open(&new, new_path, linked, &out->err))
		goto close_old;
	correlate(&old, &new);
	if (compare_funcs(&old, &new, out) ||
	    compare_data(&old, &new, out, from) ||
	    mark_once(&old, &new, out, from) ||
	    check_unwind(&new, out, from))
		goto close_new;
	if (em && include_and_emit(&old, &new, out, from, em, tgt))
		goto close_new;
	for (i = 0; i < old.nfuncs; i++)
		if (!old.funcs[i].twin &&
		    note(out, "%s: removed %s: stays in the target, unused by the patch",
			 old_path, old.funcs[i].name))
			goto close_new;
	ret = 0;
close_new:
	obj_close(&new);
close_old:
	obj_close(&old);
fail:
	/* A failure nothing explained is an allocation that failed. */
	if (ret && !out->err.code)
		hd_fail(&out->err, -ENOMEM, "out of memory");
	return ret;
}

int hd_diff_objects(const char *old_path, const char *new_path,
		    struct hd_diff *out, struct hd_emit *em,
		    struct hd_build *tgt)
{
	return diff_builds(old_path, new_path, false, out, em, tgt);
}

int hd_diff_binaries(const char *old_path, const char *new_path,
		     struct hd_diff *out, struct hd_emit *em,
		     struct hd_build *tgt)
{
	return diff_builds(old_path, new_path, true, out, em, tgt);
}

static void free_lines(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void hd_diff_free(struct hd_diff *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->funcs[i].name);
		free(d->funcs[i].unit);
		free(d->funcs[i].why);
	}
	free(d->funcs);
	free_lines(d->notes, d->nnotes);
	free_lines(d->refusals, d->nrefusals);
	free_lines(d->line_only, d->nline_only);
	memset(d, 0, sizeof(*d));
}
