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

static int apply_ret2(int fd, pid_t pid, struct hd_apply *a)
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
	a->timeout_ms = 10000;
	return hd_ioctl(fd, HD_IOC_APPLY, a);
}

TEST_F_TIMEOUT(life, forking_and_cloning_target_is_patched, 120)
{
	struct hd_apply a;
	uint64_t t0;
	pid_t pid;

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

TEST_HARNESS_MAIN
