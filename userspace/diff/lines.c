// SPDX-License-Identifier: GPL-2.0
/*
 * Line-only changes.  The evidence is the debug information of both
 * builds, read with libdwfl (which applies an object file's relocations
 * to its DWARF): the function's declaration line in each, so the shift
 * the edit above it caused, and the code of both, decoded (capstone):
 * same instructions, same encodings, only immediates that moved by that
 * shift and lie inside the function.  A constant a fix changed (x * 3 to
 * x * 4) is never a line number below its function's first line.
 */
#include <capstone/capstone.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diff/lines.h"

struct hd_lines {
	Dwfl *dwfl;
	Dwarf *dw;		/* NULL: no debug information */
};

static const Dwfl_Callbacks offline = {
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

static struct hd_lines *lines_of(struct obj *o)
{
	struct hd_lines *l = o->lines;
	Dwfl_Module *m;
	Dwarf_Addr bias;

	if (l)
		return l;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	o->lines = l;
	l->dwfl = dwfl_begin(&offline);
	if (!l->dwfl)
		return l;
	m = dwfl_report_offline(l->dwfl, "", o->path, -1);
	dwfl_report_end(l->dwfl, NULL, NULL);
	if (m)
		l->dw = dwfl_module_getdwarf(m, &bias);
	return l;
}

void hd_lines_free(struct obj *o)
{
	struct hd_lines *l = o->lines;

	if (!l)
		return;
	if (l->dwfl)
		dwfl_end(l->dwfl);
	free(l);
	o->lines = NULL;
}

/* Count in *@n the subprograms named @name under @die, their line in *@line. */
static void decl_line_in(Dwarf_Die *die, const char *name, int *line, int *n)
{
	Dwarf_Die child;
	const char *dn;

	if (dwarf_child(die, &child))
		return;
	do {
		if (dwarf_tag(&child) != DW_TAG_subprogram ||
		    !dwarf_hasattr(&child, DW_AT_low_pc))
			continue;
		dn = dwarf_diename(&child);
		if (!dn || strcmp(dn, name)) {
			Dwarf_Attribute a, *la;

			la = dwarf_attr_integrate(&child, DW_AT_linkage_name, &a);
			dn = dwarf_formstring(la);
			if (!dn || strcmp(dn, name))
				continue;
		}
		if (!dwarf_decl_line(&child, line))
			(*n)++;
	} while (dwarf_siblingof(&child, &child) == 0);
}

static bool decl_line(struct obj *o, const char *name, int *line)
{
	struct hd_lines *l = lines_of(o);
	Dwarf_Off off = 0, next;
	size_t hsize;
	int n = 0;

	if (!l || !l->dw)
		return false;
	while (dwarf_nextcu(l->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;

		if (dwarf_offdie(l->dw, off + hsize, &cu))
			decl_line_in(&cu, name, line, &n);
		off = next;
	}
	return n == 1;
}

/* Both immediates the only difference of two encodings, and lines. */
static bool line_imm(const cs_insn *a, const cs_insn *b, int64_t shift,
		     int first_old, int first_new)
{
	const cs_x86 *xa = &a->detail->x86, *xb = &b->detail->x86;
	uint8_t off = xa->encoding.imm_offset, size = xa->encoding.imm_size;
	int64_t ia = 0, ib = 0;
	int i;

	if (a->id != b->id || a->size != b->size || !size ||
	    off != xb->encoding.imm_offset || size != xb->encoding.imm_size ||
	    memcmp(a->bytes, b->bytes, off) ||
	    memcmp(a->bytes + off + size, b->bytes + off + size,
		   a->size - off - size))
		return false;
	for (i = 0; i < xa->op_count; i++)
		if (xa->operands[i].type == X86_OP_IMM)
			ia = xa->operands[i].imm;
	for (i = 0; i < xb->op_count; i++)
		if (xb->operands[i].type == X86_OP_IMM)
			ib = xb->operands[i].imm;
	return ib - ia == shift && ia >= first_old && ib >= first_new;
}

/* The decoded instructions of both differ only by line_imm(). */
static int same_but_lines(const struct obj_func *of, const struct obj_func *nf,
			  const uint8_t *mask, int64_t shift, int lo, int ln)
{
	cs_insn *a = NULL, *b = NULL;
	size_t na, nb, i;
	int ret = 0;
	csh cs;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return 0;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	na = cs_disasm(cs, of->code, of->sym.st_size, 0, 0, &a);
	nb = cs_disasm(cs, nf->code, nf->sym.st_size, 0, 0, &b);
	if (!na || na != nb)
		goto out;
	for (i = 0; i < na; i++) {
		bool masked = false;
		size_t k;

		if (a[i].address != b[i].address)
			goto out;
		if (!memcmp(a[i].bytes, b[i].bytes, a[i].size))
			continue;
		/* A relocated field's bytes are compared by the relocation. */
		for (k = 0; k < a[i].size; k++)
			masked |= mask[a[i].address + k];
		if (masked || !line_imm(&a[i], &b[i], shift, lo, ln))
			goto out;
	}
	/* Every byte decoded: nothing after the last instruction differs. */
	ret = b[nb - 1].address + b[nb - 1].size == nf->sym.st_size;
out:
	if (a)
		cs_free(a, na);
	if (b)
		cs_free(b, nb);
	cs_close(&cs);
	return ret;
}

/*
 * @f's declaration line, or an alias's: C++'s D1 destructor is D2's code,
 * and the debug information names only one of them.
 */
static bool func_decl_line(struct obj *o, const struct obj_func *f, int *line)
{
	size_t i;

	if (decl_line(o, f->name, line))
		return true;
	for (i = 0; i < o->nfuncs; i++) {
		const struct obj_func *a = &o->funcs[i];

		if (a != f && a->sym.st_shndx == f->sym.st_shndx &&
		    a->sym.st_value == f->sym.st_value &&
		    decl_line(o, a->name, line))
			return true;
	}
	return false;
}

int hd_line_only(struct obj *old, const struct obj_func *of, struct obj *new,
		 const struct obj_func *nf, const uint8_t *mask)
{
	int lo, ln;

	if (of->sym.st_size != nf->sym.st_size ||
	    !func_decl_line(old, of, &lo) || !func_decl_line(new, nf, &ln) ||
	    lo == ln)
		return 0;
	return same_but_lines(of, nf, mask, (int64_t)ln - lo, lo, ln);
}
