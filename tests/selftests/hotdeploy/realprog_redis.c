// SPDX-License-Identifier: GPL-2.0
/*
 * Debian 12's redis 7.0.15, built from its source package on the host by
 * tests/realprog/build-redis, serves redis-benchmark while hdctl applies
 * and reverts tests/realprog/redis/fix.patch ten times: GETRANGE with an
 * end before the string's start returns "" instead of the first byte.
 *
 * The patch is made here by hdctl diff through both of its paths (every
 * object linked into redis-server; the two --emit-relocs binaries), each
 * of which must yield exactly tests/realprog/redis/expected-functions;
 * the cycles alternate between the two patches.  Before the first apply
 * the test stores keys in a database the benchmark does not touch and
 * opens one connection it keeps to the end.  Through that connection,
 * after each apply and revert, GETRANGE must answer as the code now in
 * place does; at the end every stored key must be there with its value,
 * the benchmark must have had no failed request, and the server must be
 * the process it was (same pid, same start time, same run_id).
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
#include <unistd.h>

#include "kselftest_harness.h"
#include "hd_selftest.h"
#include "hd_live.h"
#include "hd_realprog.h"

#define PORT		16379
#define SPORT		"16379"
#define CYCLES		10
#define KEYS		1000
#define STORE_DB	"7"
#define PROBE_VALUE	"Hello"
/* GETRANGE Hello 0 -100: "H" before the fix, "" after it. */
#define BEFORE		"H"
#define AFTER		""

/* One RESP reply, read whole; its first line (or bulk) in @buf. */
struct resp {
	int fd;
	char in[65536];
	size_t have;
};

static int resp_fill(struct resp *r)
{
	ssize_t got;

	if (r->have == sizeof(r->in))
		return -1;
	got = read(r->fd, r->in + r->have, sizeof(r->in) - r->have);
	if (got <= 0)
		return -1;
	r->have += got;
	return 0;
}

/* The next CRLF-terminated line, without it, into @buf. */
static int resp_line(struct resp *r, char *buf, size_t len)
{
	for (;;) {
		char *e = memmem(r->in, r->have, "\r\n", 2);

		if (e) {
			size_t n = e - r->in;

			if (n >= len)
				return -1;
			memcpy(buf, r->in, n);
			buf[n] = '\0';
			memmove(r->in, e + 2, r->have - n - 2);
			r->have -= n + 2;
			return 0;
		}
		if (resp_fill(r))
			return -1;
	}
}

/*
 * One reply: "+OK", "-ERR ...", ":N", a bulk's bytes ("(nil)" for a null
 * one), or for an array its length as "*N" (elements skipped).
 */
static int resp_reply(struct resp *r, char *buf, size_t len)
{
	long n, i;
	char tmp[256];

	if (resp_line(r, buf, len))
		return -1;
	if (buf[0] == '$') {
		n = atol(buf + 1);
		if (n < 0) {
			snprintf(buf, len, "(nil)");
			return 0;
		}
		while (r->have < (size_t)n + 2)
			if (resp_fill(r))
				return -1;
		if ((size_t)n >= len)
			return -1;
		memcpy(buf, r->in, n);
		buf[n] = '\0';
		memmove(r->in, r->in + n + 2, r->have - n - 2);
		r->have -= n + 2;
	} else if (buf[0] == '*') {
		n = atol(buf + 1);
		for (i = 0; i < n; i++)
			if (resp_reply(r, tmp, sizeof(tmp)))
				return -1;
	}
	return 0;
}

/* Send a command of @argc words, as a RESP array. */
static int resp_send(struct resp *r, int argc, const char **argv)
{
	char buf[4096];
	int i, n;

	n = snprintf(buf, sizeof(buf), "*%d\r\n", argc);
	for (i = 0; i < argc; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "$%zu\r\n%s\r\n",
			      strlen(argv[i]), argv[i]);
	if (n >= (int)sizeof(buf))
		return -1;
	return rp_write_all(r->fd, buf, n);
}

static int resp_cmd(struct resp *r, char *buf, size_t len, int argc,
		    const char **argv)
{
	if (resp_send(r, argc, argv))
		return -1;
	return resp_reply(r, buf, len);
}

#define CMD(r, buf, ...) ({						\
	const char *_a[] = { __VA_ARGS__ };				\
	resp_cmd((r), (buf), sizeof(buf), sizeof(_a) / sizeof(_a[0]), _a); \
})

/* The value of INFO field @key ("run_id:...") in @info, into @val. */
static void info_field(const char *info, const char *key, char *val,
		       size_t len)
{
	const char *s = strstr(info, key);

	val[0] = '\0';
	if (s) {
		s += strlen(key);
		snprintf(val, len, "%.*s", (int)strcspn(s, "\r\n"), s);
	}
}

/* redis-benchmark --csv: "test","rps","avg",...,"max_latency_ms". */
static void parse_csv(struct rp_load *l, const char *out)
{
	const char *line = out;
	unsigned long n = strtoul(l->argv[6], NULL, 10);

	while (line && *line) {
		const char *last = NULL, *q = line, *nl = strchr(line, '\n');

		if (line[0] == '"' && strncmp(line, "\"test\"", 6)) {
			/* The last field of the row. */
			while ((q = strchr(q, ',')) && (!nl || q < nl))
				last = ++q;
			if (last) {
				double ms = strtod(last + 1, NULL);

				l->requests += n;
				if (ms > l->worst_ms)
					l->worst_ms = ms;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
}

FIXTURE(realprog_redis) {
	struct rp p;
	pid_t server;
	struct resp r;
	struct rp_load bench, getrange;
};

FIXTURE_SETUP(realprog_redis)
{
	ASSERT_EQ(0, rp_init(&self->p, "redis"));
	self->server = -1;
	self->r.fd = -1;
}

FIXTURE_TEARDOWN(realprog_redis)
{
	rp_load_stop(&self->bench);
	rp_load_stop(&self->getrange);
	if (self->r.fd >= 0)
		close(self->r.fd);
	if (self->server > 0) {
		kill(self->server, SIGKILL);
		waitpid(self->server, NULL, 0);
	}
	rp_cleanup(&self->p);
}

static void load_init(struct rp_load *l, struct rp *p, const char *name,
		      const char *const *args)
{
	int i = 0;

	memset(l, 0, sizeof(*l));
	snprintf(l->out, sizeof(l->out), "%s/%s.out", p->tmp, name);
	l->argv[i++] = "/usr/bin/redis-benchmark";
	l->argv[i++] = "-p";
	l->argv[i++] = SPORT;
	l->argv[i++] = "-c";
	l->argv[i++] = "4";
	l->argv[i++] = "-n";
	l->argv[i++] = "4000";	/* argv[6]: parse_csv's per-test count */
	l->argv[i++] = "--csv";
	while (*args)
		l->argv[i++] = (char *)*args++;
	l->argv[i] = NULL;
	l->parse = parse_csv;
}

/* The probe through the connection kept since before the first patch. */
#define EXPECT_GETRANGE(want, when) do {				\
	char _b[256];							\
									\
	ASSERT_EQ(0, CMD(&self->r, _b, "GETRANGE", "probe", "0", "-100")) \
		TH_LOG("%s: the kept connection failed", when);		\
	ASSERT_STREQ(want, _b) TH_LOG("%s: GETRANGE probe 0 -100", when); \
} while (0)

TEST_F_TIMEOUT(realprog_redis, fix_applied_and_reverted_10_times_under_redis_benchmark, 1200)
{
	static const char *const std_tests[] = {
		"-t", "set,get,incr,lpush,lpop,sadd,hset", NULL };
	static const char *const gr_test[] = {
		"GETRANGE", "probe", "0", "-100", NULL };
	char conf[PATH_MAX], prog[PATH_MAX], out[PATH_MAX], buf[65536];
	char run_id[64], run_id2[64], key[32], want[32], why[256];
	unsigned long long t_start;
	unsigned long missing = 0;
	struct rp *p = &self->p;
	int fd, i, cycle;
	char *argv[8];

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	RP_BUILT_OR_SKIP(p);

	/* The patches, both ways, each exactly the fix's functions. */
	ASSERT_EQ(0, rp_diff(p, false, p->hdp_obj))
		TH_LOG("hdctl diff of the objects failed (output above)");
	ASSERT_EQ(0, rp_diff(p, true, p->hdp_bin))
		TH_LOG("hdctl diff of the binaries failed (output above)");

	snprintf(prog, sizeof(prog), "%s/prog", p->dir);
	snprintf(conf, sizeof(conf), "%s/tests/realprog/redis/redis.conf",
		 repo());
	snprintf(out, sizeof(out), "%s/server.out", p->tmp);
	argv[0] = prog;
	argv[1] = conf;
	argv[2] = "--dir";
	argv[3] = p->tmp;
	argv[4] = NULL;
	self->server = rp_spawn(argv, out);
	ASSERT_LT(0, self->server);
	ASSERT_EQ(0, rp_wait_port(PORT, 60000)) {
		rp_slurp(out, buf, sizeof(buf));
		TH_LOG("redis-server did not listen: %s", buf);
	}
	t_start = rp_start_time(self->server);

	/* The data: KEYS keys in a database of their own, pipelined. */
	self->r.fd = rp_connect(PORT);
	ASSERT_LE(0, self->r.fd);
	ASSERT_EQ(0, CMD(&self->r, buf, "SET", "probe", PROBE_VALUE));
	ASSERT_EQ(0, CMD(&self->r, buf, "SELECT", STORE_DB));
	ASSERT_STREQ("+OK", buf);
	for (i = 0; i < KEYS; i++) {
		const char *a[] = { "SET", key, want };

		snprintf(key, sizeof(key), "stored:%d", i);
		snprintf(want, sizeof(want), "value-%d", i * 7919);
		ASSERT_EQ(0, resp_send(&self->r, 3, a));
	}
	for (i = 0; i < KEYS; i++) {
		ASSERT_EQ(0, resp_reply(&self->r, buf, sizeof(buf)));
		ASSERT_STREQ("+OK", buf);
	}
	ASSERT_EQ(0, CMD(&self->r, buf, "SET", "probe", PROBE_VALUE));
	ASSERT_EQ(0, CMD(&self->r, buf, "INFO", "server"));
	info_field(buf, "run_id:", run_id, sizeof(run_id));
	ASSERT_NE(0, run_id[0]);
	EXPECT_GETRANGE(BEFORE, "before any patch");

	/* The load: the standard tests, and the changed command alone. */
	load_init(&self->bench, p, "bench", std_tests);
	load_init(&self->getrange, p, "getrange", gr_test);
	ASSERT_EQ(0, rp_load_start(&self->bench));
	ASSERT_EQ(0, rp_load_start(&self->getrange));
	sleep(2);

	for (cycle = 1; cycle <= CYCLES; cycle++) {
		const char *hdp = cycle % 2 ? p->hdp_obj : p->hdp_bin;

		snprintf(why, sizeof(why), "cycle %d, after apply", cycle);
		ASSERT_EQ(0, rp_switch(p, hdp, self->server))
			TH_LOG("%s: hdctl apply: %s", why, rp_last(p, buf, 4096));
		EXPECT_GETRANGE(AFTER, why);
		sleep(1);
		snprintf(why, sizeof(why), "cycle %d, after revert", cycle);
		ASSERT_EQ(0, rp_switch(p, NULL, self->server))
			TH_LOG("%s: hdctl revert: %s", why, rp_last(p, buf, 4096));
		EXPECT_GETRANGE(BEFORE, why);
		sleep(1);
	}
	rp_load_stop(&self->bench);
	rp_load_stop(&self->getrange);

	/* Everything stored before the first patch, through the same link. */
	for (i = 0; i < KEYS; i++) {
		const char *a[] = { "GET", key };

		snprintf(key, sizeof(key), "stored:%d", i);
		ASSERT_EQ(0, resp_send(&self->r, 2, a));
	}
	for (i = 0; i < KEYS; i++) {
		ASSERT_EQ(0, resp_reply(&self->r, buf, sizeof(buf)));
		snprintf(want, sizeof(want), "value-%d", i * 7919);
		missing += !!strcmp(want, buf);
	}
	EXPECT_EQ(0, missing) TH_LOG("%lu of %d stored keys lost or changed",
				     missing, KEYS);
	ASSERT_EQ(0, CMD(&self->r, buf, "INFO", "server"));
	info_field(buf, "run_id:", run_id2, sizeof(run_id2));
	EXPECT_STREQ(run_id, run_id2);
	EXPECT_EQ(0, kill(self->server, 0));
	EXPECT_EQ(t_start, rp_start_time(self->server));
	ASSERT_EQ(0, CMD(&self->r, buf, "INFO", "stats"));
	info_field(buf, "total_error_replies:", want, sizeof(want));
	EXPECT_STREQ("0", want) TH_LOG("the server answered with errors");
	info_field(buf, "total_commands_processed:", key, sizeof(key));

	EXPECT_EQ(0, self->bench.failed_runs) TH_LOG("%s", self->bench.why);
	EXPECT_EQ(0, self->getrange.failed_runs)
		TH_LOG("%s", self->getrange.why);
	EXPECT_LT(0, self->bench.requests);
	EXPECT_LT(0, self->getrange.requests);
	rp_log_load("redis-benchmark -t set,get,incr,lpush,lpop,sadd,hset", &self->bench);
	rp_log_load("redis-benchmark GETRANGE probe 0 -100", &self->getrange);
	ksft_print_msg("redis: %d cycles, %d stored keys checked (%lu lost), same pid %d and run_id; commands processed by the server: %s\n",
		       CYCLES, KEYS, missing, self->server, key);
	rp_log_switches(p);
	fflush(stdout);
}

TEST_HARNESS_MAIN
