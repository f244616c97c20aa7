/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the realprog_* selftests: a real server from Debian's source, built
 * on the host by tests/realprog/build-NAME into build/realprog/NAME/
 * (layout in tests/realprog/lib.sh), patched and reverted under load.
 * Include after kselftest_harness.h and hd_live.h.
 */
#ifndef HD_REALPROG_H
#define HD_REALPROG_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

extern char **environ;

/* Consecutive refusals of one apply or revert (a thread in the code). */
#define RP_MAX_REFUSALS	20

struct rp {
	const char *name;
	char dir[PATH_MAX / 2];	/* build/realprog/NAME */
	char tmp[64];		/* this run's files, in the guest's tmpfs */
	char hdp_obj[PATH_MAX];	/* the patch from the objects */
	char hdp_bin[PATH_MAX];	/* ... from the --emit-relocs binaries */
	char log[PATH_MAX];	/* the last command's output */
	double diff_obj_s, diff_bin_s;
	unsigned long applies, reverts, refusals;
	uint64_t worst_apply_ns, worst_revert_ns;
};

static inline uint64_t rp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline int rp_init(struct rp *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	snprintf(p->dir, sizeof(p->dir), "%s/build/realprog/%s", repo(), name);
	snprintf(p->tmp, sizeof(p->tmp), "/tmp/hd-rp-%s.XXXXXX", name);
	if (!mkdtemp(p->tmp))
		return -errno;
	snprintf(p->hdp_obj, sizeof(p->hdp_obj), "%s/fix-obj.hdp", p->tmp);
	snprintf(p->hdp_bin, sizeof(p->hdp_bin), "%s/fix-bin.hdp", p->tmp);
	snprintf(p->log, sizeof(p->log), "%s/cmd.log", p->tmp);
	return 0;
}

static inline void rp_cleanup(struct rp *p)
{
	if (p->tmp[0] && strcmp(p->tmp + strlen(p->tmp) - 6, "XXXXXX"))
		sh("rm -rf %s", p->tmp);
}

/* The first line of @path (up to @len - 1 bytes), "" if none. */
static inline void rp_first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, len, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

/* All of @path, up to @len - 1 bytes, trailing newline dropped. */
static inline void rp_slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

/*
 * Skip, with build-NAME's reason, when Debian's source could not be
 * fetched; a build that is simply missing is a failure.
 */
#define RP_BUILT_OR_SKIP(p) do {					\
	char _f[PATH_MAX], _why[512];					\
									\
	snprintf(_f, sizeof(_f), "%s/prog", (p)->dir);			\
	if (access(_f, X_OK)) {						\
		snprintf(_f, sizeof(_f), "%s/SKIP", (p)->dir);		\
		ASSERT_EQ(0, access(_f, R_OK))				\
			TH_LOG("no %s/prog: make realprog-%s", (p)->dir, \
			       (p)->name);				\
		rp_first_line(_f, _why, sizeof(_why));			\
		SKIP(return, "%s", _why[0] ? _why : "build left an empty SKIP"); \
	}								\
} while (0)

/*
 * Start @argv[0] with stdin from /dev/null and stdout and stderr into
 * @out (appended); the child dies with the test.  Its pid, or -1.
 */
static inline pid_t rp_spawn(char *const argv[], const char *out)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int ret;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out,
					 O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	ret = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return ret ? -1 : pid;
}

/* Run @argv to its end, output into @out (truncated first): exit status. */
static inline int rp_run(char *const argv[], const char *out)
{
	int status;
	pid_t pid;

	if (truncate(out, 0) && errno != ENOENT)
		return -1;
	pid = rp_spawn(argv, out);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Field 22 of /proc/PID/stat: when the process started, in ticks. */
static inline unsigned long long rp_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	p = strrchr(buf, ')');	/* the name may hold blanks */
	for (i = 2; p && i < 22; i++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

/*
 * hdctl diff --explain through one path (@binaries: the two --emit-relocs
 * programs, otherwise every object linked into them), for OUT/prog, into
 * @hdp; then the changed functions it printed must be exactly
 * tests/realprog/NAME/expected-functions.  hdctl's output goes to the log
 * with a "# " before each line.  0, or hdctl's exit status (-1 for a
 * list that differs).
 */
static inline int rp_diff(struct rp *p, bool binaries, const char *hdp)
{
	const char *d = p->dir;
	uint64_t t0 = rp_now_ns();
	int rc;

	if (binaries)
		rc = sh("cd %s && b=$(cat %s/binary) && userspace/hdctl diff --explain %s/v1/$b %s/v2/$b --target %s/prog -o %s >%s.out 2>%s.err",
			repo(), d, d, d, d, hdp, hdp, hdp);
	else
		rc = sh("cd %s && userspace/hdctl diff --explain $(sed 's|^|%s/v1/|' %s/objects) $(sed 's|^|%s/v2/|' %s/objects) --target %s/prog -o %s >%s.out 2>%s.err",
			repo(), d, d, d, d, d, hdp, hdp, hdp);
	*(binaries ? &p->diff_bin_s : &p->diff_obj_s) = (rp_now_ns() - t0) / 1e9;
	/* --explain's decisions, but for the functions found the same. */
	sh("grep -v ': same ' %s.err | tail -n 60 | sed 's/^/# stderr: /'; sed 's/^/# stdout: /' %s.out",
	   hdp, hdp);
	if (rc)
		return rc;
	/* "changed NAME" or "new NAME", with " (UNIT)" on the binary path. */
	if (sh("sed 's/ (.*)$//' %s.out | sort >%s.got && grep -v '^#' %s/tests/realprog/%s/expected-functions | sort >%s.want && diff -u %s.want %s.got | sed 's/^/# want-vs-got: /'; cmp -s %s.want %s.got",
	       hdp, hdp, repo(), p->name, hdp, hdp, hdp, hdp, hdp))
		return -1;
	return 0;
}

/* The last line of hdctl's output (the reason of a failure), for logs. */
static inline const char *rp_last(struct rp *p, char *buf, size_t len)
{
	char cmd[PATH_MAX + 32];
	FILE *f;

	buf[0] = '\0';
	snprintf(cmd, sizeof(cmd), "tail -n 3 %s", p->log);
	f = popen(cmd, "r");
	if (f) {
		size_t n = fread(buf, 1, len - 1, f);

		buf[n] = '\0';
		pclose(f);
	}
	return buf;
}

/*
 * Apply @hdp to @pid (or, @hdp NULL, revert its newest patch), retrying
 * while the module refuses because a thread runs the code: that is
 * correct, and under load it happens.  0, or hdctl's exit status with its
 * output in the log.
 */
static inline int rp_switch(struct rp *p, const char *hdp, pid_t pid)
{
	char hdctl[PATH_MAX], spid[16], *argv[8];
	uint64_t t0, dt;
	int rc, tries;

	snprintf(hdctl, sizeof(hdctl), "%s/userspace/hdctl", repo());
	snprintf(spid, sizeof(spid), "%d", pid);
	argv[0] = hdctl;
	if (hdp) {
		argv[1] = "apply";
		argv[2] = (char *)hdp;
		argv[3] = "--pid";
		argv[4] = spid;
		argv[5] = NULL;
	} else {
		argv[1] = "revert";
		argv[2] = "--pid";
		argv[3] = spid;
		argv[4] = NULL;
	}
	for (tries = 0; tries < RP_MAX_REFUSALS; tries++) {
		t0 = rp_now_ns();
		rc = rp_run(argv, p->log);
		dt = rp_now_ns() - t0;
		if (!rc)
			break;
		/* Busy: a thread in the code to replace or remove. */
		if (rc != 1 || sh("grep -qE 'executing|returning into|the new code of' %s",
				  p->log))
			return rc;
		p->refusals++;
		usleep(20000);
	}
	if (rc)
		return rc;
	if (hdp) {
		p->applies++;
		if (dt > p->worst_apply_ns)
			p->worst_apply_ns = dt;
	} else {
		p->reverts++;
		if (dt > p->worst_revert_ns)
			p->worst_revert_ns = dt;
	}
	return 0;
}

static inline void rp_log_switches(struct rp *p)
{
	ksft_print_msg("%s: hdctl diff took %.1f s (objects), %.1f s (binaries); %lu applies, %lu reverts, %lu refused as busy and retried; slowest hdctl apply %.1f ms, revert %.1f ms\n",
		       p->name, p->diff_obj_s, p->diff_bin_s, p->applies,
		       p->reverts, p->refusals, p->worst_apply_ns / 1e6,
		       p->worst_revert_ns / 1e6);
}

/* A TCP connection to 127.0.0.1:@port, or -1. */
static inline int rp_connect(int port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct timeval tv = { .tv_sec = 30 };
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* A server that stopped answering fails the test, not hangs it. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Wait up to @ms for a TCP server on @port. */
static inline int rp_wait_port(int port, int ms)
{
	int fd;

	for (; ms > 0; ms -= 50) {
		fd = rp_connect(port);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		usleep(50000);
	}
	return -1;
}

static inline int rp_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w <= 0)
			return -1;
		buf += w;
		len -= w;
	}
	return 0;
}

/*
 * One HTTP/1.1 GET of @path on connection @fd, kept alive, with @hdrs
 * (each line ending in CRLF, or "") added: the status, -1 on a broken
 * connection or reply.  The body (with Content-Length, as both servers
 * send it) into @body, NUL-terminated, cut at @len - 1 bytes.
 */
static inline int rp_http_get(int fd, const char *path, const char *hdrs,
			      char *body, size_t len)
{
	char req[1024], in[8192], *e, *cl;
	size_t have = 0, hlen, want, n;
	int status;
	ssize_t r;

	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n",
		     path, hdrs);
	if (n >= sizeof(req) || rp_write_all(fd, req, n))
		return -1;
	while (!(e = memmem(in, have, "\r\n\r\n", 4))) {
		if (have == sizeof(in) - 1)
			return -1;
		r = read(fd, in + have, sizeof(in) - 1 - have);
		if (r <= 0)
			return -1;
		have += r;
	}
	in[have] = '\0';
	hlen = e + 4 - in;
	if (sscanf(in, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	e[2] = '\0';
	cl = strcasestr(in, "\r\nContent-Length:");
	want = cl ? strtoul(cl + 17, NULL, 10) : 0;
	/* The body: what came with the headers, then the rest. */
	n = 0;
	have -= hlen;
	memmove(in, in + hlen, have);
	while (n < want) {
		size_t take;

		if (!have) {
			r = read(fd, in, sizeof(in));
			if (r <= 0)
				return -1;
			have = r;
		}
		take = have < want - n ? have : want - n;
		if (n < len - 1)
			memcpy(body + n, in, take < len - 1 - n ? take : len - 1 - n);
		n += take;
		memmove(in, in + take, have - take);
		have -= take;
	}
	body[n < len - 1 ? n : len - 1] = '\0';
	return status;
}

/*
 * The load: a client program run again and again until @stop, each run's
 * output parsed by @parse into the totals.  A run that fails counts, with
 * its output kept for the log.
 */
struct rp_load {
	pthread_t tid;
	bool started;
	char *argv[32];
	char out[PATH_MAX];
	void (*parse)(struct rp_load *l, const char *out);

	_Atomic bool stop;
	unsigned long runs, failed_runs;
	unsigned long requests, failed;	/* as the client counted them */
	double worst_ms;		/* the worst latency it saw */
	char why[512];			/* the first failed run's output */
};

static inline void *rp_load_thread(void *arg)
{
	struct rp_load *l = arg;
	char buf[8192];
	int rc;

	while (!atomic_load(&l->stop)) {
		rc = rp_run(l->argv, l->out);
		rp_slurp(l->out, buf, sizeof(buf));
		l->runs++;
		if (rc) {
			l->failed_runs++;
			if (!l->why[0])
				snprintf(l->why, sizeof(l->why), "exit %d: %.480s",
					 rc, buf);
		}
		l->parse(l, buf);
	}
	return NULL;
}

static inline int rp_load_start(struct rp_load *l)
{
	atomic_store(&l->stop, false);
	if (pthread_create(&l->tid, NULL, rp_load_thread, l))
		return -1;
	l->started = true;
	return 0;
}

/* Let the current run finish: no request is cut off by the test. */
static inline void rp_load_stop(struct rp_load *l)
{
	atomic_store(&l->stop, true);
	if (l->started)
		pthread_join(l->tid, NULL);
	l->started = false;
}

/* ab's report: requests, failures, the longest request. */
static inline void rp_parse_ab(struct rp_load *l, const char *out)
{
	const char *s;
	double ms;

	s = strstr(out, "Complete requests:");
	if (s)
		l->requests += strtoul(s + 18, NULL, 10);
	s = strstr(out, "Failed requests:");
	if (s)
		l->failed += strtoul(s + 16, NULL, 10);
	s = strstr(out, "Non-2xx responses:");
	if (s)
		l->failed += strtoul(s + 18, NULL, 10);
	s = strstr(out, "100% ");
	if (s) {
		ms = strtod(s + 5, NULL);
		if (ms > l->worst_ms)
			l->worst_ms = ms;
	}
}

static inline void rp_log_load(const char *what, const struct rp_load *l)
{
	ksft_print_msg("%s: %lu runs (%lu failed), %lu requests served, %lu failed; worst latency %.1f ms\n",
		       what, l->runs, l->failed_runs, l->requests, l->failed,
		       l->worst_ms);
	if (l->why[0])
		ksft_print_msg("%s: first failed run: %s\n", what, l->why);
}

#endif /* HD_REALPROG_H */
