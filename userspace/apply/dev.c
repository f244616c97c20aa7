// SPDX-License-Identifier: GPL-2.0
/* Opening /dev/hotdeploy with an error that says what to do. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "apply/kapi.h"

#define HD_DEV_PATH	"/dev/hotdeploy"

int hd_dev_open(struct hd_error *err)
{
	int fd = open(HD_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
		return hd_fail(err, -ENOENT,
			       "%s not found: load the module first (insmod hotdeploy.ko)",
			       HD_DEV_PATH);
	case EACCES:
	case EPERM:
		return hd_fail(err, -errno,
			       "%s: %s: hdctl needs root with CAP_SYS_PTRACE",
			       HD_DEV_PATH, strerror(errno));
	default:
		return hd_fail(err, -errno, "cannot open %s: %s", HD_DEV_PATH,
			       strerror(errno));
	}
}
