// SPDX-License-Identifier: GPL-2.0
/* Whole files in memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"

#define HD_SLURP_MAX	(1UL << 30)

void *hd_slurp(const char *path, size_t *len, struct hd_error *err)
{
	size_t cap = 1 << 16, n = 0, r;
	char *buf = malloc(cap), *p;
	FILE *f = fopen(path, "rb");

	if (!f || !buf) {
		hd_fail(err, -errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n < cap)
			continue;
		if (cap >= HD_SLURP_MAX) {
			hd_fail(err, -EFBIG, "%s: larger than 1 GiB", path);
			goto fail;
		}
		p = realloc(buf, cap *= 2);
		if (!p) {
			hd_fail(err, -ENOMEM, "out of memory");
			goto fail;
		}
		buf = p;
	}
	if (ferror(f)) {
		hd_fail(err, -errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	*len = n;
	return buf;
fail:
	if (f)
		fclose(f);
	free(buf);
	return NULL;
}
