// SPDX-License-Identifier: GPL-2.0
/*
 * hdctl apply --save-image DIR: the patch as resolved against one process,
 * the bytes and addresses the module would get, in two files:
 *
 *   code.bin     the code to map at code_addr, page-rounded
 *   redirects    "pid PID", "code_addr ADDR", "code_size SIZE", then one
 *                line per redirect: "func OLD NEW EXPECT NAME", addresses
 *                in hex, EXPECT the bytes OLD must hold now, in hex
 *
 * Both are written to temporary names and renamed, so a reader never sees
 * half a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply/image.h"

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Write @n bytes to @dir/@name through @dir/.@name.tmp. */
static int put_file(const char *dir, const char *name, const void *buf,
		    size_t n, char *err, size_t len)
{
	char tmp[4096], path[4096];
	const char *p = buf;
	ssize_t w;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >=
	    (int)sizeof(tmp) ||
	    snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return fail(err, len, "%s: path too long", dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail(err, len, "cannot create %s: %s", tmp, strerror(errno));
	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fail(err, len, "cannot write %s: %s", tmp,
			     w < 0 ? strerror(errno) : "short write");
			close(fd);
			unlink(tmp);
			return -1;
		}
		p += w;
		n -= w;
	}
	if (close(fd) || rename(tmp, path)) {
		fail(err, len, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int hd_image_save(const char *dir, pid_t pid, uint64_t addr,
		  const uint8_t *image, size_t size,
		  const struct hd_func *funcs, const char *const *names,
		  __u32 nfuncs, char *err, size_t len)
{
	char *text = NULL;
	size_t tlen = 0;
	__u32 i, k;
	FILE *f;
	int ret;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return fail(err, len, "cannot create %s: %s", dir, strerror(errno));
	f = open_memstream(&text, &tlen);
	if (!f)
		return fail(err, len, "out of memory");
	fprintf(f, "pid %d\ncode_addr %#" PRIx64 "\ncode_size %zu\n", (int)pid,
		addr, size);
	for (i = 0; i < nfuncs; i++) {
		fprintf(f, "func %#llx %#llx ",
			(unsigned long long)funcs[i].old_addr,
			(unsigned long long)funcs[i].new_addr);
		for (k = 0; k < funcs[i].expect_len; k++)
			fprintf(f, "%02x", funcs[i].expect[k]);
		fprintf(f, " %s\n", names[i]);
	}
	if (fclose(f))
		return fail(err, len, "out of memory");
	ret = put_file(dir, "code.bin", image, size, err, len);
	if (!ret)
		ret = put_file(dir, "redirects", text, tlen, err, len);
	free(text);
	return ret;
}
