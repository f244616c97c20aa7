// SPDX-License-Identifier: GPL-2.0
/*
 * hdctl apply: plan a .hdp against a live process (apply/plan.c), then
 * hand the final bytes to the module and report what it did.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply/image.h"
#include "apply/kapi.h"
#include "apply/plan.h"
#include "apply/procobj.h"
#include "base/file.h"
#include "cmd/hdctl.h"
#include "format/hdp.h"

#define STATS_FMT \
	"pause: park %.1f µs, check %.1f µs, write %.1f µs, release %.1f µs; " \
	"before it: map %.1f µs, check of the threads asleep %.1f µs; attempts %u\n"

void usage_apply(void)
{
	fprintf(hd_usage_out(),
		"Usage: hdctl [-j] apply FILE.hdp --pid PID [--retries N] [--retry-delay MS]\n"
	       "                   [--timeout MS] [--force] [--dry-run] [--stats]\n"
	       "                   [--save-image DIR]\n"
	       "Apply a patch made by 'hdctl diff' to running process PID: find\n"
	       "the patched object in it by build-id, place and relocate the new\n"
	       "code, check the old code is what the patch expects, then have the\n"
	       "module map the code, stop the process (threads asleep in the\n"
	       "kernel are held where they sleep), check no thread runs a function\n"
	       "being replaced and redirect the functions, all or nothing.\n"
	       "--force skips the stack check (never the IP check); --dry-run\n"
	       "stops before the module; --stats prints the pause's phases and\n"
	       "what was done before it;\n"
	       "--save-image writes the resolved code and redirects to DIR.\n");
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* @req: CLOCK_MONOTONIC when the request went to the module and came back. */
static void report(pid_t pid, const struct hd_apply *a, const struct hd_plan *p,
		   int stats, const uint64_t req[2])
{
	const struct hd_timing *t = &a->timing;

	if (hd_opts.json) {
		struct json_object *o = json_object_new_object();
		struct json_object *fn = json_object_new_array();
		__u32 i;

		json_object_object_add(o, "pid", json_object_new_int(pid));
		json_object_object_add(o, "patch", json_object_new_int64(a->patch_id));
		json_object_object_add(o, "code_addr", json_object_new_int64(p->addr));
		for (i = 0; i < p->nfuncs; i++)
			json_object_array_add(fn, json_object_new_string(p->names[i]));
		json_object_object_add(o, "functions", fn);
		json_object_object_add(o, "threads", json_object_new_int(a->nr_threads));
		json_object_object_add(o, "attempts", json_object_new_int(a->attempts_made));
		json_object_object_add(o, "park_ns", json_object_new_int64(t->park_ns));
		json_object_object_add(o, "check_ns", json_object_new_int64(t->check_ns));
		json_object_object_add(o, "map_ns", json_object_new_int64(t->map_ns));
		json_object_object_add(o, "write_ns", json_object_new_int64(t->write_ns));
		json_object_object_add(o, "release_ns", json_object_new_int64(t->release_ns));
		json_object_object_add(o, "pause_ns", json_object_new_int64(t->pause_ns));
		json_object_object_add(o, "pause_start_ns",
				       json_object_new_int64(a->pause_start_ns));
		json_object_object_add(o, "precheck_ns", json_object_new_int64(a->precheck_ns));
		json_object_object_add(o, "request_start_ns", json_object_new_int64(req[0]));
		json_object_object_add(o, "request_end_ns", json_object_new_int64(req[1]));
		hd_json_print(o);
		return;
	}
	printf("applied patch %llu to pid %d: %u function%s, %u thread%s paused %.1f µs\n",
	       (unsigned long long)a->patch_id, (int)pid, p->nfuncs,
	       p->nfuncs == 1 ? "" : "s", a->nr_threads,
	       a->nr_threads == 1 ? "" : "s", t->pause_ns / 1000.0);
	if (stats)
		printf(STATS_FMT, t->park_ns / 1e3, t->check_ns / 1e3,
		       t->write_ns / 1e3, t->release_ns / 1e3, t->map_ns / 1e3,
		       a->precheck_ns / 1e3, a->attempts_made);
}

int cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "retries", required_argument, NULL, 'r' },
		{ "retry-delay", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "stats", no_argument, NULL, 's' },
		{ "save-image", required_argument, NULL, 'i' },
		{ 0 }
	};
	const char *save_dir = NULL;
	struct hd_apply a = { 0 };
	uint64_t req[2];
	struct hd_plan p = { 0 };
	struct hd_proc proc;
	struct hdp_file f;
	int c, fd = -1, dry = 0, stats = 0, ret = HD_EXIT_FAIL, err;
	const char *path;
	struct hd_error e;
	char msg[512];
	pid_t pid = 0;
	size_t len;
	void *buf;

	while ((c = hd_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'p':
			pid = atoi(optarg);
			break;
		case 'r':
			a.attempts = atoi(optarg) + 1;
			break;
		case 'd':
			a.retry_delay_ms = atoi(optarg);
			break;
		case 't':
			a.timeout_ms = atoi(optarg);
			break;
		case 'f':
			a.flags |= HD_APPLY_FORCE;
			break;
		case 'n':
			dry = 1;
			break;
		case 's':
			stats = 1;
			break;
		case 'i':
			save_dir = optarg;
			break;
		default:
			usage_apply();
			return HD_EXIT_USAGE;
		}
	}
	if (pid <= 0 || optind != argc - 1) {
		usage_apply();
		return HD_EXIT_USAGE;
	}
	path = argv[optind];
	buf = hd_slurp(path, &len, &e);
	if (!buf) {
		hd_err("%s", e.msg);
		return HD_EXIT_FAIL;
	}
	if (hdp_parse(buf, len, &f, &e)) {
		hd_err("%s: %s", path, e.msg);
		goto out_buf;
	}
	err = hd_proc_open(pid, &proc);
	if (err) {
		hd_err("apply: process %d: %s", (int)pid,
		       err == -ESRCH ? "no such process" :
		       err == -EACCES || err == -EPERM ?
		       "permission denied: needs root with CAP_SYS_PTRACE" :
		       strerror(-err));
		goto out_hdp;
	}
	if (hd_plan_make(&f, &proc, &p, &e)) {
		hd_err("apply: %s", e.msg);
		goto out_proc;
	}
	if (save_dir && hd_image_save(save_dir, pid, p.addr, p.image, p.size,
				      p.funcs, p.names, p.nfuncs, msg,
				      sizeof(msg))) {
		hd_err("apply: %s", msg);
		goto out_proc;
	}
	if (dry) {
		printf("would apply %s to pid %d: %u function%s, code at %#llx",
		       path, (int)pid, p.nfuncs, p.nfuncs == 1 ? "" : "s",
		       (unsigned long long)p.addr);
		printf(" (%zu bytes), data %zu bytes\n", p.data_off,
		       p.size - p.data_off);
		ret = HD_EXIT_OK;
		goto out_proc;
	}
	fd = hd_open_dev();
	if (fd < 0)
		goto out_proc;
	a.pid = pid;
	a.nr_funcs = p.nfuncs;
	a.funcs = (uintptr_t)p.funcs;
	a.func_size = sizeof(*p.funcs);
	a.code = (uintptr_t)p.image;
	a.code_size = p.data_off;
	a.code_addr = p.addr;
	if (p.size > p.data_off) {
		a.data = (uintptr_t)(p.image + p.data_off);
		a.data_size = p.size - p.data_off;
	}
	req[0] = monotonic_ns();
	err = hd_kernel_apply(fd, &a);
	req[1] = monotonic_ns();
	if (err == -E2BIG && a.data_size) {
		hd_err("apply: the loaded hotdeploy.ko cannot map a patch's new data (it predates ABI feature 'data'); load this version's module");
		goto out_fd;
	}
	if (err) {
		struct hd_refusal why = {
			.op = "apply", .pid = pid, .err = err,
			.reason = a.fail_reason, .tid = a.fail_tid,
			.attempts = a.attempts_made,
			.delay_ms = a.retry_delay_ms ?: 100,
			.timeout_ms = a.timeout_ms ?: 2000,
		};

		if (a.fail_func < p.nfuncs)
			why.func = p.names[a.fail_func];
		hd_explain(&why, msg, sizeof(msg));
		hd_err("%s", msg);
		goto out_fd;
	}
	report(pid, &a, &p, stats, req);
	ret = HD_EXIT_OK;
out_fd:
	close(fd);
out_proc:
	hd_plan_free(&p);
	hd_proc_close(&proc);
out_hdp:
	hdp_release(&f);
out_buf:
	free(buf);
	return ret;
}
