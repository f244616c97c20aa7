/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The resolved image of a patch, as hdctl apply would hand it to the
 * module, written to a directory for other tools (the benchmarks' ptrace
 * baseline applies exactly these bytes).
 */
#ifndef HD_IMAGE_H
#define HD_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/hotdeploy.h>

/*
 * Write @dir/code.bin (the @size bytes to map at @addr) and @dir/redirects
 * (see hdctl(8)).  @dir is created if missing.  0, or -1 with @err set.
 */
int hd_image_save(const char *dir, pid_t pid, uint64_t addr,
		  const uint8_t *image, size_t size,
		  const struct hd_func *funcs, const char *const *names,
		  __u32 nfuncs, char *err, size_t len);

#endif /* HD_IMAGE_H */
