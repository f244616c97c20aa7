// SPDX-License-Identifier: GPL-2.0
/*
 * One patch redirecting HD_MAX_FUNCS functions at once: all of them
 * change in the same stop, and the pause stays close to that of one.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "hd_selftest.h"
#include "hd_target.h"

/* The child's view: the sum of all HD_MANY functions, again and again. */
struct many_shared {
	volatile int sum;
	volatile long iters;
};

static void run(struct many_shared *m)
{
	unsigned int i;
	int sum;

	for (;;) {
		for (sum = 0, i = 0; i < HD_MANY; i++)
			sum += hd_many_call(i);
		m->sum = sum;
		m->iters++;
		usleep(1000);
	}
}

static int wait_sum(struct many_shared *m, int sum)
{
	long start = m->iters;
	int ms = 10000;

	while (ms-- > 0 && (m->sum != sum || m->iters < start + 2))
		usleep(1000);
	return m->sum;
}

static int apply_many(int fd, pid_t pid, unsigned int n, uint64_t code,
		      struct hd_apply *a)
{
	static struct hd_func f[HD_MANY];
	static unsigned char blob[6];
	unsigned int i;

	hd_blob_ret(blob, 2);
	for (i = 0; i < n; i++)
		hd_func_init(&f[i], hd_many + 16 * i, HD_MANY_SIZE, code);
	hd_apply_init(a, pid, f, n, blob, sizeof(blob), code);
	a->attempts = 50;
	return hd_ioctl(fd, HD_IOC_APPLY, a);
}

TEST(apply_1024_functions_in_one_stop)
{
	struct many_shared *m;
	struct hd_apply a;
	struct hd_revert r;
	unsigned char b[5];
	uint64_t code;
	pid_t pid;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	ASSERT_EQ(HD_MANY, HD_MAX_FUNCS);
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	pid = fork();
	if (pid == 0)
		run(m);
	ASSERT_EQ(HD_MANY, wait_sum(m, HD_MANY));
	code = hd_find_hole(pid, hd_addr(hd_many), 4096);
	ASSERT_NE(0, code);

	ASSERT_EQ(0, apply_many(fd, pid, 1, code, &a));
	hd_log_timing("1 function", &a.timing, a.nr_threads);
	EXPECT_EQ(HD_MANY + 1, wait_sum(m, HD_MANY + 1));
	ASSERT_EQ(0, hd_revert_top(fd, pid, a.patch_id, &r));
	EXPECT_EQ(HD_MANY, wait_sum(m, HD_MANY));

	ASSERT_EQ(0, apply_many(fd, pid, HD_MANY, code, &a));
	hd_log_timing("1024 functions", &a.timing, a.nr_threads);
	EXPECT_EQ(2 * HD_MANY, wait_sum(m, 2 * HD_MANY));
	ASSERT_EQ(0, hd_peek(pid, hd_addr(hd_many) + 16 * (HD_MANY - 1), b,
			     sizeof(b)));
	EXPECT_EQ(0xe9, b[0]);
	ASSERT_EQ(0, hd_revert_top(fd, pid, a.patch_id, &r));
	hd_log_timing("revert 1024 functions", &r.timing, r.nr_threads);
	EXPECT_EQ(HD_MANY, wait_sum(m, HD_MANY));

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
}

TEST_HARNESS_MAIN
