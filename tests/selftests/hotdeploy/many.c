// SPDX-License-Identifier: GPL-2.0
/*
 * One patch redirecting HD_MAX_FUNCS functions at once: all of them
 * change in the same stop, and the pause stays close to that of one.
 * Redirects in any order, and one whose 5 bytes straddle two pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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
	if (pid == 0) {
		/* Not with our device, nor beyond a failed assertion. */
		close(fd);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		run(m);
	}
	ASSERT_EQ(HD_MANY, wait_sum(m, HD_MANY));
	code = hd_find_hole(pid, hd_addr(hd_many), 8192);
	ASSERT_NE(0, code);

	ASSERT_EQ(0, apply_many(fd, pid, 1, code, &a));
	hd_log_timing("1 function", &a.timing, a.nr_threads);
	EXPECT_EQ(HD_MANY + 1, wait_sum(m, HD_MANY + 1));
	ASSERT_EQ(0, hd_revert_top(fd, pid, a.patch_id, &r));
	EXPECT_EQ(HD_MANY, wait_sum(m, HD_MANY));

	/* The first patch's code stays mapped, retired: the next goes after. */
	ASSERT_EQ(0, apply_many(fd, pid, HD_MANY, code + 4096, &a));
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

/*
 * Three functions returning 1, 16 bytes apart, the first at 3 bytes before
 * a page boundary, so that its jump straddles two pages.
 */
#define HD_STRADDLE	3
extern const unsigned char hd_straddle[];
__asm__(".text\n"
	".p2align 12\n"
	".skip 4093, 0xcc\n"
	".globl hd_straddle\nhd_straddle:\n"
	".rept 3\n\tmovl $1, %eax\n\tret\n\t.skip 10, 0xcc\n.endr\n");

static void run_straddle(struct many_shared *m)
{
	unsigned int i;
	int sum;

	for (;;) {
		for (sum = 0, i = 0; i < HD_STRADDLE; i++)
			sum += ((int (*)(void))(hd_straddle + 16 * i))();
		m->sum = sum;
		m->iters++;
		usleep(1000);
	}
}

/*
 * Write @len bytes into the stopped child, as a debugger would: a write
 * through /proc/PID/mem is a plain copy, and a child running the function
 * meanwhile could execute a half-written instruction (the jump's opcode
 * before its offset).  Returns what pwrite() returned.
 */
static ssize_t poke_stopped(pid_t pid, uint64_t addr, const void *buf,
			    size_t len)
{
	char path[64];
	ssize_t ret;
	int mem, st;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	if (kill(pid, SIGSTOP) || waitpid(pid, &st, WUNTRACED) != pid)
		return -1;
	mem = open(path, O_RDWR);
	ret = mem < 0 ? -1 : pwrite(mem, buf, len, addr);
	if (mem >= 0)
		close(mem);
	kill(pid, SIGCONT);
	return ret;
}

/*
 * Redirects given out of address order, one across a page boundary, all
 * written once the expected bytes are right (they are checked across the
 * boundary too); a revert that finds one jump changed behind its back
 * refuses before writing any, then the rest of the text is still patched.
 */
TEST(redirects_out_of_order_and_across_pages)
{
	static const unsigned int order[HD_STRADDLE] = { 2, 0, 1 };
	struct hd_func f[HD_STRADDLE];
	unsigned char blob[6], b[48];
	struct many_shared *m;
	struct hd_apply a;
	struct hd_revert r;
	uint64_t code;
	unsigned int i;
	int32_t rel;
	pid_t pid;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	ASSERT_EQ(4093, hd_addr(hd_straddle) % 4096);
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	pid = fork();
	if (pid == 0) {
		/* Not with our device, nor beyond a failed assertion. */
		close(fd);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		run_straddle(m);
	}
	ASSERT_EQ(HD_STRADDLE, wait_sum(m, HD_STRADDLE));
	code = hd_find_hole(pid, hd_addr(hd_straddle), 4096);
	ASSERT_NE(0, code);

	hd_blob_ret(blob, 2);
	for (i = 0; i < HD_STRADDLE; i++)
		hd_func_init(&f[i], hd_straddle + 16 * order[i], 6, code);
	/* An expected byte past the jump, on the next page, differs. */
	f[1].expect[5] ^= 0xff;		/* order[1]: the first function */
	hd_apply_init(&a, pid, f, HD_STRADDLE, blob, sizeof(blob), code);
	a.attempts = 50;
	EXPECT_EQ(-EILSEQ, hd_ioctl(fd, HD_IOC_APPLY, &a));
	EXPECT_EQ(HD_FAIL_EXPECT, a.fail_reason);
	EXPECT_EQ(1U, a.fail_func);
	ASSERT_EQ(0, hd_peek(pid, hd_addr(hd_straddle), b, sizeof(b)));
	EXPECT_EQ(0, memcmp(b, hd_straddle, sizeof(b)));

	f[1].expect[5] ^= 0xff;
	hd_apply_init(&a, pid, f, HD_STRADDLE, blob, sizeof(blob), code);
	a.attempts = 50;
	ASSERT_EQ(0, hd_ioctl(fd, HD_IOC_APPLY, &a));
	EXPECT_EQ(2 * HD_STRADDLE, wait_sum(m, 2 * HD_STRADDLE));
	ASSERT_EQ(0, hd_peek(pid, hd_addr(hd_straddle), b, sizeof(b)));
	for (i = 0; i < HD_STRADDLE; i++)
		EXPECT_EQ(0xe9, b[16 * i]);

	/* Someone puts the original bytes back at the last function. */
	ASSERT_EQ(5, poke_stopped(pid, hd_addr(hd_straddle) + 32,
				  hd_straddle + 32, 5));
	EXPECT_EQ(-EILSEQ, hd_revert_top(fd, pid, a.patch_id, &r));
	EXPECT_EQ(HD_FAIL_EXPECT, r.fail_reason);
	EXPECT_EQ(0, r.fail_func);	/* order[0]: the last function */
	ASSERT_EQ(0, hd_peek(pid, hd_addr(hd_straddle), b, sizeof(b)));
	EXPECT_EQ(0xe9, b[0]);
	EXPECT_EQ(0xe9, b[16]);
	EXPECT_EQ(0, memcmp(b + 32, hd_straddle + 32, 16));

	/* Put that jump back: the revert restores every byte. */
	rel = (int32_t)(code - (hd_addr(hd_straddle) + 32 + 5));
	b[0] = 0xe9;
	memcpy(b + 1, &rel, 4);
	ASSERT_EQ(5, poke_stopped(pid, hd_addr(hd_straddle) + 32, b, 5));
	ASSERT_EQ(0, hd_revert_top(fd, pid, a.patch_id, &r));
	EXPECT_EQ(HD_STRADDLE, wait_sum(m, HD_STRADDLE));
	ASSERT_EQ(0, hd_peek(pid, hd_addr(hd_straddle), b, sizeof(b)));
	EXPECT_EQ(0, memcmp(b, hd_straddle, sizeof(b)));

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
}

TEST_HARNESS_MAIN
