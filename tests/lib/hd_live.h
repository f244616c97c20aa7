/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the end-to-end selftests: the repository the test binary was built
 * in, shell command lines run from the test, and a program started with
 * its stdout on a pipe, read line by line.
 */
#ifndef HD_LIVE_H
#define HD_LIVE_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * The repository: test binaries are build/selftests/NAME.  Half a path at
 * most, so that paths made from it fit in PATH_MAX.
 */
static inline const char *repo(void)
{
	static char root[PATH_MAX / 2];
	char exe[PATH_MAX];
	size_t len;
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
	len = strlen(exe);
	if (len >= sizeof(root))
		return ".";
	memcpy(root, exe, len + 1);
	return root;
}

/* Run a shell command line, echoed as a TAP comment; its exit status. */
static inline int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# $ %s\n", cmd);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct target {
	pid_t pid;
	int out;		/* the program's stdout */
	char buf[65536];
	size_t have;
};

static inline int start(struct target *t, const char *prog)
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
		execl(prog, prog, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	t->out = p[0];
	return 0;
}

/*
 * Read the program's lines until one starts with @prefix; put its number
 * in *val.  Gives up after @ms milliseconds.
 */
static inline int wait_line(struct target *t, const char *prefix, long *val,
			    int ms)
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

/* Wait until the program prints "value @want". */
static inline int wait_value(struct target *t, long want, int ms)
{
	long v = 0;
	int ret;

	do {
		ret = wait_line(t, "value ", &v, ms);
	} while (!ret && v != want);
	return ret;
}

/* SIGTERM, reap; the exit status, or 128 + the signal. */
static inline int stop(struct target *t)
{
	int status;

	kill(t->pid, SIGTERM);
	if (waitpid(t->pid, &status, 0) != t->pid)
		return -1;
	close(t->out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* hdctl diff for a live case's versions @from -> @to into @hdp. */
static inline int make_patch(const char *c, int from, int to,
			     const char *target, const char *hdp)
{
	return sh("cd %s && userspace/hdctl diff build/live/%s/v%d/*.o "
		  "build/live/%s/v%d/*.o --target build/live/%s/%s -o %s",
		  repo(), c, from, c, to, c, target, hdp);
}

/* Start build/live/@c/prog and wait until it prints its first value. */
static inline int start_case(struct target *t, const char *c)
{
	char prog[PATH_MAX];

	snprintf(prog, sizeof(prog), "%s/build/live/%s/prog", repo(), c);
	if (start(t, prog))
		return -1;
	return wait_line(t, "ready ", NULL, 10000) ||
	       wait_line(t, "value ", NULL, 10000) ? -1 : 0;
}

/* Run an hdctl command line that must exit with @code and print @what. */
static inline int run_refused(int code, const char *what, const char *fmt,
			      ...) __attribute__((format(printf, 3, 4)));
static inline int run_refused(int code, const char *what, const char *fmt,
			      ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (sh("cd %s && %s >/tmp/refused.err 2>&1", repo(), cmd) != code)
		return -1;
	return sh("cat /tmp/refused.err >&2; grep -q -- '%s' /tmp/refused.err",
		  what);
}

#endif /* HD_LIVE_H */
