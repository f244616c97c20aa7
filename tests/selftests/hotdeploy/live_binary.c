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

static char root[PATH_MAX];

/* The repository: this binary is build/selftests/live_binary. */
static const char *repo(void)
{
	char exe[PATH_MAX];
	ssize_t n;
	int i;

	if (root[0])
		return root;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return ".";
	exe[n] = '\0';
	for (i = 0; i < 3; i++)
		*strrchr(exe, '/') = '\0';
	snprintf(root, sizeof(root), "%s", exe);
	return root;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# $ %s\n", cmd);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct prog {
	pid_t pid;
	int out;
	char buf[65536];
	size_t have;
};

static int start(struct prog *t, const char *path)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	t->have = 0;
	t->pid = fork();
	if (t->pid < 0)
		return -errno;
	if (t->pid == 0) {
		dup2(p[1], 1);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	t->out = p[0];
	return 0;
}

/* The next line starting with @prefix, its number in *@val, in @ms. */
static int wait_line(struct prog *t, const char *prefix, long *val, int ms)
{
	struct pollfd pfd = { .fd = t->out, .events = POLLIN };
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		char *nl;
		ssize_t r;
		long el;

		while ((nl = memchr(t->buf, '\n', t->have))) {
			size_t len = nl + 1 - t->buf;
			int match = !strncmp(t->buf, prefix, strlen(prefix));

			*nl = '\0';
			if (match && val)
				*val = atol(t->buf + strlen(prefix));
			memmove(t->buf, nl + 1, t->have - len);
			t->have -= len;
			if (match)
				return 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		el = (now.tv_sec - t0.tv_sec) * 1000 +
		     (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (el >= ms)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, ms - el) <= 0)
			continue;
		r = read(t->out, t->buf + t->have, sizeof(t->buf) - t->have);
		if (r <= 0)
			return -EPIPE;
		t->have += r;
	}
}

static int wait_value(struct prog *t, long want, int ms)
{
	long v = 0;
	int ret;

	do {
		ret = wait_line(t, "value ", &v, ms);
	} while (!ret && v != want);
	return ret;
}

static int stop(struct prog *t)
{
	int status;

	kill(t->pid, SIGTERM);
	if (waitpid(t->pid, &status, 0) != t->pid)
		return -1;
	close(t->out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

FIXTURE(live_binary) {
	struct prog t;
	int started;
};

FIXTURE_VARIANT(live_binary) {
	const char *name;
};

FIXTURE_VARIANT_ADD(live_binary, gcc_O2_pie) { "binary_gcc_O2_pie" };
FIXTURE_VARIANT_ADD(live_binary, clang_O0_nopie) { "binary_clang_O0_nopie" };

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
	ASSERT_EQ(0, sh("%s/userspace/hdctl info /tmp/%s.hdp | grep -q 'shlib    snprintf'",
			repo(), c));
	ASSERT_EQ(0, sh("%s/userspace/hdctl apply /tmp/%s.hdp --pid %d",
			repo(), c, self->t.pid));
	ASSERT_EQ(0, wait_value(&self->t, 2, 10000));
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d | grep -q ': 1 patch'",
			repo(), self->t.pid));
	ASSERT_EQ(0, sh("%s/userspace/hdctl revert --pid %d --all", repo(),
			self->t.pid));
	ASSERT_EQ(0, wait_value(&self->t, 1, 10000));
}

TEST_HARNESS_MAIN
