// SPDX-License-Identifier: GPL-2.0
/*
 * HD_IOC_REVERT and HD_IOC_LIST: a revert restores the original bytes
 * exactly and retires the code, which stays mapped; patches stack and
 * revert last in, first out.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "hd_selftest.h"
#include "hd_target.h"

FIXTURE(revert) {
	int fd;
	pid_t pid;
	struct hd_loop *l;
	unsigned char orig[16];
	uint64_t code;
};

FIXTURE_SETUP(revert)
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
	ASSERT_EQ(0, hd_peek(self->pid, hd_addr(hd_ret1), self->orig,
			     sizeof(self->orig)));
	self->code = hd_find_hole(self->pid, hd_addr(hd_ret1), 8192);
	ASSERT_NE(0, self->code);
}

FIXTURE_TEARDOWN(revert)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Redirect hd_ret1 to code returning @value at @code, expecting the bytes
 * the child has now.  Returns the patch id.
 */
static uint64_t patch_ret(struct __test_metadata *_metadata,
			  struct _test_data_revert *self, uint64_t code, int value)
{
	unsigned char blob[6];
	struct hd_apply a;
	struct hd_func f;

	hd_blob_ret(blob, value);
	hd_func_init(&f, hd_ret1, HD_SIZE(hd_ret1), code);
	EXPECT_EQ(0, hd_peek(self->pid, f.old_addr, f.expect, f.expect_len));
	hd_apply_init(&a, self->pid, &f, 1, blob, sizeof(blob), code);
	EXPECT_EQ(0, hd_ioctl(self->fd, HD_IOC_APPLY, &a))
		TH_LOG("fail_reason %u", a.fail_reason);
	EXPECT_EQ(value, hd_loop_wait(self->l, value, 10000));
	return a.patch_id;
}

static void expect_original(struct __test_metadata *_metadata,
			    struct _test_data_revert *self)
{
	unsigned char now[sizeof(self->orig)];

	ASSERT_EQ(0, hd_peek(self->pid, hd_addr(hd_ret1), now, sizeof(now)));
	EXPECT_EQ(0, memcmp(self->orig, now, sizeof(now)));
	EXPECT_EQ(1, hd_maps_has(self->pid, "hotdeploy:"));	/* retired */
	EXPECT_EQ(1, hd_loop_wait(self->l, 1, 10000));
}

TEST_F(revert, revert_restores_the_original_bytes)
{
	struct hd_revert r;
	uint64_t id, t0;

	HD_RETURN_IF_SKIPPED();

	id = patch_ret(_metadata, self, self->code, 2);
	ASSERT_NE(0, id);
	EXPECT_EQ(1, hd_maps_has(self->pid, "hotdeploy:"));
	t0 = hd_now_ns();
	ASSERT_EQ(0, hd_revert_top(self->fd, self->pid, id, &r));
	EXPECT_LT(t0, r.pause_start_ns);
	EXPECT_LE(r.pause_start_ns + r.timing.pause_ns, hd_now_ns());
	EXPECT_EQ(id, r.reverted_id);
	hd_log_timing("revert", &r.timing, r.nr_threads);
	expect_original(_metadata, self);
	EXPECT_EQ(-ENOENT, hd_revert_top(self->fd, self->pid, 0, &r));
	EXPECT_EQ(-EALREADY, hd_revert_top(self->fd, self->pid, id, &r));
}

/*
 * The write gives the process its own copy of the page, as ptrace's poke
 * does; once reverted the copy holds the file's bytes again and is
 * dropped, so the text is shared with the page cache as before.
 */
TEST_F(revert, revert_shares_the_text_with_the_file_again)
{
	uint64_t text = hd_addr(hd_ret1);
	struct hd_revert r;
	uint64_t id;
	int value;

	HD_RETURN_IF_SKIPPED();

	ASSERT_EQ(0, hd_private_kb(self->pid, text));
	/*
	 * Twice: the second copy is made from the file, not left over.  The
	 * first patch's code stays mapped, retired: the second goes after it.
	 */
	for (value = 2; value <= 3; value++) {
		id = patch_ret(_metadata, self, self->code + (value - 2) * 4096,
			       value);
		ASSERT_NE(0, id);
		EXPECT_LT(0, hd_private_kb(self->pid, text));
		ASSERT_EQ(0, hd_revert_top(self->fd, self->pid, id, &r));
		EXPECT_EQ(0, hd_private_kb(self->pid, text));
		expect_original(_metadata, self);
	}
}

TEST_F(revert, stacked_patches_revert_last_in_first_out)
{
	struct hd_patch_info info[4];
	struct hd_func_info funcs[4];
	struct hd_list l = { .size = sizeof(l) };
	struct hd_revert r;
	uint64_t id1, id2;

	HD_RETURN_IF_SKIPPED();

	id1 = patch_ret(_metadata, self, self->code, 2);
	id2 = patch_ret(_metadata, self, self->code + 4096, 3);
	ASSERT_NE(0, id1);
	ASSERT_LT(id1, id2);

	l.pid = self->pid;
	l.patches = hd_addr(info);
	l.nr_patches = 4;
	l.info_size = sizeof(info[0]);
	l.funcs = hd_addr(funcs);
	l.nr_funcs = 4;
	ASSERT_EQ(0, hd_ioctl(self->fd, HD_IOC_LIST, &l));
	ASSERT_EQ(2U, l.nr_patches);
	ASSERT_EQ(2U, l.nr_funcs);
	EXPECT_EQ(id1, info[0].patch_id);
	EXPECT_EQ(self->code, info[0].code_addr);
	EXPECT_EQ(6U, info[0].code_size);
	EXPECT_EQ(1U, info[0].nr_funcs);
	EXPECT_EQ(0U, info[0].flags);
	EXPECT_EQ(4096U, info[0].map_size);
	EXPECT_NE(0, info[0].applied_ns);
	EXPECT_EQ(id2, info[1].patch_id);
	EXPECT_EQ(hd_addr(hd_ret1), funcs[1].old_addr);
	EXPECT_EQ(self->code + 4096, funcs[1].new_addr);

	/* Out of order: refused, nothing changes. */
	EXPECT_EQ(-ENOTEMPTY, hd_revert_top(self->fd, self->pid, id1, &r));
	EXPECT_EQ(3, hd_loop_wait(self->l, 3, 1000));
	EXPECT_EQ(-ENOENT, hd_revert_top(self->fd, self->pid, id2 + 100, &r));

	ASSERT_EQ(0, hd_revert_top(self->fd, self->pid, id2, &r));
	EXPECT_EQ(2, hd_loop_wait(self->l, 2, 10000));
	ASSERT_EQ(0, hd_revert_top(self->fd, self->pid, 0, &r));
	EXPECT_EQ(id1, r.reverted_id);
	expect_original(_metadata, self);

	/* Both retired: listed after the applied ones, with no redirects. */
	l.nr_patches = 4;
	l.nr_funcs = 4;
	ASSERT_EQ(0, hd_ioctl(self->fd, HD_IOC_LIST, &l));
	EXPECT_EQ(2U, l.nr_patches);
	EXPECT_EQ(0U, l.nr_funcs);
	EXPECT_EQ(id2, info[0].patch_id);	/* retired first */
	EXPECT_EQ(id1, info[1].patch_id);
	EXPECT_EQ(HD_PATCH_RETIRED, info[0].flags);
	EXPECT_EQ(HD_PATCH_RETIRED, info[1].flags);
	EXPECT_EQ(0U, info[1].nr_funcs);
	EXPECT_EQ(4096U, info[1].map_size);
	EXPECT_EQ(self->code, info[1].code_addr);
}

/*
 * A caller that knows only the first version of hd_patch_info gets
 * entries of that size, the fields after them untouched.
 */
TEST_F(revert, list_fills_entries_of_the_size_asked_for)
{
	struct hd_patch_info info[2];
	struct hd_list l = { .size = sizeof(l) };

	HD_RETURN_IF_SKIPPED();

	patch_ret(_metadata, self, self->code, 2);
	patch_ret(_metadata, self, self->code + 4096, 3);
	memset(info, 0xa5, sizeof(info));
	l.pid = self->pid;
	l.patches = hd_addr(info);
	l.nr_patches = 2;
	ASSERT_EQ(0, hd_ioctl(self->fd, HD_IOC_LIST, &l));
	ASSERT_EQ(2U, l.nr_patches);
	/* 40-byte entries: the second starts where info[0].flags is. */
	EXPECT_EQ(self->code, info[0].code_addr);
	EXPECT_EQ(self->code + 4096,
		  ((struct hd_patch_info *)((char *)info +
					    HD_PATCH_INFO_SIZE_VER0))->code_addr);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, info[1].map_size);
	l.info_size = 12;	/* less than the first version */
	EXPECT_EQ(-EINVAL, hd_ioctl(self->fd, HD_IOC_LIST, &l));
}

/*
 * Patch 1 sends hd_ret1 to a loop that never returns; the child's thread
 * ends up spinning in it.  Redirecting hd_ret1 again would leave that
 * thread in an old version: refused, as the IP is in patch 1's code.
 */
TEST_F(revert, restacking_while_a_thread_runs_the_previous_patch_is_ebusy)
{
	static const unsigned char loop[] = { 0xf3, 0x90, 0xeb, 0xfc };
	unsigned char blob[6], before[8], after[8];
	struct hd_revert r;
	struct hd_apply a;
	struct hd_func f;
	long iters;

	HD_RETURN_IF_SKIPPED();

	hd_func_init(&f, hd_ret1, HD_SIZE(hd_ret1), self->code);
	hd_apply_init(&a, self->pid, &f, 1, loop, sizeof(loop), self->code);
	ASSERT_EQ(0, hd_ioctl(self->fd, HD_IOC_APPLY, &a));
	iters = self->l->iters;
	usleep(100000);
	ASSERT_GE(iters + 1, self->l->iters);	/* stuck in the loop */

	hd_blob_ret(blob, 3);
	hd_func_init(&f, hd_ret1, HD_SIZE(hd_ret1), self->code + 4096);
	ASSERT_EQ(0, hd_peek(self->pid, f.old_addr, f.expect, f.expect_len));
	ASSERT_EQ(0, hd_peek(self->pid, f.old_addr, before, sizeof(before)));
	hd_apply_init(&a, self->pid, &f, 1, blob, sizeof(blob),
		      self->code + 4096);
	a.attempts = 2;
	EXPECT_EQ(-EBUSY, hd_ioctl(self->fd, HD_IOC_APPLY, &a));
	EXPECT_EQ(HD_FAIL_IP, a.fail_reason);
	EXPECT_EQ(0U, a.fail_func);
	EXPECT_EQ((__u32)self->pid, a.fail_tid);
	ASSERT_EQ(0, hd_peek(self->pid, f.old_addr, after, sizeof(after)));
	EXPECT_EQ(0, memcmp(before, after, sizeof(after)));

	/* Nor can patch 1 be reverted (and unmapped) under that thread. */
	EXPECT_EQ(-EBUSY, hd_revert_top(self->fd, self->pid, 0, &r));
	EXPECT_EQ(HD_FAIL_IP, r.fail_reason);
	EXPECT_EQ((__u32)self->pid, r.fail_tid);
	ASSERT_EQ(0, hd_peek(self->pid, f.old_addr, after, sizeof(after)));
	EXPECT_EQ(0, memcmp(before, after, sizeof(after)));
	EXPECT_EQ(1, hd_maps_has(self->pid, "hotdeploy:"));

	/*
	 * Forced, the function is restored and the code stays mapped under
	 * the thread, which goes on spinning in it unharmed.
	 */
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.pid = self->pid;
	r.flags = HD_REVERT_FORCE;
	r.attempts = 2;
	r.retry_delay_ms = 10;
	EXPECT_EQ(0, hd_ioctl(self->fd, HD_IOC_REVERT, &r));
	EXPECT_EQ(HD_REVERT_CODE_KEPT, r.out_flags);
	EXPECT_EQ((__u32)self->pid, r.kept_tid);
	ASSERT_EQ(0, hd_peek(self->pid, f.old_addr, after, sizeof(after)));
	EXPECT_EQ(0, memcmp(self->orig, after, sizeof(after)));
	EXPECT_EQ(1, hd_maps_has(self->pid, "hotdeploy:"));
	EXPECT_EQ(-ENOENT, hd_revert_top(self->fd, self->pid, 0, &r));
	usleep(50000);
	EXPECT_EQ(0, waitpid(self->pid, NULL, WNOHANG));	/* alive */
}

/* Forced, a revert nobody is in the way of keeps no thread. */
TEST_F(revert, forced_revert_of_unused_code_keeps_no_thread)
{
	struct hd_revert r;

	HD_RETURN_IF_SKIPPED();

	patch_ret(_metadata, self, self->code, 2);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.pid = self->pid;
	r.flags = HD_REVERT_FORCE;
	EXPECT_EQ(0, hd_ioctl(self->fd, HD_IOC_REVERT, &r));
	EXPECT_EQ(0U, r.out_flags);
	expect_original(_metadata, self);
}

/* Nothing to revert, or an unknown patch. */
TEST_F(revert, revert_of_nothing_is_enoent)
{
	struct hd_revert r;

	HD_RETURN_IF_SKIPPED();

	EXPECT_EQ(-ENOENT, hd_revert_top(self->fd, self->pid, 0, &r));
	EXPECT_EQ(-ENOENT, hd_revert_top(self->fd, self->pid, 12345, &r));
	r.flags = 4;	/* unknown */
	EXPECT_EQ(-EINVAL, hd_ioctl(self->fd, HD_IOC_REVERT, &r));
	r.flags = 0;
	r.kept_tid = 1;	/* an output field */
	EXPECT_EQ(-EINVAL, hd_ioctl(self->fd, HD_IOC_REVERT, &r));
	r.kept_tid = 0;
	r.pause_start_ns = 1;	/* another */
	EXPECT_EQ(-EINVAL, hd_ioctl(self->fd, HD_IOC_REVERT, &r));
	r.pause_start_ns = 0;
	r.scan_bytes = 1;	/* and another */
	EXPECT_EQ(-EINVAL, hd_ioctl(self->fd, HD_IOC_REVERT, &r));
}

TEST_HARNESS_MAIN
