// SPDX-License-Identifier: GPL-2.0
/*
 * End to end with whole programs: a program linked with -Wl,--emit-relocs
 * from v1 runs; hdctl diff compares it with the v2 program (no objects,
 * no -ffunction-sections), apply patches the running process, which
 * prints the new value; revert brings v1 back.  The v2 code calls libc,
 * uses a new string literal, the process's own globals and a static
 * helper the assembler called without a relocation.  The cases are built
 * on the host into build/live/ (tests/live/, EMIT_RELOCS=1).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hd_selftest.h"
#include "hd_live.h"

FIXTURE(live_binary) {
	struct target t;
	int started;
};

FIXTURE_VARIANT(live_binary) {
	const char *name;
	const char *resolved;	/* a line hdctl info must print */
	const char *said;	/* a line the new code prints, or NULL */
};

FIXTURE_VARIANT_ADD(live_binary, gcc_O2_pie) {
	"binary_gcc_O2_pie", "shlib    snprintf", NULL
};

FIXTURE_VARIANT_ADD(live_binary, clang_O0_nopie) {
	"binary_clang_O0_nopie", "shlib    snprintf", NULL
};

/* Thread-locals; the linker made the initial-exec access local-exec. */
FIXTURE_VARIANT_ADD(live_binary, tls) {
	"tls_exe_binary", "tls      tl_ie", NULL
};

/* New code writes through the program's copy of stdout (R_X86_64_COPY). */
FIXTURE_VARIANT_ADD(live_binary, copy_relocated_stdout) {
	"binary_copy_reloc", "target   stdout at", "through the program's stdout"
};

FIXTURE_SETUP(live_binary)
{
	char path[PATH_MAX];
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	snprintf(path, sizeof(path), "%s/build/live/%s/prog", repo(),
		 variant->name);
	ASSERT_EQ(0, start(&self->t, path));
	self->started = 1;
	ASSERT_EQ(0, wait_line(&self->t, "ready ", NULL, 10000));
	ASSERT_EQ(0, wait_value(&self->t, 1, 10000));
}

FIXTURE_TEARDOWN(live_binary)
{
	if (self->started)
		EXPECT_EQ(0, stop(&self->t));
}

TEST_F_TIMEOUT(live_binary, diff_programs_apply_then_revert, 120)
{
	const char *c = variant->name;

	if (!self->started)
		return;
	/* The target is the old program itself: no --target. */
	ASSERT_EQ(0, sh("cd %s && userspace/hdctl diff build/live/%s/prog build/live/%s/v2/prog -o /tmp/%s.hdp",
			repo(), c, c, c));
	ASSERT_EQ(0, sh("%s/userspace/hdctl info /tmp/%s.hdp | grep -q '%s'",
			repo(), c, variant->resolved));
	ASSERT_EQ(0, sh("%s/userspace/hdctl apply /tmp/%s.hdp --pid %d",
			repo(), c, self->t.pid));
	if (variant->said)
		ASSERT_EQ(0, wait_line(&self->t, variant->said, NULL, 10000));
	ASSERT_EQ(0, wait_value(&self->t, 2, 10000));
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d | grep -q ': 1 patch'",
			repo(), self->t.pid));
	ASSERT_EQ(0, sh("%s/userspace/hdctl revert --pid %d --all", repo(),
			self->t.pid));
	ASSERT_EQ(0, wait_value(&self->t, 1, 10000));
}

/*
 * New code reading stderr, which the running program holds no copy of:
 * refused before anything is written, the process left running v1.
 */
TEST(refused_library_data_the_program_has_no_copy_of)
{
	const char *c = "refuse_copy_reloc";
	char path[PATH_MAX];
	struct target t;
	long v;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, sh("cd %s && userspace/hdctl diff build/live/%s/prog build/live/%s/v2/prog -o /tmp/%s.hdp",
			repo(), c, c, c));
	ASSERT_EQ(0, sh("%s/userspace/hdctl info /tmp/%s.hdp | grep -q 'shlib    stderr'",
			repo(), c));
	snprintf(path, sizeof(path), "%s/build/live/%s/prog", repo(), c);
	ASSERT_EQ(0, start(&t, path));
	ASSERT_EQ(0, wait_value(&t, 1, 10000));
	EXPECT_EQ(0, sh("cd %s && userspace/hdctl apply /tmp/%s.hdp --pid %d 2>&1 | grep -q 'has no copy of stderr'",
			repo(), c, t.pid));
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d | grep -q 'no patches'",
			repo(), t.pid));
	EXPECT_EQ(-ETIMEDOUT, wait_line(&t, "value ", &v, 200));
	EXPECT_EQ(0, stop(&t));
}

TEST_HARNESS_MAIN
