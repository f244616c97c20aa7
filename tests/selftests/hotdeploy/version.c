// SPDX-License-Identifier: GPL-2.0
/*
 * HD_IOC_VERSION and the rules every extensible hotdeploy struct follows,
 * and who may open /dev/hotdeploy at all.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "hd_selftest.h"

/* A struct hd_version followed by room for a future, larger version. */
struct version_big {
	struct hd_version v;
	unsigned char tail[64];
};

static int version_ioctl(int fd, struct version_big *b, uint32_t size)
{
	b->v.size = size;
	return ioctl(fd, HD_IOC_VERSION, b) ? -errno : 0;
}

TEST(version_reports_abi_and_features)
{
	struct version_big b = { 0 };
	int fd;

	HD_OPEN_OR_SKIP(fd);
	ASSERT_EQ(0, version_ioctl(fd, &b, sizeof(b.v)));
	EXPECT_EQ((__u32)HD_ABI_VERSION, b.v.abi_version);
	EXPECT_NE(0ULL, b.v.features & HD_FEATURE_VERSION);
	EXPECT_EQ((__u32)sizeof(b.v), b.v.size);
	close(fd);
}

TEST(version_size_below_ver0_is_einval)
{
	struct version_big b = { 0 };
	int fd;

	HD_OPEN_OR_SKIP(fd);
	EXPECT_EQ(-EINVAL, version_ioctl(fd, &b, 0));
	EXPECT_EQ(-EINVAL, version_ioctl(fd, &b, 4));
	EXPECT_EQ(-EINVAL, version_ioctl(fd, &b, HD_VERSION_SIZE_VER0 - 1));
	EXPECT_EQ(0U, b.v.abi_version);
	close(fd);
}

/* A newer caller's larger struct is fine while its extra bytes are zero. */
TEST(version_larger_struct_with_zero_tail_is_accepted)
{
	struct version_big b;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	memset(&b, 0, sizeof(b));
	ASSERT_EQ(0, version_ioctl(fd, &b, sizeof(b)));
	EXPECT_EQ((__u32)HD_ABI_VERSION, b.v.abi_version);
	close(fd);
}

TEST(version_nonzero_unknown_tail_is_e2big)
{
	struct version_big b;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	memset(&b, 0, sizeof(b));
	b.tail[sizeof(b.tail) - 1] = 1;
	EXPECT_EQ(-E2BIG, version_ioctl(fd, &b, sizeof(b)));
	EXPECT_EQ(0U, b.v.abi_version);
	close(fd);
}

TEST(version_size_over_a_page_is_e2big)
{
	static char page[8192] __attribute__((aligned(8)))	/* a u32 leads */;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	memset(page, 0, sizeof(page));
	*(uint32_t *)page = sizeof(page);
	EXPECT_EQ(-1, ioctl(fd, HD_IOC_VERSION, page));
	EXPECT_EQ(E2BIG, errno);
	close(fd);
}

TEST(version_unknown_flags_are_einval)
{
	struct version_big b = { 0 };
	int fd;

	HD_OPEN_OR_SKIP(fd);
	b.v.flags = 1;
	EXPECT_EQ(-EINVAL, version_ioctl(fd, &b, sizeof(b.v)));
	b.v.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, version_ioctl(fd, &b, sizeof(b.v)));
	close(fd);
}

TEST(version_nonzero_reserved_is_einval)
{
	struct version_big b = { 0 };
	int fd;

	HD_OPEN_OR_SKIP(fd);
	b.v.__reserved = 1;
	EXPECT_EQ(-EINVAL, version_ioctl(fd, &b, sizeof(b.v)));
	close(fd);
}

TEST(version_bad_pointer_is_efault)
{
	int fd;

	HD_OPEN_OR_SKIP(fd);
	EXPECT_EQ(-1, ioctl(fd, HD_IOC_VERSION, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, HD_IOC_VERSION, (void *)-4096L));
	EXPECT_EQ(EFAULT, errno);
	close(fd);
}

TEST(unknown_ioctl_is_enotty)
{
	int fd;

	HD_OPEN_OR_SKIP(fd);
	EXPECT_EQ(-1, ioctl(fd, _IO(HD_IOC_MAGIC, 0x7f), 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, _IO('T', 0x01), 0));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

/* Run @fn in a child and return the errno its open() of the device got. */
static int open_errno_in_child(int (*drop)(void))
{
	int status, fd;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (drop())
			_exit(254);
		fd = open(HD_DEV_PATH, O_RDWR | O_CLOEXEC);
		_exit(fd >= 0 ? 0 : errno);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int become_nobody(void)
{
	return setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534);
}

/* Stay uid 0 (so the 0600 mode lets us in) but lose CAP_SYS_PTRACE. */
static int drop_cap_sys_ptrace(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_TO_INDEX(CAP_SYS_PTRACE)].effective &=
		~CAP_TO_MASK(CAP_SYS_PTRACE);
	data[CAP_TO_INDEX(CAP_SYS_PTRACE)].permitted &=
		~CAP_TO_MASK(CAP_SYS_PTRACE);
	return syscall(SYS_capset, &hdr, data);
}

TEST(open_as_non_root_is_eacces)
{
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	if (geteuid() != 0)
		SKIP(return, "needs root to switch to an unprivileged user");
	EXPECT_EQ(EACCES, open_errno_in_child(become_nobody));
}

TEST(open_without_cap_sys_ptrace_is_eperm)
{
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	if (geteuid() != 0)
		SKIP(return, "needs root to drop CAP_SYS_PTRACE");
	EXPECT_EQ(EPERM, open_errno_in_child(drop_cap_sys_ptrace));
}

TEST_HARNESS_MAIN
