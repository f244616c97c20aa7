// SPDX-License-Identifier: GPL-2.0
/*
 * A real program nobody here wrote: Debian's Lua 5.4 interpreter, built on
 * the host by tests/realprog/build-lua into build/realprog/lua/.  It runs
 * tests/realprog/lua/count.lua, which computes without end and prints
 * "count N SUM" each round through Lua's print().  hdctl diffs the
 * interpreter's objects before and after tests/realprog/lua/
 * print-mark.patch (luaB_print() prefixes "[patched] "), applies the patch
 * while the script runs, and the lines change without a restart; revert
 * brings them back.  Every line the script printed is checked: N goes 1,
 * 2, 3... and SUM follows from N, so nothing the interpreter held was lost
 * or repeated, and the output switched exactly twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hd_selftest.h"
#include "hd_live.h"

#define OUT_FILE	"/tmp/realprog_lua.out"
#define PATCH_FILE	"/tmp/realprog_lua.hdp"
#define SUM_MOD		1000003L
#define MARK		"[patched] "
/* Long enough for a round and an hdctl run under TCG, many times over. */
#define WAIT_MS		30000

/*
 * The interpreter writes to a file, not a pipe: a full pipe would block it
 * inside print(), the very function being replaced, whenever the test is
 * busy running hdctl.  The test reads the file as it grows.
 */
struct lua_run {
	pid_t pid;
	int in;			/* OUT_FILE, read side */
	char buf[4096];
	size_t have;
	/* What the lines said so far. */
	long lines;
	long n, sum;		/* the last line's values */
	int patched;		/* whether the last line had the mark */
	int switches;		/* how often the mark came or went */
	long first_patched, first_reverted;	/* N at each switch */
	char bad[256];		/* the first line that broke the sequence */
};

static int lua_start(struct lua_run *r)
{
	char lua[PATH_MAX], script[PATH_MAX];
	int fd;

	memset(r, 0, sizeof(*r));
	r->pid = -1;
	snprintf(lua, sizeof(lua), "%s/build/realprog/lua/lua", repo());
	snprintf(script, sizeof(script), "%s/tests/realprog/lua/count.lua",
		 repo());
	fd = open(OUT_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r->in = open(OUT_FILE, O_RDONLY | O_CLOEXEC);
	if (r->in < 0) {
		close(fd);
		return -errno;
	}
	r->pid = fork();
	if (r->pid < 0) {
		close(fd);
		return -errno;
	}
	if (r->pid == 0) {
		/* Never outlive the test, even one killed by its timeout. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fd, 1);
		execl(lua, lua, script, (char *)NULL);
		_exit(127);
	}
	close(fd);
	return 0;
}

/* Check one complete line against the ones before it. */
static void lua_line(struct lua_run *r, const char *line)
{
	int patched = !strncmp(line, MARK, strlen(MARK));
	long n, sum, want;

	if (patched)
		line += strlen(MARK);
	if (sscanf(line, "count\t%ld\t%ld", &n, &sum) != 2) {
		if (!r->bad[0])
			snprintf(r->bad, sizeof(r->bad), "line %ld: '%.200s'",
				 r->lines + 1, line);
		return;
	}
	want = (r->sum + n % SUM_MOD * (n % SUM_MOD)) % SUM_MOD;
	if ((n != r->n + 1 || sum != want) && !r->bad[0])
		snprintf(r->bad, sizeof(r->bad),
			 "line %ld: count %ld sum %ld after count %ld sum %ld",
			 r->lines + 1, n, sum, r->n, r->sum);
	if (r->lines && patched != r->patched) {
		r->switches++;
		if (patched && !r->first_patched)
			r->first_patched = n;
		if (!patched && r->first_patched && !r->first_reverted)
			r->first_reverted = n;
	}
	if (!r->lines && patched && !r->bad[0])
		snprintf(r->bad, sizeof(r->bad), "line 1 is already patched");
	r->lines++;
	r->n = n;
	r->sum = sum;
	r->patched = patched;
}

/*
 * Take the next complete line the interpreter printed, waiting up to @ms.
 * 0, -ETIMEDOUT, or -ECHILD if the interpreter is gone and said all.
 */
static int lua_next(struct lua_run *r, int ms)
{
	for (;;) {
		char *nl = memchr(r->buf, '\n', r->have);
		ssize_t got;

		if (nl) {
			size_t len = nl + 1 - r->buf;

			*nl = '\0';
			lua_line(r, r->buf);
			memmove(r->buf, nl + 1, r->have - len);
			r->have -= len;
			return 0;
		}
		if (r->have == sizeof(r->buf)) {
			snprintf(r->bad, sizeof(r->bad), "a line longer than %zu bytes",
				 sizeof(r->buf));
			return -EBADMSG;
		}
		got = read(r->in, r->buf + r->have, sizeof(r->buf) - r->have);
		if (got > 0) {
			r->have += got;
			continue;
		}
		if (got < 0)
			return -errno;
		/* At the end of what was written so far. */
		if (r->pid < 0 || ms <= 0)
			return r->pid < 0 ? -ECHILD : -ETIMEDOUT;
		if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
			r->pid = -1;	/* read what it wrote last, then stop */
			continue;
		}
		usleep(10000);
		ms -= 10;
	}
}

/* Read lines until @count of them carried (@patched) or not the mark. */
static int lua_wait(struct lua_run *r, int patched, int count)
{
	int ret;

	while (count > 0) {
		ret = lua_next(r, WAIT_MS);
		if (ret)
			return ret;
		if (r->patched == patched)
			count--;
	}
	return 0;
}

/*
 * Stop the interpreter and take in the rest of its output.  Its wait
 * status; SIGTERM's, unless it died of something else first.
 */
static int lua_stop(struct lua_run *r)
{
	int status = -1;

	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		if (waitpid(r->pid, &status, 0) != r->pid)
			status = -1;
		r->pid = -1;
	}
	while (!lua_next(r, 0))
		;
	close(r->in);
	return status;
}

FIXTURE(realprog_lua) {
	struct lua_run r;
};

FIXTURE_SETUP(realprog_lua)
{
	self->r.pid = -1;
	self->r.in = -1;
}

FIXTURE_TEARDOWN(realprog_lua)
{
	if (self->r.pid > 0) {
		kill(self->r.pid, SIGKILL);
		waitpid(self->r.pid, NULL, 0);
	}
	if (self->r.in >= 0)
		close(self->r.in);
}

/*
 * Skip, with build-lua's reason, when Debian's source could not be
 * fetched; a build that is simply missing is a failure.
 */
#define LUA_BUILT_OR_SKIP() do {					\
	char _p[PATH_MAX], _why[512] = "";				\
	FILE *_f;							\
									\
	snprintf(_p, sizeof(_p), "%s/build/realprog/lua/lua", repo());	\
	if (access(_p, X_OK)) {						\
		snprintf(_p, sizeof(_p), "%s/build/realprog/lua/SKIP", repo()); \
		_f = fopen(_p, "r");					\
		ASSERT_NE(NULL, _f)					\
			TH_LOG("no build/realprog/lua/lua: make selftests"); \
		if (!fgets(_why, sizeof(_why), _f))			\
			snprintf(_why, sizeof(_why), "build-lua left an empty SKIP"); \
		fclose(_f);						\
		_why[strcspn(_why, "\n")] = '\0';			\
		SKIP(return, "%s", _why);				\
	}								\
} while (0)

TEST_F_TIMEOUT(realprog_lua, patch_print_while_the_script_runs, 180)
{
	struct lua_run *r = &self->r;
	const char *b = "build/realprog/lua";
	long before, patched_at;
	int fd, status;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	LUA_BUILT_OR_SKIP();

	/* The patch: luaB_print alone, from the objects of both builds. */
	ASSERT_EQ(0, sh("cd %s && userspace/hdctl diff %s/v1/*.o %s/v2/*.o --target %s/lua -o %s",
			repo(), b, b, b, PATCH_FILE));
	ASSERT_EQ(0, sh("cd %s && userspace/hdctl info %s >/tmp/realprog_lua.info && sed 's/^/# /' /tmp/realprog_lua.info && grep -qx 'functions: 1' /tmp/realprog_lua.info && grep -q 'replace *luaB_print ' /tmp/realprog_lua.info",
			repo(), PATCH_FILE));

	ASSERT_EQ(0, lua_start(r));
	ASSERT_EQ(0, lua_wait(r, 0, 3));
	before = r->n;

	ASSERT_EQ(0, sh("%s/userspace/hdctl apply %s --pid %d --stats >/tmp/realprog_lua.apply 2>&1; rc=$?; sed 's/^/# /' /tmp/realprog_lua.apply; exit $rc",
			repo(), PATCH_FILE, r->pid));
	ASSERT_EQ(0, lua_wait(r, 1, 3)) TH_LOG("no [patched] lines after apply");
	patched_at = r->first_patched;
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d >/tmp/realprog_lua.list; sed 's/^/# /' /tmp/realprog_lua.list; grep -q 'luaB_print' /tmp/realprog_lua.list",
			repo(), r->pid));

	ASSERT_EQ(0, sh("%s/userspace/hdctl revert --pid %d --all >/tmp/realprog_lua.revert 2>&1; rc=$?; sed 's/^/# /' /tmp/realprog_lua.revert; exit $rc",
			repo(), r->pid));
	ASSERT_EQ(0, lua_wait(r, 0, 3)) TH_LOG("still [patched] after revert");
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d | grep -q 'no patches'",
			repo(), r->pid));

	status = lua_stop(r);
	/* It ran on until stopped: no crash, no exit of its own. */
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
		TH_LOG("interpreter wait status %#x", status);
	EXPECT_STREQ("", r->bad);
	/* Plain, then marked, then plain again, each switch once. */
	EXPECT_EQ(2, r->switches);
	EXPECT_LT(before, patched_at);
	EXPECT_LT(patched_at, r->first_reverted);
	TH_LOG("%ld rounds counted through; [patched] from count %ld to %ld",
	       r->n, r->first_patched, r->first_reverted - 1);
}

TEST_HARNESS_MAIN
