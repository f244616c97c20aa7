/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a patch cannot give yet: unwind tables for its code.  The
 * unwinder finds a frame's tables through the loaded objects, and patch
 * code belongs to none, so an exception or a forced unwind (C++ throw,
 * pthread_cancel) that has to pass a patched frame calls abort().
 */
#ifndef HD_DIFF_UNWIND_H
#define HD_DIFF_UNWIND_H

#include <stdbool.h>

#include "diff/model.h"

/* The build unwinds for exceptions: it uses a personality routine. */
bool hd_uses_exceptions(struct obj *o);
/*
 * @f calls another function (so that an exception may unwind through
 * its frame): 1, 0 for a leaf or tail calls only, -1 on error.
 */
int hd_func_calls(const struct obj_func *f);

#endif /* HD_DIFF_UNWIND_H */
