/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the hotdeploy selftests.  Include after
 * kselftest_harness.h.
 */
#ifndef HD_SELFTEST_H
#define HD_SELFTEST_H

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <linux/hotdeploy.h>

#define HD_DEV_PATH	"/dev/" HD_DEVICE_NAME

/*
 * Open /dev/hotdeploy into @fd, or end the test as skipped when the module
 * is not loaded: the suite must be runnable by hand on any machine.
 */
#define HD_OPEN_OR_SKIP(fd) do {					\
	(fd) = open(HD_DEV_PATH, O_RDWR | O_CLOEXEC);			\
	if ((fd) < 0 && errno == ENOENT)				\
		SKIP(return, HD_DEV_PATH " absent: hotdeploy.ko not loaded"); \
	ASSERT_LE(0, (fd)) TH_LOG("open " HD_DEV_PATH ": %s",		\
				  strerror(errno));			\
} while (0)

#endif /* HD_SELFTEST_H */
