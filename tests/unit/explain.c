// SPDX-License-Identifier: GPL-2.0
/*
 * Every way the module can refuse a request (each errno of Documentation/
 * uapi.rst, each enum hd_fail) gets a message from hdctl that names the
 * cause and, where there is one, what to do; never a bare strerror().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"
#include "apply/kapi.h"

struct want {
	int err;
	unsigned int reason;
	const char *has[3];	/* substrings the message must contain */
};

static const struct want cases[] = {
	{ -EBUSY, HD_FAIL_IP, { "thread 42 is executing parse", "retry later" } },
	{ -EBUSY, HD_FAIL_STACK, { "returning into parse", "--force" } },
	{ -EBUSY, HD_FAIL_STACK_DEPTH, { "more than 1 MiB above", "--scan at all", "--force" } },
	{ -EBUSY, HD_FAIL_MEMORY, { "return address into parse lies at 0x7f0012340008 (in [heap])",
				    "coroutine", "--scan threads" } },
	{ -EBUSY, HD_FAIL_NO_STACK, { "stack pointer of thread 42", "in no mapping" } },
	{ -ETIMEDOUT, HD_FAIL_PARK, { "thread 42", "did not stop", "--timeout" } },
	{ -ETIMEDOUT, HD_FAIL_TRACED, { "thread 42", "held stopped by its tracer", "detach" } },
	{ -EILSEQ, HD_FAIL_EXPECT, { "parse", "not what the patch was made for" } },
	{ -ENOEXEC, HD_FAIL_VMA, { "parse", "executable file mapping" } },
	{ -ENOEXEC, HD_FAIL_SHARED, { "parse", "shared mapping", "every process mapping it" } },
	{ -ERANGE, HD_FAIL_REACH, { "parse", "rel32" } },
	{ -ESRCH, HD_FAIL_GONE, { "exited or exec'd" } },
	{ -EFAULT, HD_FAIL_WRITE, { "writing the jump into parse" } },
	{ -EEXIST, HD_FAIL_MAP, { "mapping the patch's code", "File exists", "run it again" } },
	{ -ENOMEM, HD_FAIL_MAP, { "mapping the patch's code" } },
	{ -EPERM, 0, { "CAP_SYS_PTRACE" } },
	{ -EACCES, 0, { "/proc/1234/mem", "not process 1234's", "run it again" } },
	{ -EBADF, 0, { "no /proc/1234/mem", "hdctl version" } },
	{ -EPERM, HD_REFUSED_POLICY, { "ptrace policy", "/proc/1234/mem", "nothing was changed" } },
	{ -ESRCH, HD_REFUSED_POLICY, { "no process 1234" } },
	{ -ESRCH, 0, { "no process 1234" } },
	{ -EDEADLK, 0, { "cannot patch itself" } },
	{ -EEXIST, 0, { "taken", "run it again" } },
	{ -ENOENT, 0, { "no such patch", "hdctl list" } },
	{ -ENOTEMPTY, 0, { "stacked", "revert that first" } },
	{ -EALREADY, 0, { "already reverted", "retired" } },
	{ -EINTR, 0, { "interrupted", "nothing was changed" } },
	{ -ENOEXEC, 0, { "executable file mapping" } },
	{ -EILSEQ, 0, { "not what the patch was made for" } },
	{ -ERANGE, 0, { "rel32" } },
	{ -EINVAL, 0, { "malformed", "hdctl version" } },
	{ -E2BIG, 0, { "malformed", "hdctl version" } },
	{ -ENOTTY, 0, { "does not know this request" } },
	{ -ENOMEM, 0, { "out of memory" } },
	{ -EFAULT, 0, { "bad address", "bug in hdctl" } },
	{ -ETIMEDOUT, 0, { "did not stop", "--timeout" } },
	{ -EBUSY, 0, { "stayed in the code", "retry later" } },
};

TEST(every_refusal_has_its_own_message)
{
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct want *w = &cases[i];
		struct hd_refusal r = {
			.op = "apply", .pid = 1234, .err = w->err,
			.reason = w->reason, .tid = 42, .func = "parse",
			.attempts = 10, .delay_ms = 100, .timeout_ms = 2000,
			.addr = 0x7f0012340008, .mapping = "in [heap]",
		};
		char msg[512];

		hd_explain(&r, msg, sizeof(msg));
		TH_LOG("%d/%u: %s", w->err, w->reason, msg);
		EXPECT_EQ(0, strncmp(msg, "apply: ", 7));
		/* Not the fallback: "apply: <strerror>" and nothing else. */
		EXPECT_NE(0, strcmp(msg + 7, strerror(-w->err)));
		for (k = 0; k < 3 && w->has[k]; k++)
			EXPECT_NE(NULL, strstr(msg, w->has[k]))
				TH_LOG("\"%s\" lacks \"%s\"", msg, w->has[k]);
	}
}

/* No thread to name: one asleep in the kernel held the memory map. */
TEST(park_timeout_without_a_thread_names_the_lock)
{
	struct hd_refusal r = {
		.op = "apply", .pid = 1234, .err = -ETIMEDOUT,
		.reason = HD_FAIL_MM_LOCKED, .tid = 0, .timeout_ms = 2000,
	};
	char msg[512];

	hd_explain(&r, msg, sizeof(msg));
	EXPECT_NE(NULL, strstr(msg, "held its memory map locked for over 2000 ms"));
	EXPECT_NE(NULL, strstr(msg, "--timeout"));
	EXPECT_EQ(NULL, strstr(msg, "thread 0"));
}

/* Revert's --force means something else than apply's: say which. */
TEST(revert_suggests_its_own_force)
{
	struct hd_refusal r = {
		.op = "revert", .pid = 1234, .err = -EBUSY,
		.reason = HD_FAIL_STACK, .tid = 42, .attempts = 10,
		.delay_ms = 100, .timeout_ms = 2000,
	};
	char msg[512];

	hd_explain(&r, msg, sizeof(msg));
	EXPECT_NE(NULL, strstr(msg, "returning into the patch's code"));
	EXPECT_NE(NULL, strstr(msg, "the code left to that thread"));
	r.reason = HD_FAIL_IP;
	hd_explain(&r, msg, sizeof(msg));
	EXPECT_NE(NULL, strstr(msg, "--force"));
	r.op = "apply";
	hd_explain(&r, msg, sizeof(msg));
	EXPECT_EQ(NULL, strstr(msg, "--force"));	/* never skips the IP check */
}

/* An errno no row knows: the one fallback row, never an empty message. */
TEST(unknown_errno_says_what_it_is)
{
	struct hd_refusal r = { .op = "apply", .pid = 1234, .err = -EIO };
	char msg[512];

	hd_explain(&r, msg, sizeof(msg));
	EXPECT_STREQ("apply: Input/output error", msg);
	/* A message cut to the buffer stays a string. */
	hd_explain(&r, msg, 8);
	EXPECT_STREQ("apply: ", msg);
}

TEST_HARNESS_MAIN
