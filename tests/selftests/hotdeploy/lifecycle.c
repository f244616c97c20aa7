// SPDX-License-Identifier: GPL-2.0
/*
 * Targets that die, exec, fork and clone while being patched: the apply
 * succeeds or fails cleanly, never hangs, and leaks nothing (vm-run
 * unloads the module afterwards and scans dmesg).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "hd_selftest.h"
#include "hd_target.h"

#define ROUNDS	10

struct churn {
	atomic_int threads_saw2;	/* threads created after the patch */
	atomic_int child_value;		/* hd_ret1() in the latest fork */
	atomic_long rounds;
};

static struct churn *ch;

static void *short_thread(void *arg)
{
	if (hd_ret1() == 2)
		atomic_fetch_add(&ch->threads_saw2, 1);
	return NULL;
}

/* Creates and joins threads as fast as it can. */
static void *cloner(void *arg)
{
	pthread_t th;

	for (;;) {
		if (!pthread_create(&th, NULL, short_thread, NULL))
			pthread_join(th, NULL);
		atomic_fetch_add(&ch->rounds, 1);
	}
	return NULL;
}

/* Forks as fast as it can; each child reports hd_ret1(). */
static void *forker(void *arg)
{
	int status;
	pid_t pid;

	for (;;) {
		pid = fork();
		if (pid == 0)
			_exit(hd_ret1());
		if (pid > 0 && waitpid(pid, &status, 0) == pid &&
		    WIFEXITED(status))
			atomic_store(&ch->child_value, WEXITSTATUS(status));
	}
	return NULL;
}

static void *spinner(void *arg)
{
	for (;;)
		hd_call_ret1();
	return NULL;
}

static void *execer(void *arg)
{
	usleep((uintptr_t)arg);
	execl("/bin/true", "true", NULL);
	_exit(99);
}

static void *sleeper(void *arg)
{
	for (;;)
		pause();
	return NULL;
}

FIXTURE(life) {
	int fd;
	pid_t pid;
};

FIXTURE_SETUP(life)
{
	self->pid = 0;
	HD_OPEN_OR_SKIP(self->fd);
	ch = mmap(NULL, sizeof(*ch), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ch);
	memset(ch, 0, sizeof(*ch));
}

FIXTURE_TEARDOWN(life)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	if (self->fd >= 0)
		close(self->fd);
}

/* Fork a child running @n threads of @fn (arg @arg) and one sleeper. */
static pid_t spawn(void *(*fn)(void *), void *arg, int n)
{
	pthread_t th;
	pid_t pid;
	int i;

	pid = fork();
	if (pid == 0) {
		pthread_create(&th, NULL, sleeper, NULL);
		for (i = 0; i < n; i++)
			pthread_create(&th, NULL, fn, arg);
		sleeper(NULL);
	}
	return pid;
}

static int apply_ret2_timeout(int fd, pid_t pid, struct hd_apply *a,
			      unsigned int timeout_ms)
{
	static unsigned char blob[6];
	static struct hd_func f;
	uint64_t code;

	code = hd_find_hole(pid, hd_addr(hd_ret1), 4096);
	if (!code)
		return -ESRCH;	/* already gone */
	hd_blob_ret(blob, 2);
	hd_func_init(&f, hd_ret1, HD_SIZE(hd_ret1), code);
	hd_apply_init(a, pid, &f, 1, blob, sizeof(blob), code);
	a->attempts = 20;
	a->timeout_ms = timeout_ms;
	return hd_ioctl(fd, HD_IOC_APPLY, a);
}

static int apply_ret2(int fd, pid_t pid, struct hd_apply *a)
{
	return apply_ret2_timeout(fd, pid, a, 10000);
}

TEST_F_TIMEOUT(life, forking_and_cloning_target_is_patched, 120)
{
	struct hd_apply a;
	uint64_t t0;
	pid_t pid;

	HD_RETURN_IF_SKIPPED();

	pid = fork();
	if (pid == 0) {
		pthread_t th;

		pthread_create(&th, NULL, cloner, NULL);
		pthread_create(&th, NULL, cloner, NULL);
		pthread_create(&th, NULL, forker, NULL);
		sleeper(NULL);
	}
	self->pid = pid;
	ASSERT_LT(0, pid);
	t0 = hd_now_ns();
	while (atomic_load(&ch->child_value) != 1 && hd_now_ns() - t0 < 20e9)
		usleep(10000);
	ASSERT_EQ(1, atomic_load(&ch->child_value));

	ASSERT_EQ(0, apply_ret2(self->fd, pid, &a))
		TH_LOG("reason %u tid %u", a.fail_reason, a.fail_tid);
	hd_log_timing("apply under clone/fork churn", &a.timing, a.nr_threads);

	/* New threads and new children run the patched code. */
	t0 = hd_now_ns();
	while ((atomic_load(&ch->child_value) != 2 ||
		atomic_load(&ch->threads_saw2) < 10) && hd_now_ns() - t0 < 20e9)
		usleep(10000);
	EXPECT_EQ(2, atomic_load(&ch->child_value));
	EXPECT_LE(10, atomic_load(&ch->threads_saw2));
}

TEST_F_TIMEOUT(life, target_killed_while_applying_never_hangs, 120)
{
	int i, ret, ok = 0, gone = 0;
	struct hd_apply a;
	pid_t pid;

	HD_RETURN_IF_SKIPPED();

	for (i = 0; i < ROUNDS; i++) {
		pid = spawn(spinner, NULL, 4);
		ASSERT_LT(0, pid);
		self->pid = pid;
		usleep(50000);
		if (fork() == 0) {
			usleep(i * 700);	/* somewhere in the apply */
			kill(pid, SIGKILL);
			_exit(0);
		}
		ret = apply_ret2(self->fd, pid, &a);
		EXPECT_TRUE(ret == 0 || ret == -ESRCH)
			TH_LOG("round %d: %d reason %u", i, ret, a.fail_reason);
		ok += ret == 0;
		gone += ret == -ESRCH;
		waitpid(pid, NULL, 0);
		wait(NULL);
		self->pid = 0;
	}
	printf("# %d applied before the kill, %d refused as gone\n", ok, gone);
}

TEST_F_TIMEOUT(life, target_execing_while_applying_never_hangs, 120)
{
	int i, ret, status;
	struct hd_apply a;
	pid_t pid;

	HD_RETURN_IF_SKIPPED();

	for (i = 0; i < ROUNDS; i++) {
		pid = fork();
		if (pid == 0) {
			pthread_t th;
			int j;

			for (j = 0; j < 4; j++)
				pthread_create(&th, NULL, spinner, NULL);
			pthread_create(&th, NULL, execer,
				       (void *)(uintptr_t)(20000 + i * 1000));
			sleeper(NULL);
		}
		ASSERT_LT(0, pid);
		self->pid = pid;
		usleep(15000);
		ret = apply_ret2(self->fd, pid, &a);
		EXPECT_TRUE(ret == 0 || ret == -ESRCH)
			TH_LOG("round %d: %d reason %u", i, ret, a.fail_reason);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		self->pid = 0;
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}
}

/*
 * A thread waiting for its vfork child sleeps killably, so it cannot be
 * parked until the child execs or exits: the apply gives up after its
 * timeout, names the thread, and changes nothing.
 */
static void *vforker(void *arg)
{
	*(pid_t *)arg = gettid();
	if (vfork() == 0) {
		usleep(3000000);
		_exit(0);
	}
	return NULL;
}

TEST_F_TIMEOUT(life, thread_that_cannot_park_is_etimedout, 60)
{
	unsigned char before[8], after[8];
	pid_t *tid = (pid_t *)ch;	/* the vforking thread, from the child */
	struct hd_apply a;
	int refs;
	pthread_t th;
	pid_t pid;

	HD_RETURN_IF_SKIPPED();

	pid = fork();
	if (pid == 0) {
		/* The vfork child outlives the test: not with our device. */
		close(self->fd);
		pthread_create(&th, NULL, vforker, tid);
		sleeper(NULL);
	}
	ASSERT_LT(0, pid);
	self->pid = pid;
	usleep(300000);
	ASSERT_NE(0, *tid);
	ASSERT_EQ(0, hd_peek(pid, hd_addr(hd_ret1), before, sizeof(before)));
	EXPECT_EQ(-ETIMEDOUT, apply_ret2_timeout(self->fd, pid, &a, 300));
	EXPECT_EQ(HD_FAIL_PARK, a.fail_reason);
	EXPECT_EQ((__u32)*tid, a.fail_tid);
	ASSERT_EQ(0, hd_peek(pid, hd_addr(hd_ret1), after, sizeof(after)));
	EXPECT_EQ(0, memcmp(before, after, sizeof(after)));
	EXPECT_EQ(0, hd_maps_has(pid, "hotdeploy:"));

	/*
	 * The thread that never parked never ran its task_work: the stop
	 * took it back, so nothing of the stop pins the module while the
	 * target lives on (once it did, until the thread ran it).
	 */
	refs = hd_module_refs();
	if (refs >= 0) {
		EXPECT_EQ(1, refs);	/* our descriptor only */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		self->pid = 0;
		EXPECT_EQ(1, hd_module_refs());
	}
}

struct racer {
	int fd;
	pid_t pid;
	uint64_t code;
	int value;
	int ret;
};

static void *race_apply(void *arg)
{
	struct racer *r = arg;
	unsigned char blob[6];
	struct hd_apply a;
	struct hd_func f;

	hd_blob_ret(blob, r->value);
	hd_func_init(&f, hd_ret1, HD_SIZE(hd_ret1), r->code);
	hd_apply_init(&a, r->pid, &f, 1, blob, sizeof(blob), r->code);
	/*
	 * The loser's attempts find the spinner in the winner's new code
	 * (an old version of hd_ret1 to it) about half the time: enough of
	 * them that one gets past that to the bytes.
	 */
	a.attempts = 50;
	r->ret = hd_ioctl(r->fd, HD_IOC_APPLY, &a);
	return NULL;
}

/*
 * Two applies at once expecting the same original bytes: on one target
 * they serialise, so exactly one wins and the other sees the first one's
 * jump (-EILSEQ); on two targets both succeed.
 */
TEST_F_TIMEOUT(life, concurrent_applies_serialise_per_target, 60)
{
	struct racer r[2];
	pthread_t th[2];
	pid_t pids[2];
	int i, round;

	HD_RETURN_IF_SKIPPED();

	for (i = 0; i < 2; i++) {
		pids[i] = spawn(spinner, NULL, 1);
		ASSERT_LT(0, pids[i]);
	}
	usleep(100000);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 2; i++) {
			r[i].fd = self->fd;
			r[i].pid = round ? pids[i] : pids[0];
			r[i].code = hd_find_hole(r[i].pid, hd_addr(hd_ret1),
						 3 * 4096) + 4096 * (i + round);
			r[i].value = 2 + i;
		}
		for (i = 0; i < 2; i++)
			pthread_create(&th[i], NULL, race_apply, &r[i]);
		for (i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		if (round == 0) {
			EXPECT_TRUE((r[0].ret == 0 && r[1].ret == -EILSEQ) ||
				    (r[1].ret == 0 && r[0].ret == -EILSEQ))
				TH_LOG("same target: %d %d", r[0].ret, r[1].ret);
			kill(pids[0], SIGKILL);
			waitpid(pids[0], NULL, 0);
			pids[0] = spawn(spinner, NULL, 1);
			usleep(100000);
		} else {
			EXPECT_EQ(0, r[0].ret);
			EXPECT_EQ(0, r[1].ret);
		}
	}
	for (i = 0; i < 2; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
}

TEST_HARNESS_MAIN
