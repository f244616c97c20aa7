/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Functions that changed only because lines moved: __LINE__ in assert
 * and panic macros is an immediate operand, so an edit above a function
 * changes its code without changing what it does.
 */
#ifndef HD_DIFF_LINES_H
#define HD_DIFF_LINES_H

#include <stdint.h>

#include "diff/model.h"

/*
 * Whether @nf differs from its twin @of only in immediate operands that
 * are line numbers (what differs being outside the relocated fields,
 * @mask).  An immediate counts as a line number when it lies at or after
 * the function's declaration line in each build (DWARF's DW_AT_decl_line)
 * and moved by exactly as much as the function did.  1 if so, 0 if not
 * (or when either build has no debug information), -1 on error.
 */
int hd_line_only(struct obj *old, const struct obj_func *of, struct obj *new,
		 const struct obj_func *nf, const uint8_t *mask);

/* Release what hd_line_only() cached in @o. */
void hd_lines_free(struct obj *o);

#endif /* HD_DIFF_LINES_H */
