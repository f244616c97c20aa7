/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-memory model hdctl diff works on: one build as the relocatable
 * object its compiler would have written with -ffunction-sections
 * -fdata-sections.  A real object (diffobj.c) maps onto it one to one;
 * a binary linked with --emit-relocs (diffbin.c) is split back into it:
 * one section per function and per data object, relocations made
 * relative to them.  The stages in diff.c see only the model.
 */
#ifndef HD_DIFFOBJ_H
#define HD_DIFFOBJ_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct hd_lines;

struct dsec {
	const char *name;
	GElf_Shdr sh;		/* type, flags, alignment and size */
	const uint8_t *data;	/* sh_size bytes; NULL for SHT_NOBITS */
	uint64_t cmpsize;	/* when not 0: the bytes that identify it */
	GElf_Rela *relas;	/* offsets in this section, symbols model ones */
	size_t nrelas;
};

struct dsym {
	GElf_Sym sym;		/* st_shndx a model section, st_value in it */
	const char *name;
	const char *unit;	/* a local's source file or object, else NULL */
};

struct obj_func {
	const char *name;
	const char *unit;
	GElf_Sym sym;
	const uint8_t *code;	/* st_size bytes, inside the section data */
	const GElf_Rela *rela;	/* its section's relocations */
	size_t nrela;
	struct obj_func *twin;	/* its correlate in the other build */
	size_t symidx;
};

struct obj {
	const char *path;
	bool linked;		/* split from a linked binary */
	int fd;
	Elf *elf;
	struct dsec *secs;	/* [0] is the null section */
	size_t nsecs;
	struct dsym *syms;	/* [0] is the null symbol */
	size_t nsyms;
	struct obj_func *funcs;
	size_t nfuncs;
	void **owned;		/* freed with the model */
	size_t nowned;
	struct hd_error *err;	/* what failed, when loading or using it */
	struct hd_lines *lines;	/* its debug information, once asked for */
};

/*
 * A reference a linked build makes through a section to the end of a
 * static object, which is also where what follows it starts: the model
 * names it HD_END_OF "NAME, or what follows it (N bytes, HASH)", an
 * SHN_ABS symbol of NAME's unit.  The patch may use it where the target
 * has the same N bytes after NAME: then both readings are one address.
 */
#define HD_END_OF	"the end of "
#define HD_END_OF_FMT	HD_END_OF "%s, or what follows it (%zu bytes, %016llx)"

/* Fill @o from a relocatable object (diffobj.c). */
int obj_load_rel(struct obj *o, const char *path, struct hd_error *err);
/* Fill @o from a binary linked with --emit-relocs (diffbin.c). */
int obj_load_bin(struct obj *o, const char *path, struct hd_error *err);
void obj_close(struct obj *o);

/* Zeroed memory, or a copy of @s, that lives as long as @o; NULL: OOM. */
void *obj_alloc(struct obj *o, size_t size);
char *obj_strdup(struct obj *o, const char *s);

/* Section @i of the model, or NULL when out of range. */
static inline const struct dsec *obj_sec(const struct obj *o, size_t i)
{
	return i && i < o->nsecs ? &o->secs[i] : NULL;
}

/* Whether two units (NULL: global) are the same source file. */
bool obj_same_unit(const char *a, const char *b);

#endif /* HD_DIFFOBJ_H */
