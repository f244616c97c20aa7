// SPDX-License-Identifier: GPL-2.0
/*
 * A C++ server from Debian 12's sources: cpp-httplib 0.11.4's file server
 * (example/simplesvr.cc), built on the host by tests/realprog/build-httplib.
 * A pool of eight threads answers the connections, and exceptions are part
 * of answering: parse_range_header() is one try block that turns the
 * std::out_of_range of an oversized Range number into a 416.  It serves ab
 * (apache2-utils), every request with a Range header, while hdctl applies
 * and reverts tests/realprog/httplib/fix.patch ten times: "Range: bytes=-"
 * is refused with 416 instead of answered as if it named the whole file.
 *
 * The patch is made here by hdctl diff through both of its paths (the
 * object; the two --emit-relocs binaries), each of which must yield
 * exactly tests/realprog/httplib/expected-functions; the cycles alternate
 * between the two patches.  After each apply and revert, a new connection
 * must get the answer of the code in place, and an oversized range must
 * still come back as 416:
 * the exception is thrown and caught inside the new code, so the unwinder
 * has to find it.  At the end the file must come back as written, ab must
 * have had no failed request, and the server must be the process it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hd_selftest.h"
#include "hd_live.h"
#include "hd_realprog.h"

#define PORT		18081
#define SPORT		"18081"
#define CYCLES		10
#define DATA_SIZE	(64 * 1024)
/* "bytes=-": before the fix the whole file (206), after it refused. */
#define EMPTY_RANGE	"Range: bytes=-\r\n"
#define BEFORE		206
#define AFTER		416
/* std::stoll throws std::out_of_range; the function's catch makes 416. */
#define HUGE_RANGE	"Range: bytes=99999999999999999999999-\r\n"

FIXTURE(realprog_httplib) {
	struct rp p;
	pid_t server;
	struct rp_load load;
};

FIXTURE_SETUP(realprog_httplib)
{
	ASSERT_EQ(0, rp_init(&self->p, "httplib"));
	self->server = -1;
}

FIXTURE_TEARDOWN(realprog_httplib)
{
	rp_load_stop(&self->load);
	if (self->server > 0) {
		kill(self->server, SIGKILL);
		waitpid(self->server, NULL, 0);
	}
	rp_cleanup(&self->p);
}

/*
 * A new connection must get @want for "bytes=-", and 416 for a range
 * whose number overflows, from either version.  (The server closes a
 * connection idle for 5 s, its keep-alive default, so none is kept
 * across a patch; ab's own connections are the ones under load.)
 */
#define EXPECT_RANGE(want, when) do {					\
	char _b[512];							\
	int _fd = rp_connect(PORT);					\
									\
	ASSERT_LE(0, _fd) TH_LOG("%s: connect", when);			\
	EXPECT_EQ(want, rp_http_get(_fd, "/data.txt", EMPTY_RANGE, _b,	\
				    sizeof(_b)))			\
		TH_LOG("%s: Range: bytes=-", when);			\
	EXPECT_EQ(416, rp_http_get(_fd, "/data.txt", HUGE_RANGE, _b,	\
				   sizeof(_b)))				\
		TH_LOG("%s: the range that throws", when);		\
	close(_fd);							\
} while (0)

TEST_F_TIMEOUT(realprog_httplib, fix_applied_and_reverted_10_times_under_ab, 1200)
{
	char prog[PATH_MAX], www[PATH_MAX / 2], path[PATH_MAX], why[128];
	char *data, *got, *argv[6];
	unsigned long long t_start;
	struct rp *p = &self->p;
	int fd, i, cycle;
	FILE *f;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	RP_BUILT_OR_SKIP(p);

	ASSERT_EQ(0, rp_diff(p, false, p->hdp_obj))
		TH_LOG("hdctl diff of the object failed (output above)");
	ASSERT_EQ(0, rp_diff(p, true, p->hdp_bin))
		TH_LOG("hdctl diff of the binaries failed (output above)");

	snprintf(www, sizeof(www), "%s/www", p->tmp);
	ASSERT_EQ(0, mkdir(www, 0755));
	data = malloc(DATA_SIZE);
	got = malloc(DATA_SIZE + 1);
	ASSERT_NE(NULL, data);
	ASSERT_NE(NULL, got);
	for (i = 0; i < DATA_SIZE; i++)
		data[i] = 'a' + (i * 13 + i / 512) % 26;
	snprintf(path, sizeof(path), "%s/data.txt", www);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(DATA_SIZE, fwrite(data, 1, DATA_SIZE, f));
	fclose(f);

	/* It logs every request on stdout. */
	snprintf(prog, sizeof(prog), "%s/prog", p->dir);
	argv[0] = prog;
	argv[1] = SPORT;
	argv[2] = www;
	argv[3] = NULL;
	self->server = rp_spawn(argv, "/dev/null");
	ASSERT_LT(0, self->server);
	ASSERT_EQ(0, rp_wait_port(PORT, 60000)) TH_LOG("simplesvr did not listen");
	t_start = rp_start_time(self->server);

	EXPECT_RANGE(BEFORE, "before any patch");

	/* Every request of the load goes through parse_range_header(). */
	memset(&self->load, 0, sizeof(self->load));
	snprintf(self->load.out, sizeof(self->load.out), "%s/ab.out", p->tmp);
	i = 0;
	self->load.argv[i++] = "/usr/bin/ab";
	self->load.argv[i++] = "-q";
	self->load.argv[i++] = "-k";
	self->load.argv[i++] = "-c";
	self->load.argv[i++] = "4";
	self->load.argv[i++] = "-n";
	self->load.argv[i++] = "2000";
	self->load.argv[i++] = "-H";
	self->load.argv[i++] = "Range: bytes=100-4195";
	self->load.argv[i++] = "http://127.0.0.1:" SPORT "/data.txt";
	self->load.argv[i] = NULL;
	self->load.parse = rp_parse_ab;
	ASSERT_EQ(0, rp_load_start(&self->load));
	sleep(2);

	for (cycle = 1; cycle <= CYCLES; cycle++) {
		const char *hdp = cycle % 2 ? p->hdp_obj : p->hdp_bin;

		snprintf(why, sizeof(why), "cycle %d, after apply", cycle);
		ASSERT_EQ(0, rp_switch(p, hdp, self->server))
			TH_LOG("%s: hdctl apply: %s", why, rp_last(p, got, 4096));
		EXPECT_RANGE(AFTER, why);
		sleep(1);
		snprintf(why, sizeof(why), "cycle %d, after revert", cycle);
		ASSERT_EQ(0, rp_switch(p, NULL, self->server))
			TH_LOG("%s: hdctl revert: %s", why, rp_last(p, got, 4096));
		EXPECT_RANGE(BEFORE, why);
		sleep(1);
	}
	rp_load_stop(&self->load);

	fd = rp_connect(PORT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(200, rp_http_get(fd, "/data.txt", "", got, DATA_SIZE + 1));
	close(fd);
	EXPECT_EQ(0, memcmp(data, got, DATA_SIZE)) TH_LOG("data.txt changed");
	EXPECT_EQ(0, kill(self->server, 0));
	EXPECT_EQ(t_start, rp_start_time(self->server));
	EXPECT_EQ(0, self->load.failed_runs) TH_LOG("%s", self->load.why);
	EXPECT_EQ(0, self->load.failed);
	EXPECT_LT(0, self->load.requests);
	rp_log_load("ab -k -H 'Range: bytes=100-4195' /data.txt", &self->load);
	ksft_print_msg("httplib: %d cycles, data.txt intact, same pid %d; an oversized range answered 416 after every switch\n",
		       CYCLES, self->server);
	rp_log_switches(p);
	free(data);
	free(got);
	fflush(stdout);
}

TEST_HARNESS_MAIN
