// SPDX-License-Identifier: GPL-2.0
/*
 * A multi-threaded TCP server (tests/targets/tcpserver.c, built by make
 * into build/targets/tcpserver/) under continuous load from client threads
 * that check every response, while hdctl applies and reverts a patch of
 * its answer() (2n -> 3n) again and again.  No request may fail or get a
 * wrong answer, and the answer must switch exactly at the patch.
 *
 * "Exactly" is checked with a seqlock: the test makes @seq odd just before
 * it runs hdctl and even again once hdctl has returned, after setting
 * @version to the code now in place.  A client that reads the same even
 * @seq before sending a request and after receiving its answer knows which
 * code answered: a request sent after apply returned and answered before
 * revert started must get 3n, one answered before apply started 2n.  Only
 * requests in flight during an apply or revert may get either, and even
 * then each connection's answers may change only once per operation, in
 * its direction: old, old, new, new, never old, new, old.
 *
 * Each apply or revert is one attempt (--retries 0) retried by the test:
 * a server thread caught inside answer() makes the module refuse, which
 * is correct; the test checks the refusal names answer() and counts it.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "kselftest_harness.h"
#include "hd_selftest.h"
#include "hd_live.h"

#define SERVER_THREADS	8
#define CLIENTS		4
#define CYCLES		100	/* fewer with HD_TCP_LOAD_CYCLES (debug kernels) */
/*
 * Each client waits this long between an answer and its next request.
 * Clients that never wait oversubscribe the guest's two vCPUs under TCG:
 * every hdctl run then takes seconds (the test minutes) and the pause
 * measures the scheduler rather than hotdeploy.  With it the load is
 * still continuous, hundreds of requests a second.
 */
#define THINK_US	2000
/* Requests each client makes before the first patch: the baseline. */
#define BASELINE	300
/* Consecutive refusals of one apply or revert before the test gives up. */
#define MAX_REFUSALS	200
/*
 * How long the test waits for every client to get one answer after an
 * operation: not a performance bound (a request takes about a
 * millisecond), only so that a server that stopped answering fails the
 * test with a message rather than by the harness's timeout.
 */
#define STALL_MS	30000

static _Atomic unsigned long seq;
static _Atomic int version = 1;
static _Atomic bool done;

struct client {
	pthread_t tid;
	bool running;
	int port;
	long n;			/* the last number sent */
	_Atomic unsigned long requests;
	unsigned long wrong;	/* neither 2n nor 3n */
	unsigned long stale;	/* the other version's, outside a switch */
	unsigned long flapped;	/* a change no operation explains */
	unsigned long failed;	/* connection or protocol errors */
	unsigned long in_switch;	/* answered while hdctl ran */
	unsigned long new_in_switch;	/* ... by the code being installed */
	/* Latest even @seq in which an answer was checked. */
	_Atomic unsigned long confirmed;
	_Atomic bool stopped;
	_Atomic bool bad;	/* @error is set */
	uint64_t base_max_ns;	/* worst latency before any patch */
	uint64_t max_ns;	/* worst latency between operations */
	uint64_t switch_max_ns;	/* worst latency overlapping an operation */
	char error[160];	/* the first problem, for the log */
};

/* Operation k (from 1) applies when odd and reverts when even. */
static int version_after(unsigned long k)
{
	return k % 2 ? 2 : 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void note(struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct client *c, const char *fmt, ...)
{
	va_list ap;

	if (c->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	atomic_store(&c->bad, true);
}

/* One request: 0, or -1 with c->failed counted. */
static int roundtrip(struct client *c, int fd, long n, long *answer)
{
	char buf[64];
	ssize_t r, got = 0;
	int len = snprintf(buf, sizeof(buf), "%ld\n", n);

	if (write(fd, buf, len) != len) {
		c->failed++;
		note(c, "request %ld: write: %s", n, strerror(errno));
		return -1;
	}
	while (got == 0 || buf[got - 1] != '\n') {
		r = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (r <= 0) {
			c->failed++;
			note(c, "request %ld: %s", n,
			     r ? strerror(errno) : "connection closed");
			return -1;
		}
		got += r;
	}
	buf[got] = '\0';
	*answer = atol(buf);
	return 0;
}

static void *client(void *arg)
{
	struct client *c = arg;
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(c->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	unsigned long consumed = 0, last_s1 = 0;
	int fd, one = 1, last_v = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		c->failed++;
		note(c, "connect: %s", strerror(errno));
		goto out;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (!atomic_load(&done)) {
		unsigned long s1 = atomic_load(&seq), s2, k;
		int v = atomic_load(&version), got;
		uint64_t t0 = now_ns(), dt;
		long a, n = ++c->n;

		if (roundtrip(c, fd, n, &a))
			break;
		dt = now_ns() - t0;
		s2 = atomic_load(&seq);
		c->requests++;
		got = a == 2 * n ? 1 : a == 3 * n ? 2 : 0;
		if (!got) {
			c->wrong++;
			note(c, "request %ld: answer %ld, neither 2n nor 3n", n, a);
			continue;
		}
		if (s1 == s2 && !(s1 & 1)) {
			if (got != v) {
				c->stale++;
				note(c, "request %ld: answer %ld from version %d while version %d was in place (seq %lu)",
				     n, a, got, v, s1);
			} else {
				atomic_store(&c->confirmed, s2);
			}
		} else {
			c->in_switch++;
			c->new_in_switch += got == version_after((s2 + 1) / 2);
		}
		/*
		 * A change since the previous answer must come from an
		 * operation that had not ended when the previous request was
		 * sent (k > last_s1 / 2), had started when this answer came
		 * (2k - 1 <= s2), installs this version, and is not one an
		 * earlier change of this connection already used.
		 */
		if (got != last_v) {
			k = consumed + 1 > last_s1 / 2 + 1 ? consumed + 1 :
							     last_s1 / 2 + 1;
			if (version_after(k) != got)
				k++;
			if (2 * k - 1 > s2) {
				c->flapped++;
				note(c, "request %ld: answer from version %d, back from %d, with no operation to explain it (seq %lu..%lu)",
				     n, got, last_v, last_s1, s2);
			} else {
				consumed = k;
			}
		}
		last_v = got;
		last_s1 = s1;
		usleep(THINK_US);
		if (!s2) {
			if (dt > c->base_max_ns)
				c->base_max_ns = dt;
		} else if (s1 != s2 || (s1 & 1)) {
			if (dt > c->switch_max_ns)
				c->switch_max_ns = dt;
		} else if (dt > c->max_ns) {
			c->max_ns = dt;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	atomic_store(&c->stopped, true);
	return NULL;
}

/*
 * Run hdctl with the arguments that follow (up to a NULL), its standard
 * output into @out (up to @len - 1 bytes, the rest read and dropped), its
 * standard error into the file @err.  No shell in between: under TCG
 * every exec counts.  Its exit status, -1 if it did not exit.
 */
static int run_hdctl(char *out, size_t len, const char *err, ...)
{
	char prog[PATH_MAX], drop[256];
	posix_spawn_file_actions_t fa;
	char *argv[16];
	size_t have = 0;
	int p[2], i = 0, status;
	ssize_t r;
	va_list ap;
	pid_t pid;

	snprintf(prog, sizeof(prog), "%s/userspace/hdctl", repo());
	argv[i++] = prog;
	va_start(ap, err);
	while (i < 15 && (argv[i] = va_arg(ap, char *)))
		i++;
	va_end(ap);
	argv[i] = NULL;
	if (pipe2(p, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, err,
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	status = posix_spawn(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (status) {
		close(p[0]);
		return -1;
	}
	for (;;) {
		if (have < len - 1)
			r = read(p[0], out + have, len - 1 - have);
		else
			r = read(p[0], drop, sizeof(drop));
		if (r <= 0)
			break;
		if (have < len - 1)
			have += r;
	}
	out[have] = '\0';
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void slurp(const char *path, char *buf, size_t len)
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

/* An integer field of the JSON object @obj, or -1. */
static long long json_int(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v))
		return -1;
	return json_object_get_int64(v);
}

/* The patches "hdctl --json list" shows in @list, retired or applied. */
static size_t count_patches(struct json_object *list, bool retired)
{
	size_t i, k, n = 0;

	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *proc = json_object_array_get_idx(list, i);
		struct json_object *ps = json_object_object_get(proc, "patches");

		for (k = 0; k < json_object_array_length(ps); k++) {
			struct json_object *p = json_object_array_get_idx(ps, k);
			struct json_object *r = json_object_object_get(p, "retired");

			n += json_object_get_boolean(r) == retired;
		}
	}
	return n;
}

struct op_stats {
	unsigned long done;
	unsigned long refused;
	uint64_t max_pause_ns;
	uint64_t sum_pause_ns;
	uint64_t max_wall_ns;	/* hdctl's whole run, planning included */
	uint64_t sum_wall_ns;
	long long threads;
	char worst[160];	/* the phases of the longest pause (apply) */
};

/* The test's state, shared by its fixture's setup, body and teardown. */
struct load {
	char dir[64];
	/* In @dir: the patch, hdctl's last stderr, the server's port and output. */
	char hdp[PATH_MAX], err[PATH_MAX], portfile[PATH_MAX], out[PATH_MAX];
	char pid[16];
	pid_t server;
	int port;
	struct client cl[CLIENTS];
	struct op_stats apply, revert;
};

FIXTURE(tcp_load) {
	struct load l;
};

FIXTURE_SETUP(tcp_load)
{
	struct load *l = &self->l;

	snprintf(l->dir, sizeof(l->dir), "/tmp/hd-tcp-load.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(l->dir));
	snprintf(l->hdp, sizeof(l->hdp), "%s/answer.hdp", l->dir);
	snprintf(l->err, sizeof(l->err), "%s/hdctl.err", l->dir);
	snprintf(l->portfile, sizeof(l->portfile), "%s/port", l->dir);
	snprintf(l->out, sizeof(l->out), "%s/server.out", l->dir);
}

static void stop_clients(struct load *l)
{
	int i;

	atomic_store(&done, true);
	for (i = 0; i < CLIENTS; i++) {
		if (l->cl[i].running)
			pthread_join(l->cl[i].tid, NULL);
		l->cl[i].running = false;
	}
}

FIXTURE_TEARDOWN(tcp_load)
{
	struct load *l = &self->l;
	int status;

	/* Only after a failure is anything still running here. */
	if (l->server > 0) {
		kill(l->server, SIGKILL);
		waitpid(l->server, &status, 0);
	}
	stop_clients(l);
	unlink(l->hdp);
	unlink(l->err);
	unlink(l->portfile);
	unlink(l->out);
	rmdir(l->dir);
}

/*
 * Wait until every client has had an answer checked since the operation
 * that made @seq what it is: proof that each connection saw the switch.
 */
static int wait_confirmed(struct load *l, char *why,
			  size_t len)
{
	unsigned long s = atomic_load(&seq);
	uint64_t t0 = now_ns();
	int i;

	while (now_ns() - t0 < STALL_MS * 1000000ULL) {
		int waiting = 0;

		for (i = 0; i < CLIENTS; i++) {
			if (atomic_load(&l->cl[i].bad)) {
				snprintf(why, len, "client %d: %s", i,
					 l->cl[i].error);
				return -1;
			}
			waiting += atomic_load(&l->cl[i].confirmed) != s;
		}
		if (!waiting)
			return 0;
		usleep(1000);
	}
	snprintf(why, len, "a client got no checked answer within %d s of operation %lu",
		 STALL_MS / 1000, s / 2);
	return -1;
}

/*
 * One apply (@apply) or revert, inside an odd @seq, retried while the
 * module refuses because a server thread runs answer().  0 or -1 with the
 * reason in @why.
 */
static int switch_code(struct load *l, bool apply, char *why,
		       size_t len)
{
	struct op_stats *st = apply ? &l->apply : &l->revert;
	struct json_object *j = NULL, *o;
	char out[4096], err[1024];
	unsigned long refusals = 0;
	long long pause;
	uint64_t t0, wall;
	int rc;

	atomic_fetch_add(&seq, 1);
	for (;;) {
		t0 = now_ns();
		if (apply)
			rc = run_hdctl(out, sizeof(out), l->err, "--json",
				       "apply", l->hdp, "--pid", l->pid,
				       "--wait", "0", "--retries", "0", NULL);
		else
			rc = run_hdctl(out, sizeof(out), l->err, "--json",
				       "revert", "--pid", l->pid, "--wait", "0",
				       "--retries", "0", NULL);
		wall = now_ns() - t0;
		if (!rc)
			break;
		/* Under --json the error is on stdout: {"error": "..."}. */
		j = json_tokener_parse(out);
		if (j && json_object_object_get_ex(j, "error", &o))
			snprintf(err, sizeof(err), "%s",
				 json_object_get_string(o));
		else
			slurp(l->err, err, sizeof(err));
		json_object_put(j);
		j = NULL;
		if (rc != 1 || (!strstr(err, "executing answer") &&
				!strstr(err, "returning into answer") &&
				!strstr(err, "the new code of answer "))) {
			snprintf(why, len, "hdctl %s exited %d: %.400s",
				 apply ? "apply" : "revert", rc, err);
			return -1;
		}
		st->refused++;
		if (++refusals == MAX_REFUSALS) {
			snprintf(why, len, "%s refused %d times in a row: %.400s",
				 apply ? "apply" : "revert", MAX_REFUSALS, err);
			return -1;
		}
		usleep(1000);
	}
	atomic_store(&version, apply ? 2 : 1);
	atomic_fetch_add(&seq, 1);

	j = json_tokener_parse(out);
	o = apply ? j : json_object_array_get_idx(j, 0);
	pause = json_int(o, "pause_ns");
	st->threads = json_int(o, "threads");
	if (pause > (long long)st->max_pause_ns) {
		st->max_pause_ns = pause;
		if (apply)
			snprintf(st->worst, sizeof(st->worst),
				 " (park %.3f, check %.3f, map %.3f, write %.3f, release %.3f ms)",
				 json_int(o, "park_ns") / 1e6,
				 json_int(o, "check_ns") / 1e6,
				 json_int(o, "map_ns") / 1e6,
				 json_int(o, "write_ns") / 1e6,
				 json_int(o, "release_ns") / 1e6);
	}
	json_object_put(j);
	if (pause < 0) {
		snprintf(why, len, "hdctl %s printed no pause: %.400s",
			 apply ? "apply" : "revert", out);
		return -1;
	}
	st->done++;
	st->sum_pause_ns += pause;
	st->sum_wall_ns += wall;
	if (wall > st->max_wall_ns)
		st->max_wall_ns = wall;
	return wait_confirmed(l, why, len);
}

static void log_ops(const char *what, const struct op_stats *st)
{
	printf("# %s: %lu done, %lu refused (a thread in answer()), %lld threads paused; pause worst %.3f ms%s, mean %.3f ms; hdctl run worst %.1f ms, mean %.1f ms\n",
	       what, st->done, st->refused, st->threads,
	       st->max_pause_ns / 1e6, st->worst,
	       st->done ? st->sum_pause_ns / 1e6 / st->done : 0,
	       st->max_wall_ns / 1e6,
	       st->done ? st->sum_wall_ns / 1e6 / st->done : 0);
}

/*
 * The cycles to run: CYCLES, or HD_TCP_LOAD_CYCLES (1..CYCLES) where the
 * kernel is much slower than Debian's (make check-debug: KASAN, lockdep).
 */
static int load_cycles(void)
{
	const char *s = getenv("HD_TCP_LOAD_CYCLES");
	char *end;
	long n;

	if (!s)
		return CYCLES;
	n = strtol(s, &end, 10);
	return *s && !*end && n >= 1 && n <= CYCLES ? (int)n : CYCLES;
}

TEST_F_TIMEOUT(tcp_load, patch_and_revert_100_times_under_load, 600)
{
	const int cycles = load_cycles();
	struct load *l = &self->l;
	char out[4096], why[512], v1[PATH_MAX], v2[PATH_MAX], prog[PATH_MAX];
	static char list[1 << 16];
	unsigned long total = 0, in_switch = 0, new_in_switch = 0, served = 0;
	uint64_t base = 0, steady = 0, sw = 0, t0;
	int i, fd, cycle, status;
	struct json_object *j;
	FILE *f;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	snprintf(prog, sizeof(prog), "%s/build/targets/tcpserver/prog", repo());
	snprintf(v1, sizeof(v1), "%s/build/targets/tcpserver/v1/tcpserver.o",
		 repo());
	snprintf(v2, sizeof(v2), "%s/build/targets/tcpserver/v2/tcpserver.o",
		 repo());
	ASSERT_EQ(0, run_hdctl(out, sizeof(out), l->err, "diff", v1, v2,
			       "--target", prog, "-o", l->hdp, NULL)) {
		slurp(l->err, out, sizeof(out));
		TH_LOG("hdctl diff: %s", out);
	}

	l->server = fork();
	ASSERT_LE(0, l->server);
	if (l->server == 0) {
		char threads[16];

		snprintf(threads, sizeof(threads), "%d", SERVER_THREADS);
		if (!freopen(l->out, "w", stdout))
			_exit(126);
		execl(prog, prog, threads, l->portfile, (char *)NULL);
		_exit(127);
	}
	snprintf(l->pid, sizeof(l->pid), "%d", l->server);
	/* The server writes its port once it listens. */
	for (i = 0; i < STALL_MS / 10 && !l->port; i++) {
		f = fopen(l->portfile, "r");
		if (f) {
			if (fscanf(f, "%d", &l->port) != 1)
				l->port = 0;
			fclose(f);
		}
		if (!l->port)
			usleep(10000);
	}
	ASSERT_NE(0, l->port) TH_LOG("the server did not start");

	for (i = 0; i < CLIENTS; i++) {
		l->cl[i].port = l->port;
		l->cl[i].n = 1000000000L * (i + 1);
		ASSERT_EQ(0, pthread_create(&l->cl[i].tid, NULL, client,
					    &l->cl[i]));
		l->cl[i].running = true;
	}
	/* The baseline: every client's latency before any patch. */
	for (i = 0; i < CLIENTS; i++)
		while (l->cl[i].requests < BASELINE &&
		       !atomic_load(&l->cl[i].stopped))
			usleep(1000);

	t0 = now_ns();
	for (cycle = 0; cycle < cycles; cycle++) {
		ASSERT_EQ(0, switch_code(l, true, why, sizeof(why)))
			TH_LOG("cycle %d, apply: %s", cycle, why);
		ASSERT_EQ(0, switch_code(l, false, why, sizeof(why)))
			TH_LOG("cycle %d, revert: %s", cycle, why);
	}
	t0 = now_ns() - t0;

	/* Room for every retired patch's entry. */
	ASSERT_EQ(0, run_hdctl(list, sizeof(list), l->err, "--json", "list",
			       "--pid", l->pid, NULL));
	j = json_tokener_parse(list);
	ASSERT_TRUE(json_object_is_type(j, json_type_array))
		TH_LOG("hdctl list: %s", list);
	EXPECT_EQ(0, count_patches(j, false))
		TH_LOG("patches left after the last revert: %s", list);
	/* Reverted code stays mapped, retired, for a pointer left to it. */
	EXPECT_EQ(l->revert.done, count_patches(j, true))
		TH_LOG("retired patches: %s", list);
	json_object_put(j);

	stop_clients(l);
	for (i = 0; i < CLIENTS; i++) {
		struct client *c = &l->cl[i];

		EXPECT_EQ(0, c->failed) TH_LOG("client %d: %s", i, c->error);
		EXPECT_EQ(0, c->wrong) TH_LOG("client %d: %s", i, c->error);
		EXPECT_EQ(0, c->stale) TH_LOG("client %d: %s", i, c->error);
		EXPECT_EQ(0, c->flapped) TH_LOG("client %d: %s", i, c->error);
		total += c->requests;
		in_switch += c->in_switch;
		new_in_switch += c->new_in_switch;
		if (c->base_max_ns > base)
			base = c->base_max_ns;
		if (c->max_ns > steady)
			steady = c->max_ns;
		if (c->switch_max_ns > sw)
			sw = c->switch_max_ns;
	}

	/* Every request answered once: the server's own count agrees. */
	kill(l->server, SIGTERM);
	ASSERT_EQ(l->server, waitpid(l->server, &status, 0));
	l->server = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	slurp(l->out, out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "served ")) TH_LOG("server said: %s", out);
	if (strstr(out, "served "))
		served = strtoul(strstr(out, "served ") + 7, NULL, 10);
	EXPECT_EQ(total, served);

	printf("# %d cycles under load in %.1f s: %lu requests from %d connections to %d server threads, all checked; %lu answered while hdctl ran (%lu of them by the code being installed)\n",
	       cycles, t0 / 1e9, total, CLIENTS, SERVER_THREADS, in_switch,
	       new_in_switch);
	log_ops("apply", &l->apply);
	log_ops("revert", &l->revert);
	printf("# worst client-seen latency: %.3f ms before any patch (%d requests a client), %.3f ms between operations, %.3f ms overlapping an apply or revert\n",
	       base / 1e6, BASELINE, steady / 1e6, sw / 1e6);
	/* The harness ends the test with _exit(). */
	fflush(stdout);
}

TEST_HARNESS_MAIN
