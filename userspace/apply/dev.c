// SPDX-License-Identifier: GPL-2.0
/* Opening /dev/hotdeploy with an error that says what to do. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "cmd/hdctl.h"

#define HD_DEV_PATH	"/dev/hotdeploy"

int hd_dev_open(void)
{
	int fd = open(HD_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
		hd_err("%s not found: load the module first (insmod hotdeploy.ko)",
		       HD_DEV_PATH);
		break;
	case EACCES:
	case EPERM:
		hd_err("%s: %s: hdctl needs root with CAP_SYS_PTRACE",
		       HD_DEV_PATH, strerror(errno));
		break;
	default:
		hd_err("cannot open %s: %s", HD_DEV_PATH, strerror(errno));
	}
	return -1;
}
