/* SPDX-License-Identifier: GPL-2.0 */
/* Whole files in memory. */
#ifndef HD_BASE_FILE_H
#define HD_BASE_FILE_H

#include <stddef.h>

#include "base/error.h"

/* The file at @path, malloc'ed (at most 1 GiB), or NULL with @err set. */
void *hd_slurp(const char *path, size_t *len, struct hd_error *err);

#endif /* HD_BASE_FILE_H */
