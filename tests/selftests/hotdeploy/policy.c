// SPDX-License-Identifier: GPL-2.0
/*
 * Who may patch a process: the system's ptrace policy, through the proof
 * every apply, revert and list carries (the target's /proc/PID/mem, open:
 * Documentation/security.rst), and what is logged.  The last test sets
 * kernel.yama.ptrace_scope to 3, which nothing lowers again before a
 * reboot: this suite runs after all the others (the Makefile's order).
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "hd_selftest.h"
#include "hd_target.h"
#include "hd_live.h"

#define YAMA	"/proc/sys/kernel/yama/ptrace_scope"

FIXTURE(policy) {
	int fd;
	pid_t pid;
	struct hd_loop *l;
	uint64_t code;
	unsigned char before[16];
	unsigned char blob[6];
	struct hd_func f;
	struct hd_apply a;
};

FIXTURE_SETUP(policy)
{
	self->pid = 0;
	HD_OPEN_OR_SKIP(self->fd);
	self->l = hd_loop_new();
	ASSERT_NE(NULL, self->l);
	self->pid = fork();
	if (self->pid == 0)
		hd_loop_run(self->l);
	ASSERT_LT(0, self->pid);
	ASSERT_EQ(1, hd_loop_wait(self->l, 1, 10000));
	self->code = hd_find_hole(self->pid, hd_addr(hd_ret1), 4096);
	ASSERT_NE(0, self->code);
	ASSERT_EQ(0, hd_peek(self->pid, hd_addr(hd_ret1), self->before,
			     sizeof(self->before)));
	hd_blob_ret(self->blob, 2);
	hd_func_init(&self->f, hd_ret1, HD_SIZE(hd_ret1), self->code);
	hd_apply_init(&self->a, self->pid, &self->f, 1, self->blob,
		      sizeof(self->blob), self->code);
}

FIXTURE_TEARDOWN(policy)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	if (self->fd >= 0)
		close(self->fd);
}

/* The target as it was: the old code, no patch mapped. */
static void untouched(struct __test_metadata *_metadata,
		      struct _test_data_policy *self)
{
	unsigned char now[sizeof(self->before)];

	ASSERT_EQ(0, hd_peek(self->pid, hd_addr(hd_ret1), now, sizeof(now)));
	EXPECT_EQ(0, memcmp(self->before, now, sizeof(now)));
	EXPECT_EQ(0, hd_maps_has(self->pid, "hotdeploy:"));
}

static int proc_open(pid_t pid, const char *what)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* The fixture's request afresh, with @mem as its proof. */
static int apply_with(struct _test_data_policy *self, int mem)
{
	hd_func_init(&self->f, hd_ret1, HD_SIZE(hd_ret1), self->code);
	hd_apply_init(&self->a, self->pid, &self->f, 1, self->blob,
		      sizeof(self->blob), self->code);
	self->a.mem_fd = mem;
	return hd_ioctl(self->fd, HD_IOC_APPLY, &self->a);
}

/* A request of the size before the proof (an older hdctl) proves nothing. */
TEST_F(policy, request_without_proof_is_eperm)
{
	struct hd_revert r = { .size = HD_REVERT_SIZE_VER4, .pid = self->pid };
	struct hd_list l = { .size = HD_LIST_SIZE_VER0, .pid = self->pid };

	HD_RETURN_IF_SKIPPED();
	self->a.size = HD_APPLY_SIZE_VER4;
	EXPECT_EQ(-EPERM, hd_ioctl(self->fd, HD_IOC_APPLY, &self->a));
	EXPECT_EQ(-EPERM, hd_ioctl(self->fd, HD_IOC_REVERT, &r));
	EXPECT_EQ(-EPERM, hd_ioctl(self->fd, HD_IOC_LIST, &l));
	untouched(_metadata, self);
}

/*
 * Only the target's own mem proves anything: not the caller's, not the
 * target's environ (opened with less, though it also keeps the target's
 * memory), not another file; a closed descriptor is EBADF.
 */
TEST_F(policy, proof_that_is_not_the_targets_mem_is_refused)
{
	int self_mem = proc_open(getpid(), "mem");
	int environ = proc_open(self->pid, "environ");
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	HD_RETURN_IF_SKIPPED();
	ASSERT_LE(0, self_mem);
	ASSERT_LE(0, environ);
	ASSERT_LE(0, null);
	EXPECT_EQ(-EACCES, apply_with(self, self_mem));
	EXPECT_EQ(-EACCES, apply_with(self, environ));
	EXPECT_EQ(-EACCES, apply_with(self, null));
	EXPECT_EQ(-EBADF, apply_with(self, -1));
	untouched(_metadata, self);
	close(self_mem);
	close(environ);
	close(null);
}

/*
 * A user without privileges, holding a descriptor of the device that root
 * opened (inherited here): it cannot open root's process's mem, and its
 * own proves nothing about that process.  Apply, revert and list refused.
 */
TEST_F(policy, unprivileged_caller_is_refused)
{
	int status;
	pid_t pid;

	HD_RETURN_IF_SKIPPED();
	pid = fork();
	if (pid == 0) {
		struct hd_revert r = { .size = sizeof(r), .pid = self->pid };
		struct hd_list l = { .size = sizeof(l), .pid = self->pid };
		int mine;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(10);
		/* A changed uid made it undumpable: its own mem root's. */
		if (prctl(PR_SET_DUMPABLE, 1))
			_exit(16);
		if (proc_open(self->pid, "mem") >= 0)
			_exit(11);
		mine = proc_open(getpid(), "mem");
		if (mine < 0)
			_exit(12);
		r.mem_fd = mine;
		l.mem_fd = mine;
		if (apply_with(self, mine) != -EPERM)
			_exit(13);
		if (hd_ioctl(self->fd, HD_IOC_REVERT, &r) != -EPERM)
			_exit(14);
		if (hd_ioctl(self->fd, HD_IOC_LIST, &l) != -EACCES)
			_exit(15);
		_exit(0);
	}
	ASSERT_LT(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	untouched(_metadata, self);
}

static int yama_set(int scope)
{
	FILE *f = fopen(YAMA, "w");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%d\n", scope) > 0;
	return fclose(f) || !ok ? -1 : 0;
}

/* The last line the module logged for process @pid and @op. */
static int logged(const char *op, pid_t pid, const char *what)
{
	return sh("dmesg | grep 'hotdeploy: %s pid %d ' | tail -n 1 | grep -q '%s'",
		  op, (int)pid, what);
}

/* A fresh request for a free place near the code. */
static void fresh(struct __test_metadata *_metadata,
		  struct _test_data_policy *self)
{
	self->code = hd_find_hole(self->pid, hd_addr(hd_ret1), 4096);
	ASSERT_NE(0, self->code);
	hd_func_init(&self->f, hd_ret1, HD_SIZE(hd_ret1), self->code);
	hd_apply_init(&self->a, self->pid, &self->f, 1, self->blob,
		      sizeof(self->blob), self->code);
}

/*
 * Yama decides as it does for a debugger: with ptrace_scope 1 and 2 root
 * (CAP_SYS_PTRACE) applies and reverts, each logged, and a refusal too;
 * with 3 nobody may attach, and hdctl says so before anything is done.
 * Last in the suite: 3 stays until a reboot.
 */
TEST_F_TIMEOUT(policy, yama_decides_and_every_request_is_logged, 120)
{
	struct hd_revert r;
	struct target t;
	int scope;

	HD_RETURN_IF_SKIPPED();
	if (access(YAMA, W_OK))
		SKIP(return, "no Yama in this kernel");
	for (scope = 1; scope <= 2; scope++) {
		ASSERT_EQ(0, yama_set(scope));
		fresh(_metadata, self);
		EXPECT_EQ(0, hd_ioctl(self->fd, HD_IOC_APPLY, &self->a))
			TH_LOG("ptrace_scope %d", scope);
		EXPECT_EQ(0, logged("apply", self->pid, "done (0)"));
		EXPECT_EQ(0, hd_revert_top(self->fd, self->pid, 0, &r));
		EXPECT_EQ(0, logged("revert", self->pid, "done (0)"));
	}
	fresh(_metadata, self);
	self->f.expect[1] ^= 0xff;
	EXPECT_EQ(-EILSEQ, hd_ioctl(self->fd, HD_IOC_APPLY, &self->a));
	EXPECT_EQ(0, logged("apply", self->pid, "refused (-84)"));

	ASSERT_EQ(0, make_patch("return_gcc_O2_nopie", 1, 2, "prog",
				"/tmp/policy.hdp"));
	ASSERT_EQ(0, start_case(&t, "return_gcc_O2_nopie"));
	ASSERT_EQ(0, yama_set(3));
	EXPECT_EQ(0, run_refused(1, "denied by Yama, kernel.yama.ptrace_scope=3",
				 "userspace/hdctl apply /tmp/policy.hdp --pid %d",
				 t.pid));
	EXPECT_EQ(0, run_refused(1, "denied by Yama, kernel.yama.ptrace_scope=3",
				 "userspace/hdctl revert --pid %d", t.pid));
	EXPECT_EQ(0, run_refused(1, "denied by Yama, kernel.yama.ptrace_scope=3",
				 "userspace/hdctl list --pid %d", t.pid));
	/* Nothing mapped into it, and it runs on (its memory is not ours to read now). */
	EXPECT_EQ(0, hd_maps_has(t.pid, "hotdeploy:"));
	EXPECT_EQ(0, kill(t.pid, 0));
	EXPECT_EQ(0, stop(&t));
}

TEST_HARNESS_MAIN
