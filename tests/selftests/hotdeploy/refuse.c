// SPDX-License-Identifier: GPL-2.0
/*
 * HD_IOC_APPLY refusals: an active function, wrong expected bytes and
 * invalid requests each get their documented errno, and the target is
 * left exactly as it was.
 */
#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "hd_selftest.h"
#include "hd_target.h"

static volatile int never;

static void block_forever(void)
{
	for (;;)
		pause();
}

static void *spin_thread(void *arg)
{
	hd_spin(&never);
	return NULL;
}

static void *call_ptr_thread(void *arg)
{
	hd_call_ptr(block_forever);
	return NULL;
}

/*
 * Shared with the child: where the new code will be mapped, and whether
 * the child has mapped a page of its own over it.
 */
static volatile uint64_t *takeover;

/*
 * Wait, with a return address into hd_call_ptr() on the stack, for the
 * module's mapping of the new code to appear at takeover[0], then map a
 * page of the program's own over it.
 */
static void take_over(void)
{
	void *at;

	while (!takeover[0])
		usleep(1000);
	at = (void *)(uintptr_t)takeover[0];
	while (msync(at, 4096, MS_ASYNC))	/* ENOMEM while unmapped */
		usleep(1000);
	if (mmap(at, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) == at)
		takeover[1] = 1;
}

/* Busy in hd_call_ptr() until it has taken over, then gone. */
static void *takeover_thread(void *arg)
{
	hd_call_ptr(take_over);
	return NULL;
}

FIXTURE(refuse) {
	int fd;
	pid_t pid;
	struct hd_loop *l;
	unsigned char before[64];	/* hd_ret1 .. in the child, before */
	uint64_t code;
	unsigned char blob[6];
	struct hd_func f;
	struct hd_apply a;
};

/* The child: optionally one more thread of @fn, and the main loop. */
static void start(struct __test_metadata *_metadata,
		  struct _test_data_refuse *self, void *(*fn)(void *))
{
	pthread_t th;

	self->pid = fork();
	if (self->pid == 0) {
		if (fn && pthread_create(&th, NULL, fn, NULL))
			_exit(1);
		hd_loop_run(self->l);
	}
	ASSERT_LT(0, self->pid);
	ASSERT_EQ(1, hd_loop_wait(self->l, 1, 10000));
	usleep(100000);	/* let the extra thread reach its place */
	self->code = hd_find_hole(self->pid, hd_addr(hd_ret1), 4096);
	ASSERT_NE(0, self->code);
	ASSERT_EQ(0, hd_peek(self->pid, hd_addr(hd_ret1), self->before,
			     sizeof(self->before)));
	hd_blob_ret(self->blob, 2);
	hd_func_init(&self->f, hd_ret1, HD_SIZE(hd_ret1), self->code);
	hd_apply_init(&self->a, self->pid, &self->f, 1, self->blob,
		      sizeof(self->blob), self->code);
}

/* The target is byte for byte as before, mapped nothing, and runs on. */
static void unchanged(struct __test_metadata *_metadata,
		      struct _test_data_refuse *self)
{
	unsigned char now[sizeof(self->before)];
	long iters = self->l->iters;

	ASSERT_EQ(0, hd_peek(self->pid, hd_addr(hd_ret1), now, sizeof(now)));
	EXPECT_EQ(0, memcmp(self->before, now, sizeof(now)));
	EXPECT_EQ(0, hd_maps_has(self->pid, "hotdeploy:"));
	/* The copies made for the write are dropped: the file's pages again. */
	EXPECT_EQ(0, hd_private_kb(self->pid, hd_addr(hd_ret1)));
	EXPECT_EQ(0, self->a.patch_id);
	/* Still running: it moves on, however loaded the machine is. */
	for (int i = 0; i < 1000 && self->l->iters == iters; i++)
		usleep(10000);
	EXPECT_LT(iters, self->l->iters);
	EXPECT_EQ(1, self->l->last);
}

FIXTURE_SETUP(refuse)
{
	self->pid = 0;
	HD_OPEN_OR_SKIP(self->fd);
	self->l = hd_loop_new();
	ASSERT_NE(NULL, self->l);
}

FIXTURE_TEARDOWN(refuse)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F_TIMEOUT(refuse, thread_spinning_inside_function_is_ebusy, 60)
{
	HD_RETURN_IF_SKIPPED();
	start(_metadata, self, spin_thread);
	hd_func_init(&self->f, hd_spin, HD_SIZE(hd_spin), self->code);
	self->a.attempts = 3;
	EXPECT_EQ(-EBUSY, hd_ioctl(self->fd, HD_IOC_APPLY, &self->a));
	EXPECT_EQ(HD_FAIL_IP, self->a.fail_reason);
	EXPECT_EQ(0U, self->a.fail_func);
	EXPECT_NE(0U, self->a.fail_tid);
	EXPECT_NE((__u32)self->pid, self->a.fail_tid);
	EXPECT_EQ(3U, self->a.attempts_made);
	/* A running thread is only seen in the pause. */
	EXPECT_LT(0U, self->a.timing.pause_ns);
	EXPECT_LT(0U, self->a.nr_threads);
	unchanged(_metadata, self);

	/* --force skips the stack scan, never the IP check. */
	memset(&self->a.patch_id, 0,
	       sizeof(self->a) - offsetof(struct hd_apply, patch_id));
	self->a.flags = HD_APPLY_FORCE;
	self->a.attempts = 1;
	EXPECT_EQ(-EBUSY, hd_ioctl(self->fd, HD_IOC_APPLY, &self->a));
	EXPECT_EQ(HD_FAIL_IP, self->a.fail_reason);
	unchanged(_metadata, self);
}

TEST_F_TIMEOUT(refuse, return_address_on_stack_is_ebusy_unless_forced, 60)
{
	HD_RETURN_IF_SKIPPED();
	start(_metadata, self, call_ptr_thread);
	hd_func_init(&self->f, hd_call_ptr, HD_SIZE(hd_call_ptr), self->code);
	self->a.attempts = 2;
	EXPECT_EQ(-EBUSY, hd_ioctl(self->fd, HD_IOC_APPLY, &self->a));
	EXPECT_EQ(HD_FAIL_STACK, self->a.fail_reason);
	EXPECT_EQ(0U, self->a.fail_func);
	EXPECT_NE((__u32)self->pid, self->a.fail_tid);
	/*
	 * The thread is asleep: it is checked before the pause, so the
	 * refusal stopped no thread at all.
	 */
	EXPECT_EQ(0U, self->a.timing.pause_ns);
	EXPECT_EQ(0U, self->a.pause_start_ns);
	EXPECT_EQ(0U, self->a.nr_threads);
	EXPECT_LT(0U, self->a.precheck_ns);
	unchanged(_metadata, self);

	memset(&self->a.patch_id, 0,
	       sizeof(self->a) - offsetof(struct hd_apply, patch_id));
	self->a.flags = HD_APPLY_FORCE;
	EXPECT_EQ(0, hd_ioctl(self->fd, HD_IOC_APPLY, &self->a));
	EXPECT_NE(0, self->a.patch_id);
}

/*
 * The program maps over the new code between the mapping and the stop:
 * the stop finds it gone and refuses (EEXIST), and the module leaves the
 * program's own mapping where it is.  A thread is busy in the function
 * until it has mapped over the code, so no attempt can apply before.
 */
TEST_F_TIMEOUT(refuse, code_mapped_over_before_the_stop_is_eexist, 60)
{
	char at[32];

	HD_RETURN_IF_SKIPPED();
	takeover = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, takeover);
	start(_metadata, self, takeover_thread);
	hd_func_init(&self->f, hd_call_ptr, HD_SIZE(hd_call_ptr), self->code);
	self->a.attempts = 100;
	self->a.retry_delay_ms = 20;
	takeover[0] = self->code;
	EXPECT_EQ(-EEXIST, hd_ioctl(self->fd, HD_IOC_APPLY, &self->a));
	EXPECT_EQ(HD_FAIL_MAP, self->a.fail_reason);
	EXPECT_EQ(1, takeover[1]);
	EXPECT_LE(1U, self->a.attempts_made);
	unchanged(_metadata, self);
	snprintf(at, sizeof(at), "%llx-", (unsigned long long)self->code);
	EXPECT_EQ(1, hd_maps_has(self->pid, at));
	munmap((void *)takeover, 4096);
}

TEST_F(refuse, wrong_expected_bytes_is_eilseq)
{
	HD_RETURN_IF_SKIPPED();
	start(_metadata, self, NULL);
	self->f.expect[1] ^= 0xff;
	EXPECT_EQ(-EILSEQ, hd_ioctl(self->fd, HD_IOC_APPLY, &self->a));
	EXPECT_EQ(HD_FAIL_EXPECT, self->a.fail_reason);
	EXPECT_EQ(0U, self->a.fail_func);
	unchanged(_metadata, self);

	/* Bytes past the jump that differ count too. */
	hd_func_init(&self->f, hd_ret1, HD_SIZE(hd_ret1), self->code);
	memset(&self->a.patch_id, 0,
	       sizeof(self->a) - offsetof(struct hd_apply, patch_id));
	self->f.expect[5] ^= 0xff;
	EXPECT_EQ(-EILSEQ, hd_ioctl(self->fd, HD_IOC_APPLY, &self->a));
	unchanged(_metadata, self);
}

/* Run one invalid variant of the request and check nothing changed. */
#define INVALID(err, stmt) do {						\
	hd_func_init(&self->f, hd_ret1, HD_SIZE(hd_ret1), self->code);	\
	hd_apply_init(&self->a, self->pid, &self->f, 1, self->blob,	\
		      sizeof(self->blob), self->code);			\
	stmt;								\
	EXPECT_EQ(err, hd_ioctl(self->fd, HD_IOC_APPLY, &self->a))	\
		TH_LOG("%s", #stmt);					\
	unchanged(_metadata, self);					\
} while (0)

TEST_F_TIMEOUT(refuse, invalid_requests_get_their_errno, 60)
{
	struct hd_func two[2];
	unsigned char big[sizeof(struct hd_apply) + 8];
	static const char rodata[64] = "not code";

	HD_RETURN_IF_SKIPPED();

	start(_metadata, self, NULL);
	INVALID(-EINVAL, self->a.nr_funcs = 0);
	INVALID(-EINVAL, self->a.nr_funcs = HD_MAX_FUNCS + 1);
	INVALID(-EINVAL, self->a.nr_funcs = 0x80000000u);
	INVALID(-EINVAL, self->a.func_size = sizeof(struct hd_func) - 8);
	INVALID(-EINVAL, self->a.flags = 0x80);
	INVALID(-EINVAL, self->a.__reserved = 1);
	INVALID(-EINVAL, self->f.__reserved = 1);
	INVALID(-EINVAL, self->a.size = HD_APPLY_SIZE_VER0 - 8);
	INVALID(-EINVAL, self->a.code_size = 0);
	INVALID(-EINVAL, self->a.code_size = HD_MAX_CODE_SIZE + 1);
	INVALID(-EINVAL, self->a.code_addr += 8);	/* unaligned */
	INVALID(-EINVAL, self->a.code_addr = 0xffffffff81000000ull);
	INVALID(-EINVAL, self->a.data_size = HD_MAX_DATA_SIZE + 1);
	INVALID(-EINVAL, self->a.data = (unsigned long)rodata);	/* no size */
	/* Code fits, its data would not: the code is unmapped again. */
	INVALID(-EEXIST, self->a.data_size = 4096;
		self->a.data = (unsigned long)rodata;
		self->a.code_addr = hd_next_mapping(self->pid, self->code) - 4096;
		self->f.new_addr = self->a.code_addr);
	INVALID(-EFAULT, self->a.data_size = 64; self->a.data = 8);
	INVALID(-EINVAL, self->f.old_addr = 0xffffffff81000000ull);
	INVALID(-EINVAL, self->f.old_addr = 0x8000000000000000ull);
	INVALID(-EINVAL, self->f.old_size = 4);
	INVALID(-EINVAL, self->f.old_size = ~0ull);
	INVALID(-EINVAL, self->f.expect_len = 4);
	INVALID(-EINVAL, self->f.expect_len = HD_EXPECT_MAX + 1);
	INVALID(-EINVAL, self->f.new_addr = self->code + 4096);
	INVALID(-EINVAL, self->a.attempts = 1001);
	INVALID(-EINVAL, self->a.timeout_ms = 60001);
	INVALID(-EINVAL, self->a.fail_tid = 1);
	INVALID(-EFAULT, self->a.funcs = 8);
	INVALID(-EFAULT, self->a.code = 8);
	INVALID(-ERANGE, self->a.code_addr = hd_addr(hd_ret1) + (3ull << 30);
		self->a.code_addr &= ~4095ull;
		self->f.new_addr = self->a.code_addr);
	INVALID(-EEXIST, self->a.code_addr = hd_addr(hd_ret1) & ~4095ull;
		self->f.new_addr = self->a.code_addr);
	/* Not in an executable file mapping: .bss, .rodata. */
	INVALID(-ENOEXEC, self->f.old_addr = hd_addr((void *)&never));
	INVALID(-ENOEXEC, self->f.old_addr = hd_addr(rodata));
	INVALID(-ESRCH, self->a.pid = 0x3fffff);
	INVALID(-EINVAL, self->a.pid = 0);
	INVALID(-EINVAL, self->a.pid = 2);		/* kthreadd */
	INVALID(-EDEADLK, self->a.pid = getpid());

	/* Overlapping redirects, whichever comes first in the array. */
	hd_func_init(&two[0], hd_ret1, HD_SIZE(hd_ret1), self->code);
	hd_func_init(&two[1], hd_ret1, HD_SIZE(hd_ret1), self->code);
	two[1].old_addr += 1;
	INVALID(-EINVAL, self->a.funcs = hd_addr(two); self->a.nr_funcs = 2);

	/* A larger struct from the future: zero tail fine, else E2BIG. */
	memset(big, 0, sizeof(big));
	hd_apply_init(&self->a, self->pid, &self->f, 1, self->blob,
		      sizeof(self->blob), self->code);
	self->a.size = sizeof(big);
	self->a.pid = getpid();
	memcpy(big, &self->a, sizeof(self->a));
	EXPECT_EQ(-EDEADLK, hd_ioctl(self->fd, HD_IOC_APPLY, big));
	big[sizeof(big) - 1] = 1;
	EXPECT_EQ(-E2BIG, hd_ioctl(self->fd, HD_IOC_APPLY, big));
	self->a.patch_id = 0;
	unchanged(_metadata, self);
}

/*
 * A copy of hd_ret1's code in a file, mapped executable (at @at, or
 * anywhere), before start() forks the child: the child has it too.
 */
static uint64_t map_code_file(struct __test_metadata *_metadata, int flags,
			      int prot, uint64_t at, int *fdp)
{
	char path[] = "/tmp/hd-code-XXXXXX";
	unsigned char page[4096] = { 0 };
	void *m;
	int fd;

	fd = mkstemp(path);
	EXPECT_LE(0, fd);
	unlink(path);
	memcpy(page, (const void *)hd_ret1, HD_SIZE(hd_ret1));
	EXPECT_EQ((ssize_t)sizeof(page), write(fd, page, sizeof(page)));
	m = mmap((void *)at, 4096, prot, flags | (at ? MAP_FIXED_NOREPLACE : 0),
		 fd, 0);
	EXPECT_NE(MAP_FAILED, m);
	*fdp = fd;
	return m == MAP_FAILED ? 0 : hd_addr(m);
}

/*
 * A function in a shared, writable file mapping: the jump would be
 * written into the file's page cache, so into the file and every process
 * that maps it.  Refused, the file as it was.
 */
TEST_F(refuse, function_in_a_shared_mapping_is_refused)
{
	unsigned char before[64], after[64];
	uint64_t shared;
	int fd;

	HD_RETURN_IF_SKIPPED();
	shared = map_code_file(_metadata, MAP_SHARED,
			       PROT_READ | PROT_WRITE | PROT_EXEC, 0, &fd);
	ASSERT_NE(0, shared);
	ASSERT_EQ((ssize_t)sizeof(before), pread(fd, before, sizeof(before), 0));
	start(_metadata, self, NULL);
	self->code = hd_find_hole(self->pid, shared, 4096);
	ASSERT_NE(0, self->code);
	hd_func_init(&self->f, hd_ret1, HD_SIZE(hd_ret1), self->code);
	self->f.old_addr = shared;
	hd_apply_init(&self->a, self->pid, &self->f, 1, self->blob,
		      sizeof(self->blob), self->code);
	EXPECT_EQ(-ENOEXEC, hd_ioctl(self->fd, HD_IOC_APPLY, &self->a));
	EXPECT_EQ(HD_FAIL_SHARED, self->a.fail_reason);
	ASSERT_EQ((ssize_t)sizeof(after), pread(fd, after, sizeof(after), 0));
	EXPECT_EQ(0, memcmp(before, after, sizeof(after)));
	EXPECT_EQ(0, hd_maps_has(self->pid, "hotdeploy:"));
	close(fd);
}

/*
 * Code below vm.mmap_min_addr (64 KiB), where the system keeps pages
 * unmapped so that NULL pointers fault: refused, though a function
 * mapped low enough for rel32 reach makes the request otherwise valid.
 */
TEST_F(refuse, code_below_mmap_min_addr_is_einval)
{
	static const uint64_t low[] = { 0x1000, 0xf000 };
	uint64_t func;
	unsigned int i;
	int fd;

	HD_RETURN_IF_SKIPPED();
	func = map_code_file(_metadata, MAP_PRIVATE, PROT_READ | PROT_EXEC,
			     0x100000, &fd);
	ASSERT_EQ(0x100000, func);
	start(_metadata, self, NULL);
	for (i = 0; i < sizeof(low) / sizeof(low[0]); i++) {
		hd_func_init(&self->f, hd_ret1, HD_SIZE(hd_ret1), low[i]);
		self->f.old_addr = func;
		hd_apply_init(&self->a, self->pid, &self->f, 1, self->blob,
			      sizeof(self->blob), low[i]);
		EXPECT_EQ(-EINVAL, hd_ioctl(self->fd, HD_IOC_APPLY, &self->a))
			TH_LOG("code at %#llx", (unsigned long long)low[i]);
		EXPECT_EQ(0, hd_maps_has(self->pid, "hotdeploy:"));
	}
	close(fd);
}

static void *sleep_thread(void *arg)
{
	block_forever();
	return NULL;
}

/*
 * A refused attempt leaves nothing behind: the threads asleep through it
 * were fenced, each with a callback queued that would run when it wakes,
 * and each callback held a reference on the module (rmmod said "in use"
 * while the target lived).  The module's count is the same after ten
 * refusals as before.
 */
TEST_F(refuse, refused_attempts_leave_no_module_reference)
{
	int refs, i;

	HD_RETURN_IF_SKIPPED();
	start(_metadata, self, sleep_thread);
	refs = hd_module_refs();
	ASSERT_LT(0, refs);
	for (i = 0; i < 10; i++) {
		hd_func_init(&self->f, hd_ret1, HD_SIZE(hd_ret1), self->code);
		hd_apply_init(&self->a, self->pid, &self->f, 1, self->blob,
			      sizeof(self->blob), self->code);
		self->f.expect[1] ^= 0xff;
		EXPECT_EQ(-EILSEQ, hd_ioctl(self->fd, HD_IOC_APPLY, &self->a));
		EXPECT_LE(2U, self->a.nr_threads);
	}
	EXPECT_EQ(refs, hd_module_refs());
	unchanged(_metadata, self);
}

TEST_F(refuse, without_cap_sys_ptrace_is_eperm)
{
	int status;
	pid_t pid;

	HD_RETURN_IF_SKIPPED();

	start(_metadata, self, NULL);
	pid = fork();
	if (pid == 0) {
		struct __user_cap_header_struct h = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct d[2];

		/* Keep the open descriptor, lose the capability. */
		if (syscall(SYS_capget, &h, d))
			_exit(2);
		d[0].effective &= ~(1u << CAP_SYS_PTRACE);
		if (syscall(SYS_capset, &h, d))
			_exit(3);
		_exit(hd_ioctl(self->fd, HD_IOC_APPLY, &self->a) == -EPERM ?
		      0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	unchanged(_metadata, self);
}

TEST_HARNESS_MAIN
