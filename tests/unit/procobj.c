// SPDX-License-Identifier: GPL-2.0
/*
 * Objects of a live process: build-ids, load bias, symbols, and dynamic
 * symbols resolved in the dynamic linker's order with versions.  The live
 * process is a forked copy of this test, so its addresses are ours.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>

#include "kselftest_harness.h"
#include "apply/procobj.h"

/*
 * AddressSanitizer interposes libc's memcpy, fopen and many more with its
 * own plain functions, so under it the dynamic linker finds those first.
 */
#if defined(__SANITIZE_ADDRESS__)
#define HD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HD_ASAN 1
#endif
#endif
#ifndef HD_ASAN
#define HD_ASAN 0
#endif

/* A function of this executable for the symbol lookup to find. */
int __attribute__((noinline)) procobj_test_marker(int x)
{
	return x + 1;
}

static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static ssize_t own_build_id(uint8_t *id)
{
	const void *bits;
	ssize_t len = -1;
	Elf *elf;
	int fd;

	elf_version(EV_CURRENT);
	fd = open("/proc/self/exe", O_RDONLY);
	if (fd < 0)
		return -1;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf) {
		len = dwelf_elf_gnu_build_id(elf, &bits);
		if (len > 0 && len <= HD_BUILD_ID_MAX)
			memcpy(id, bits, len);
		elf_end(elf);
	}
	close(fd);
	return len;
}

FIXTURE(proc) {
	pid_t pid;
	struct hd_proc proc;
};

FIXTURE_SETUP(proc)
{
	self->pid = spawn_sleeper();
	ASSERT_LT(0, self->pid);
	ASSERT_EQ(0, hd_proc_open(self->pid, &self->proc));
}

FIXTURE_TEARDOWN(proc)
{
	hd_proc_close(&self->proc);
	reap(self->pid);
}

TEST_F(proc, main_program_first_with_its_build_id)
{
	uint8_t id[HD_BUILD_ID_MAX];
	const struct hd_object *o;
	char exe[4096];
	ssize_t len;

	ASSERT_LT(1U, self->proc.nobj);
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, len);
	exe[len] = '\0';
	EXPECT_STREQ(exe, self->proc.obj[0].name);

	len = own_build_id(id);
	ASSERT_LT(0, len);
	o = hd_proc_find_build_id(&self->proc, id, len);
	ASSERT_EQ(&self->proc.obj[0], o);
	EXPECT_TRUE((uintptr_t)&procobj_test_marker >= o->start);
	EXPECT_TRUE((uintptr_t)&procobj_test_marker < o->end);
	id[0] ^= 0xff;
	EXPECT_EQ(NULL, hd_proc_find_build_id(&self->proc, id, len));
}

TEST_F(proc, symbol_of_the_main_program)
{
	uint64_t addr = 0, size = 0;

	ASSERT_EQ(0, hd_object_symbol(&self->proc.obj[0],
				      "procobj_test_marker", &addr, &size));
	EXPECT_EQ((uintptr_t)&procobj_test_marker, addr);
	EXPECT_LT(0U, size);
	EXPECT_EQ(-ENOENT, hd_object_symbol(&self->proc.obj[0],
					    "no_such_symbol_here", &addr,
					    NULL));
}

/* libc's symbols resolve to what the dynamic linker gave us. */
TEST_F(proc, dynamic_symbols_with_versions)
{
	const struct hd_object *where = NULL;
	uint64_t addr = 0;

	if (HD_ASAN)
		SKIP(return, "ASan's own fopen comes first in the lookup order, not libc's");
	ASSERT_EQ(0, hd_proc_dynamic_symbol(&self->proc, NULL, "fopen", NULL,
					    &addr, &where));
	EXPECT_EQ((uintptr_t)dlsym(RTLD_DEFAULT, "fopen"), addr);
	ASSERT_NE(NULL, where);
	EXPECT_NE(NULL, strstr(where->name, "libc.so"));

	/* Asked for by version, as a patch built against it records it. */
	ASSERT_EQ(0, hd_proc_dynamic_symbol(&self->proc, NULL, "fopen",
					    "GLIBC_2.2.5", &addr, NULL));
	EXPECT_EQ((uintptr_t)dlvsym(RTLD_DEFAULT, "fopen", "GLIBC_2.2.5"),
		  addr);
	EXPECT_EQ(-ENOENT, hd_proc_dynamic_symbol(&self->proc, NULL, "fopen",
						  "NO_SUCH_VERSION", &addr,
						  NULL));
	EXPECT_EQ(-ENOENT, hd_proc_dynamic_symbol(&self->proc, NULL,
						  "no_such_function_anywhere",
						  NULL, &addr, NULL));
}

/*
 * glibc's memcpy is an ifunc: its address is what its resolver chose for
 * this CPU, the address this program itself calls.
 */
TEST_F(proc, ifunc_resolves_to_what_the_process_uses)
{
	void *(*volatile mine)(void *, const void *, size_t) = memcpy;
	uint64_t addr = 0;

	EXPECT_EQ(0, hd_proc_dynamic_symbol(&self->proc, NULL, "memcpy", NULL,
					    &addr, NULL));
	EXPECT_EQ((uintptr_t)mine, addr);
}

TEST(missing_process_is_esrch)
{
	struct hd_proc proc;

	EXPECT_EQ(-ESRCH, hd_proc_open(0x7ffffff0, &proc));
}

TEST_HARNESS_MAIN
