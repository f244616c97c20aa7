/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which new object is the new build of which old one: the same path
 * relative to each build's root (redis has src/sds.o and
 * deps/hiredis/sds.o), else the same file name where only one has it.
 */
#ifndef HD_DIFF_PAIR_H
#define HD_DIFF_PAIR_H

#include <stddef.h>

#include "base/error.h"

/*
 * @old and @new, @n paths each.  Sets @pair[i] to the index in @new of
 * the new build of @old[i].  Returns 0, or a negative errno with @err
 * naming the object that has no counterpart or cannot be told apart.
 */
int hd_pair_objects(char *const *old, char *const *new, size_t n,
		    size_t *pair, struct hd_error *err);

#endif /* HD_DIFF_PAIR_H */
