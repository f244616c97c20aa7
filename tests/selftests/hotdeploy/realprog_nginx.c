// SPDX-License-Identifier: GPL-2.0
/*
 * Debian 12's nginx 1.22.1, built from its source package on the host by
 * tests/realprog/build-nginx, serves ab (apache2-utils) while hdctl
 * applies and reverts tests/realprog/nginx/fix.patch ten times in the
 * master and in both workers: stub_status's lines no longer end in a
 * blank.
 *
 * The patch is made here by hdctl diff through both of its paths (every
 * object linked into nginx; the two --emit-relocs binaries), each of
 * which must yield exactly tests/realprog/nginx/expected-functions; the
 * cycles alternate between the two patches.  Before the first apply the
 * test writes the files nginx serves and opens one keep-alive connection
 * it uses to the end.  After each apply and revert, that connection and
 * fresh ones must see /status as the code now in place writes it; at the
 * end the files must come back as written, ab must have had no failed
 * request, and the master and its workers must be the processes they
 * were (same pids, same start times: a crashed worker would be replaced).
 */
#include <dirent.h>
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

#define PORT		18080
#define CYCLES		10
#define WORKERS		2
#define FRESH		4	/* new connections per check */
#define DATA_SIZE	(256 * 1024)
#define URL		"http://127.0.0.1:18080"

struct proc {
	pid_t pid;
	unsigned long long start;
};

/* The master and its workers, found by their parent. */
static int find_procs(pid_t master, struct proc *procs, int max)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	procs[n].pid = master;
	procs[n++].start = rp_start_time(master);
	d = opendir("/proc");
	if (!d)
		return -1;
	while ((de = readdir(d)) && n < max) {
		char path[300], buf[512], *s;
		pid_t pid = atoi(de->d_name), ppid;
		FILE *f;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		s = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (s && sscanf(s + 2, "%*c %d", &ppid) == 1 && ppid == master) {
			procs[n].pid = pid;
			procs[n++].start = rp_start_time(pid);
		}
	}
	closedir(d);
	return n;
}

/*
 * GET /status: 1 if its lines end without the blank (the fix), 0 if with
 * it, -1 if the reply is neither.
 */
static int status_fixed(int fd, char *body, size_t len)
{
	if (rp_http_get(fd, "/status", "", body, len) != 200)
		return -1;
	if (!strncmp(body, "Active connections: ", 20)) {
		const char *nl = strchr(body, '\n');

		if (nl && nl[-1] == ' ')
			return 0;
		if (nl && nl[-1] >= '0' && nl[-1] <= '9')
			return 1;
	}
	return -1;
}

FIXTURE(realprog_nginx) {
	struct rp p;
	pid_t master;
	int kept;
	struct rp_load status, files;
};

FIXTURE_SETUP(realprog_nginx)
{
	ASSERT_EQ(0, rp_init(&self->p, "nginx"));
	self->master = -1;
	self->kept = -1;
}

FIXTURE_TEARDOWN(realprog_nginx)
{
	rp_load_stop(&self->status);
	rp_load_stop(&self->files);
	if (self->kept >= 0)
		close(self->kept);
	if (self->master > 0) {
		kill(self->master, SIGKILL);
		waitpid(self->master, NULL, 0);
		/* The workers see their master go and exit. */
	}
	rp_cleanup(&self->p);
}

static void load_init(struct rp_load *l, struct rp *p, const char *name,
		      const char *flag, const char *url)
{
	int i = 0;

	memset(l, 0, sizeof(*l));
	snprintf(l->out, sizeof(l->out), "%s/%s.out", p->tmp, name);
	l->argv[i++] = "/usr/bin/ab";
	l->argv[i++] = "-q";
	l->argv[i++] = "-k";
	l->argv[i++] = "-c";
	l->argv[i++] = "3";
	l->argv[i++] = "-n";
	l->argv[i++] = "1500";
	if (flag)
		l->argv[i++] = (char *)flag;
	l->argv[i++] = (char *)url;
	l->argv[i] = NULL;
	l->parse = rp_parse_ab;
}

/* The kept connection and FRESH new ones must all see @want. */
#define EXPECT_STATUS(want, when) do {					\
	char _b[1024];							\
	int _i, _fd;							\
									\
	ASSERT_EQ(want, status_fixed(self->kept, _b, sizeof(_b)))	\
		TH_LOG("%s, kept connection: '%s'", when, _b);		\
	for (_i = 0; _i < FRESH; _i++) {				\
		_fd = rp_connect(PORT);					\
		ASSERT_LE(0, _fd);					\
		EXPECT_EQ(want, status_fixed(_fd, _b, sizeof(_b)))	\
			TH_LOG("%s, new connection %d: '%s'", when, _i, _b); \
		close(_fd);						\
	}								\
} while (0)

/* Apply @hdp (NULL: revert) in the master and every worker. */
#define SWITCH_ALL(hdp, when) do {					\
	char _b[4096];							\
	int _i;								\
									\
	for (_i = 0; _i < nprocs; _i++)					\
		ASSERT_EQ(0, rp_switch(p, (hdp), procs[_i].pid))	\
			TH_LOG("%s, pid %d: hdctl %s: %s", when,	\
			       procs[_i].pid, (hdp) ? "apply" : "revert", \
			       rp_last(p, _b, sizeof(_b)));		\
} while (0)

TEST_F_TIMEOUT(realprog_nginx, fix_applied_and_reverted_10_times_under_ab, 1200)
{
	char prog[PATH_MAX], conf[PATH_MAX], out[PATH_MAX], prefix[PATH_MAX];
	char why[128], *data, *got, *argv[10];
	struct proc procs[1 + WORKERS + 4], now[1 + WORKERS + 4];
	int fd, i, cycle, nprocs, n;
	struct rp *p = &self->p;
	FILE *f;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	RP_BUILT_OR_SKIP(p);

	ASSERT_EQ(0, rp_diff(p, false, p->hdp_obj))
		TH_LOG("hdctl diff of the objects failed (output above)");
	ASSERT_EQ(0, rp_diff(p, true, p->hdp_bin))
		TH_LOG("hdctl diff of the binaries failed (output above)");

	/* The files, written before nginx starts: the data it must keep
	 * serving unchanged.  Workers run as nobody: world-readable.
	 */
	ASSERT_EQ(0, sh("chmod 755 %s && mkdir -p %s/www && chmod 755 %s/www",
			p->tmp, p->tmp, p->tmp));
	data = malloc(DATA_SIZE);
	got = malloc(DATA_SIZE + 1);
	ASSERT_NE(NULL, data);
	ASSERT_NE(NULL, got);
	for (i = 0; i < DATA_SIZE; i++)
		data[i] = 'a' + (i * 7 + i / 1024) % 26;
	snprintf(out, sizeof(out), "%s/www/data.txt", p->tmp);
	f = fopen(out, "w");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(DATA_SIZE, fwrite(data, 1, DATA_SIZE, f));
	fclose(f);
	ASSERT_EQ(0, chmod(out, 0644));

	snprintf(prog, sizeof(prog), "%s/prog", p->dir);
	snprintf(conf, sizeof(conf), "%s/tests/realprog/nginx/nginx.conf",
		 repo());
	snprintf(prefix, sizeof(prefix), "%s/", p->tmp);
	snprintf(out, sizeof(out), "%s/server.out", p->tmp);
	argv[0] = prog;
	argv[1] = "-p";
	argv[2] = prefix;
	argv[3] = "-c";
	argv[4] = conf;
	argv[5] = "-e";
	argv[6] = "stderr";
	argv[7] = NULL;
	self->master = rp_spawn(argv, out);
	ASSERT_LT(0, self->master);
	ASSERT_EQ(0, rp_wait_port(PORT, 60000)) {
		char b[4096];

		rp_slurp(out, b, sizeof(b));
		TH_LOG("nginx did not listen: %s", b);
	}
	/* Both workers up. */
	for (i = 0; i < 600; i++) {
		nprocs = find_procs(self->master, procs, 1 + WORKERS + 4);
		if (nprocs == 1 + WORKERS)
			break;
		usleep(100000);
	}
	ASSERT_EQ(1 + WORKERS, nprocs);

	self->kept = rp_connect(PORT);
	ASSERT_LE(0, self->kept);
	EXPECT_STATUS(0, "before any patch");

	load_init(&self->status, p, "ab-status", "-l", URL "/status");
	load_init(&self->files, p, "ab-data", NULL, URL "/data.txt");
	ASSERT_EQ(0, rp_load_start(&self->status));
	ASSERT_EQ(0, rp_load_start(&self->files));
	sleep(2);

	for (cycle = 1; cycle <= CYCLES; cycle++) {
		const char *hdp = cycle % 2 ? p->hdp_obj : p->hdp_bin;

		snprintf(why, sizeof(why), "cycle %d, after apply", cycle);
		SWITCH_ALL(hdp, why);
		EXPECT_STATUS(1, why);
		sleep(1);
		snprintf(why, sizeof(why), "cycle %d, after revert", cycle);
		SWITCH_ALL(NULL, why);
		EXPECT_STATUS(0, why);
		sleep(1);
	}
	rp_load_stop(&self->status);
	rp_load_stop(&self->files);

	/* The files as written, through the connection kept all along. */
	ASSERT_EQ(200, rp_http_get(self->kept, "/data.txt", "", got,
				   DATA_SIZE + 1));
	EXPECT_EQ(0, memcmp(data, got, DATA_SIZE)) TH_LOG("data.txt changed");
	n = find_procs(self->master, now, 1 + WORKERS + 4);
	ASSERT_EQ(nprocs, n) TH_LOG("workers came or went");
	for (i = 0; i < n; i++) {
		int j, same = 0;

		for (j = 0; j < nprocs; j++)
			same |= now[i].pid == procs[j].pid &&
				now[i].start == procs[j].start;
		EXPECT_TRUE(same) TH_LOG("pid %d is not a process of the start",
					 now[i].pid);
	}
	ASSERT_EQ(200, rp_http_get(self->kept, "/status", "", got, 1024));

	EXPECT_EQ(0, self->status.failed_runs) TH_LOG("%s", self->status.why);
	EXPECT_EQ(0, self->status.failed);
	EXPECT_EQ(0, self->files.failed_runs) TH_LOG("%s", self->files.why);
	EXPECT_EQ(0, self->files.failed);
	EXPECT_LT(0, self->status.requests);
	EXPECT_LT(0, self->files.requests);
	rp_log_load("ab -k -l /status", &self->status);
	rp_log_load("ab -k /data.txt (256 KiB)", &self->files);
	ksft_print_msg("nginx: %d cycles in the master and %d workers, one connection kept throughout, data.txt intact, same processes; stub_status at the end: %s\n",
		       CYCLES, WORKERS, got);
	rp_log_switches(p);
	free(data);
	free(got);
	fflush(stdout);
}

TEST_HARNESS_MAIN
