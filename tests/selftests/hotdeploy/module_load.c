// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading hotdeploy.ko repeatedly, and unloading refused
 * while the device is open.  The module to load comes from $HD_MODULE
 * (scripts/vm-run sets it); the test leaves the module loaded as it found
 * it, so later tests in the same guest still have /dev/hotdeploy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hd_selftest.h"

#define LOAD_CYCLES	50

static int load(const char *path)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static int unload(void)
{
	return syscall(SYS_delete_module, "hotdeploy", O_NONBLOCK) ? -errno : 0;
}

static int is_loaded(void)
{
	return access("/sys/module/hotdeploy", F_OK) == 0;
}

static const char *module_path_or_null(void)
{
	const char *path = getenv("HD_MODULE");

	return path && *path && access(path, R_OK) == 0 ? path : NULL;
}

FIXTURE(module) {
};

FIXTURE_SETUP(module)
{
}

FIXTURE_TEARDOWN(module)
{
}

/* Each cycle: load, the device answers HD_IOC_VERSION, unload, gone. */
TEST_F_TIMEOUT(module, load_unload_50_times, 300)
{
	const char *path = module_path_or_null();
	struct hd_version v;
	int was_loaded, i, fd;
	struct stat st;

	if (!path)
		SKIP(return, "HD_MODULE does not name a readable hotdeploy.ko");
	if (geteuid() != 0)
		SKIP(return, "loading modules needs root");
	was_loaded = is_loaded();
	if (was_loaded)
		ASSERT_EQ(0, unload());

	for (i = 0; i < LOAD_CYCLES; i++) {
		ASSERT_EQ(0, load(path)) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, stat(HD_DEV_PATH, &st)) TH_LOG("cycle %d", i);
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(0600, st.st_mode & 07777);
		fd = open(HD_DEV_PATH, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		memset(&v, 0, sizeof(v));
		v.size = sizeof(v);
		EXPECT_EQ(0, ioctl(fd, HD_IOC_VERSION, &v));
		EXPECT_EQ(HD_ABI_VERSION, (int)v.abi_version);
		close(fd);
		ASSERT_EQ(0, unload()) TH_LOG("cycle %d", i);
		EXPECT_FALSE(is_loaded());
		EXPECT_NE(0, access(HD_DEV_PATH, F_OK));
	}

	if (was_loaded)
		ASSERT_EQ(0, load(path));
}

/* An open descriptor pins the module: rmmod must not pull it away. */
TEST_F(module, unload_refused_while_device_open)
{
	const char *path = module_path_or_null();
	int was_loaded, fd;

	if (!path)
		SKIP(return, "HD_MODULE does not name a readable hotdeploy.ko");
	if (geteuid() != 0)
		SKIP(return, "loading modules needs root");
	was_loaded = is_loaded();
	if (!was_loaded)
		ASSERT_EQ(0, load(path));

	fd = open(HD_DEV_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EWOULDBLOCK, unload());
	EXPECT_TRUE(is_loaded());
	close(fd);

	if (!was_loaded)
		EXPECT_EQ(0, unload());
}

TEST_HARNESS_MAIN
