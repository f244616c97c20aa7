// SPDX-License-Identifier: GPL-2.0
/*
 * The model of one build (diffobj.h), filled from a relocatable object:
 * its sections, symbols and relocations as they are, locals tagged with
 * the object's name so that same-named statics of two files stay apart.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff/lines.h"
#include "diff/model.h"
#include "elf/reloc.h"

void *obj_alloc(struct obj *o, size_t size)
{
	void **v = realloc(o->owned, (o->nowned + 1) * sizeof(*v));
	void *p;

	if (!v)
		return NULL;
	o->owned = v;
	p = calloc(1, size ? size : 1);
	if (p)
		o->owned[o->nowned++] = p;
	return p;
}

char *obj_strdup(struct obj *o, const char *s)
{
	char *p = obj_alloc(o, strlen(s) + 1);

	if (p)
		strcpy(p, s);
	return p;
}

void obj_close(struct obj *o)
{
	size_t i;

	for (i = 0; i < o->nowned; i++)
		free(o->owned[i]);
	free(o->owned);
	free(o->funcs);
	hd_lines_free(o);
	if (o->elf)
		elf_end(o->elf);
	if (o->fd >= 0)
		close(o->fd);
	memset(o, 0, sizeof(*o));
	o->fd = -1;
}

bool obj_same_unit(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int load_sections(struct obj *o)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrnum(o->elf, &o->nsecs) ||
	    elf_getshdrstrndx(o->elf, &shstrndx)) {
		hd_fail(o->err, 0, "%s: %s", o->path, elf_errmsg(-1));
		return -1;
	}
	o->secs = obj_alloc(o, o->nsecs * sizeof(*o->secs));
	if (!o->secs)
		goto oom;
	while ((scn = elf_nextscn(o->elf, scn))) {
		struct dsec *s = &o->secs[elf_ndxscn(scn)];
		Elf_Data *d;

		if (!gelf_getshdr(scn, &s->sh))
			goto bad;
		s->name = elf_strptr(o->elf, shstrndx, s->sh.sh_name);
		if (!s->name)
			goto bad;
		if (s->sh.sh_type == SHT_NOBITS)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || (s->sh.sh_type == SHT_PROGBITS &&
			   d->d_size != s->sh.sh_size))
			goto bad;
		s->data = d->d_buf;
	}
	return 0;
bad:
	hd_fail(o->err, 0, "%s: unreadable section: %s", o->path, elf_errmsg(-1));
	return -1;
oom:
	hd_fail(o->err, 0, "out of memory");
	return -1;
}

/* Each SHT_RELA section's entries, attached to the section they patch. */
static int load_relas(struct obj *o)
{
	size_t i, j, n;

	for (i = 1; i < o->nsecs; i++) {
		const struct dsec *r = &o->secs[i];
		struct dsec *to;
		Elf_Data *d;

		if (r->sh.sh_type != SHT_RELA || !r->sh.sh_entsize)
			continue;
		to = r->sh.sh_info < o->nsecs ? &o->secs[r->sh.sh_info] : NULL;
		d = elf_getdata(elf_getscn(o->elf, i), NULL);
		n = r->sh.sh_size / r->sh.sh_entsize;
		if (!to || !d || to->relas) {
			hd_fail(o->err, 0, "%s: relocation section %s not understood",
				o->path, r->name);
			return -1;
		}
		to->relas = obj_alloc(o, n * sizeof(*to->relas));
		if (!to->relas) {
			hd_fail(o->err, 0, "out of memory");
			return -1;
		}
		for (j = 0; j < n; j++)
			if (!gelf_getrela(d, j, &to->relas[j])) {
				hd_fail(o->err, 0, "%s: %s: unreadable relocation %zu",
					o->path, r->name, j);
				return -1;
			}
		to->nrelas = n;
	}
	return 0;
}

static int load_symbols(struct obj *o)
{
	const char *slash = strrchr(o->path, '/');
	const char *unit = slash ? slash + 1 : o->path;
	Elf_Data *d = NULL;
	size_t i, strndx = 0;

	for (i = 1; i < o->nsecs && !d; i++) {
		if (o->secs[i].sh.sh_type != SHT_SYMTAB || !o->secs[i].sh.sh_entsize)
			continue;
		d = elf_getdata(elf_getscn(o->elf, i), NULL);
		o->nsyms = o->secs[i].sh.sh_size / o->secs[i].sh.sh_entsize;
		strndx = o->secs[i].sh.sh_link;
	}
	if (!d) {
		hd_fail(o->err, 0, "%s: no symbol table", o->path);
		return -1;
	}
	o->syms = obj_alloc(o, o->nsyms * sizeof(*o->syms));
	if (!o->syms) {
		hd_fail(o->err, 0, "out of memory");
		return -1;
	}
	for (i = 1; i < o->nsyms; i++) {
		struct dsym *s = &o->syms[i];

		if (!gelf_getsym(d, i, &s->sym)) {
			hd_fail(o->err, 0, "%s: unreadable symbol %zu", o->path, i);
			return -1;
		}
		s->name = elf_strptr(o->elf, strndx, s->sym.st_name);
		if (!s->name) {
			hd_fail(o->err, 0, "%s: symbol %zu has no name", o->path, i);
			return -1;
		}
		if (GELF_ST_BIND(s->sym.st_info) == STB_LOCAL)
			s->unit = unit;
	}
	return 0;
}

int obj_load_rel(struct obj *o, const char *path, struct hd_error *err)
{
	GElf_Ehdr eh;

	memset(o, 0, sizeof(*o));
	o->err = err;
	o->path = path;
	o->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (o->fd < 0) {
		hd_fail(o->err, 0, "%s: %s", path, strerror(errno));
		return -1;
	}
	o->elf = elf_begin(o->fd, ELF_C_READ, NULL);
	if (!o->elf || elf_kind(o->elf) != ELF_K_ELF || !gelf_getehdr(o->elf, &eh)) {
		hd_fail(o->err, 0, "%s: not an ELF file", path);
		goto fail;
	}
	if (eh.e_type != ET_REL || eh.e_machine != EM_X86_64) {
		hd_fail(o->err, 0, "%s: not an x86-64 relocatable object", path);
		goto fail;
	}
	if (load_sections(o) || load_relas(o) || load_symbols(o))
		goto fail;
	return 0;
fail:
	obj_close(o);
	return -1;
}
