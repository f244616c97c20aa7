/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unwind tables of a build, as the model holds them: its .eh_frame
 * section (one in an object, the whole output section in a linked
 * build), read record by record.  A patch carries the FDEs of its
 * functions and the CIEs they use; their LSDAs (.gcc_except_table) and
 * the personality routine's slot are references like any other.
 */
#ifndef HD_DIFF_UNWIND_H
#define HD_DIFF_UNWIND_H

#include <stdbool.h>
#include <stddef.h>

#include "diff/model.h"

/* One CIE or FDE of an .eh_frame section. */
struct hd_eh_rec {
	size_t off;		/* its length field */
	size_t size;		/* the whole record */
	bool cie;
	size_t cie_off;		/* an FDE's CIE */
};

/* The model's .eh_frame section, or 0 when the build has none. */
size_t hd_eh_section(const struct obj *o);
/*
 * Every record of @sec up to its terminator, in order, in a malloc()ed
 * *@v.  0, or -1 when malformed (64-bit DWARF, a record out of the
 * section, an FDE whose CIE is not one) or out of memory (*@v NULL).
 */
int hd_eh_records(const struct dsec *sec, struct hd_eh_rec **v, size_t *n);
/* The record starting at @off, or NULL (@v is in offset order). */
const struct hd_eh_rec *hd_eh_rec_at(const struct hd_eh_rec *v, size_t n,
				     uint64_t off);
/*
 * The FDE whose pc_begin (the field after its CIE pointer) a relocation
 * at offset @field fills, or NULL.
 */
const struct hd_eh_rec *hd_eh_fde_of(const struct hd_eh_rec *v, size_t n,
				     uint64_t field);
/*
 * Whether @o's .eh_frame has an FDE for code at offset @value of model
 * section @shndx.  1, 0, or -1 when the table is malformed.
 */
int hd_eh_covers(const struct obj *o, size_t shndx, uint64_t value);

/* The build unwinds for exceptions: it uses a personality routine. */
bool hd_uses_exceptions(struct obj *o);
/*
 * @f calls another function (so that an exception may unwind through
 * its frame): 1, 0 for a leaf or tail calls only, -1 on error.
 */
int hd_func_calls(const struct obj_func *f);

#endif /* HD_DIFF_UNWIND_H */
