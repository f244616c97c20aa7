// SPDX-License-Identifier: GPL-2.0
/* hdctl revert: undo the most recent patch of a process, one or all. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/hdctl.h"
#include "cmd/parse.h"
#include "cmd/wait.h"
#include "apply/kapi.h"
#include "apply/procmaps.h"
#include "apply/procobj.h"

void usage_revert(void)
{
	fprintf(hd_usage_out(),
		"Usage: hdctl [-j] revert --pid PID [--patch ID | --all] [--force]\n"
	       "                    [--wait SECONDS] [--scan all|threads]\n"
	       "                    [--retries N] [--retry-delay MS] [--timeout MS]\n"
	       "Restore the original code of process PID: its most recent patch,\n"
	       "patch ID (which must be the most recent: patches stack), or all of\n"
	       "them, newest first.  Like apply, it stops the process for\n"
	       "microseconds, and while a thread (or a suspended stack) runs or\n"
	       "returns into the patch's code it tries again for up to --wait\n"
	       "seconds (default 30), then refuses.  The patch's code stays\n"
	       "mapped, retired, for pointers into it the new code may have\n"
	       "stored; 'hdctl list' shows it.  --scan as for apply.\n"
	       "--force: if a thread may still run or return into it after every\n"
	       "attempt (the stack check is conservative), restore the functions\n"
	       "anyway, that thread running on in the retired code.\n");
}

/*
 * The name of redirect @index of patch @id (0: the newest) in @pid.  For
 * ~0U, a thread in the patch's new code, which the module cannot place in
 * one function: "the new code of NAME" and how many others it replaces.
 */
static const char *redirect_name(int fd, pid_t pid, __u64 id, __u32 index,
				 char *buf, size_t len)
{
	struct hd_patch_info *p;
	struct hd_func_info *f;
	struct hd_proc proc;
	__u32 np, nf, i, k = 0, pick;
	const char *name = NULL;
	char sym[256];

	if (hd_kernel_list(fd, pid, &p, &np, &f, &nf))
		return NULL;
	/* Applied ones come first; retired ones have no redirects. */
	for (i = 0; i < np && !(p[i].flags & HD_PATCH_RETIRED); i++) {
		bool newest = i + 1 == np ||
			      (p[i + 1].flags & HD_PATCH_RETIRED);

		if ((id && p[i].patch_id == id) || (!id && newest))
			break;
		k += p[i].nr_funcs;
	}
	pick = index == ~0U ? 0 : index;
	if (i < np && !(p[i].flags & HD_PATCH_RETIRED) && pick < p[i].nr_funcs && k + pick < nf &&
	    !hd_proc_open(pid, &proc)) {
		name = hd_proc_symbolize(&proc, f[k + pick].old_addr, sym,
					 sizeof(sym));
		hd_proc_close(&proc);
	}
	if (name && index == ~0U && p[i].nr_funcs > 1)
		snprintf(buf, len, "the new code of %s or of %u other functions",
			 name, p[i].nr_funcs - 1);
	else if (name && index == ~0U)
		snprintf(buf, len, "the new code of %s", name);
	else if (name)
		snprintf(buf, len, "%s", name);
	free(p);
	free(f);
	return name ? buf : NULL;
}

/* What the command line asks for. */
struct revert_args {
	pid_t pid;
	__u64 patch_id;
	bool all;
	__u32 flags;
	unsigned int wait_s;
	struct hd_retry_args retry;
};

static int parse_args(int argc, char **argv, struct revert_args *args)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "patch", required_argument, NULL, 'i' },
		{ "all", no_argument, NULL, 'a' },
		HD_RETRY_OPTIONS,
		{ "force", no_argument, NULL, 'f' },
		{ "wait", required_argument, NULL, 'w' },
		{ "scan", required_argument, NULL, 'S' },
		{ 0 }
	};
	int c;

	args->wait_s = HD_WAIT_DEFAULT_S;
	while ((c = hd_getopt(argc, argv, "", opts)) != -1) {
		if (hd_retry_option(c, optarg, &args->retry))
			continue;
		switch (c) {
		case 'p':
			args->pid = hd_pid_arg(optarg);
			break;
		case 'i':
			args->patch_id = hd_num_arg("--patch", optarg, 1,
						    UINT64_MAX);
			break;
		case 'a':
			args->all = true;
			break;
		case 'f':
			args->flags |= HD_REVERT_FORCE;
			break;
		case 'w':
			args->wait_s = hd_wait_arg(optarg);
			break;
		case 'S':
			if (!strcmp(optarg, "threads"))
				args->flags |= HD_REVERT_THREAD_STACKS;
			else if (!strcmp(optarg, "all"))
				args->flags &= ~HD_REVERT_THREAD_STACKS;
			else
				return hd_usage_error("--scan '%s': expected all or threads",
						      optarg);
			break;
		default:
			return hd_usage_error("unexpected option");
		}
	}
	if (!args->pid)
		return hd_usage_error("--pid is required");
	if (optind != argc)
		return hd_usage_error("unexpected argument '%s'", argv[optind]);
	if (args->all && args->patch_id)
		return hd_usage_error("--patch and --all exclude each other");
	return 0;
}

/* The module said no to @r: what, where, and what to do. */
static void refused(int fd, int err, const struct hd_revert *r,
		    const struct revert_args *args, const struct hd_wait *w,
		    char *msg, size_t len)
{
	struct hd_refusal why = {
		.op = "revert", .pid = args->pid, .err = err,
		.reason = r->fail_reason, .tid = r->fail_tid,
		.attempts = w->attempts ?: r->attempts_made,
		.waited_s = w->requests > 1 ? w->waited_s : 0,
		.addr = r->fail_addr,
	};
	char name[256], where[320];

	hd_retry_effective(&args->retry, &why.delay_ms, &why.timeout_ms);
	why.func = redirect_name(fd, args->pid, args->patch_id, r->fail_func,
				 name, sizeof(name));
	if (r->fail_reason == HD_FAIL_MEMORY)
		why.mapping = hd_maps_describe(args->pid, r->fail_addr, where,
					       sizeof(where));
	hd_explain(&why, msg, len);
	if (err == -EBUSY)
		hd_wait_explain(w, msg, len);
}

/* One request for --wait: the revert, afresh. */
struct revert_request {
	const struct revert_args *args;
	struct hd_revert r;
	int fd;
	int mem;	/* the proof: the target's /proc/PID/mem */
};

static int revert_request(void *ctx, struct hd_wait_busy *b)
{
	struct revert_request *rq = ctx;
	const struct revert_args *args = rq->args;
	int err;

	memset(&rq->r, 0, sizeof(rq->r));
	rq->r.pid = args->pid;
	rq->r.patch_id = args->patch_id;
	rq->r.flags = args->flags;
	rq->r.attempts = args->retry.attempts ?: args->wait_s ? 1 : 0;
	rq->r.retry_delay_ms = args->retry.delay_ms;
	rq->r.timeout_ms = args->retry.timeout_ms;
	err = hd_kernel_revert(rq->fd, rq->mem, &rq->r);
	b->reason = rq->r.fail_reason;
	b->tid = rq->r.fail_tid;
	b->func = rq->r.fail_func;
	b->attempts = rq->r.attempts_made;
	b->threads = rq->r.nr_threads;
	b->pause_ns = rq->r.timing.pause_ns;
	return err;
}

static const char *revert_name(void *ctx, __u32 func, char *buf, size_t len)
{
	struct revert_request *rq = ctx;

	return redirect_name(rq->fd, rq->args->pid, rq->args->patch_id, func,
			     buf, len);
}

/* One patch reverted: a line, or an entry of @arr under --json. */
static void report(const struct hd_revert *r, pid_t pid,
		   struct json_object *arr)
{
	struct json_object *o;

	if (r->out_flags & HD_REVERT_CODE_KEPT)
		fprintf(stderr,
			"hdctl: note: thread %u may still run or return into patch %llu's code: it runs on there, the code retired, until it leaves (process %d)\n",
			r->kept_tid, (unsigned long long)r->reverted_id,
			(int)pid);
	if (hd_opts.verbose)
		fprintf(stderr,
			"hdctl: revert: pause: park %.1f µs, check %.1f µs, write %.1f µs, release %.1f µs; before it: checks while it ran (threads asleep, memory) %.1f µs; attempts %u\n",
			r->timing.park_ns / 1e3, r->timing.check_ns / 1e3,
			r->timing.write_ns / 1e3, r->timing.release_ns / 1e3,
			r->precheck_ns / 1e3, r->attempts_made);
	if (!arr) {
		printf("reverted patch %llu of pid %d (%u thread%s paused %.1f µs)\n",
		       (unsigned long long)r->reverted_id, (int)pid,
		       r->nr_threads, r->nr_threads == 1 ? "" : "s",
		       r->timing.pause_ns / 1000.0);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object_object_add(o, "patch", json_object_new_int64(r->reverted_id));
	json_object_object_add(o, "threads", json_object_new_int(r->nr_threads));
	json_object_object_add(o, "pause_ns",
			       json_object_new_int64(r->timing.pause_ns));
	json_object_object_add(o, "pause_start_ns",
			       json_object_new_int64(r->pause_start_ns));
	json_object_object_add(o, "code_kept",
			       json_object_new_boolean(r->out_flags &
						       HD_REVERT_CODE_KEPT));
	json_object_array_add(arr, o);
}

/*
 * Under --json one document: the array of what was reverted, or, when a
 * revert failed, {"error": ..., "reverted": [...]} with what was before it.
 */
static void print_json(struct json_object *arr, const char *error)
{
	struct json_object *o;

	if (!error) {
		hd_json_print(arr);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(error));
	json_object_object_add(o, "reverted", arr);
	hd_json_print(o);
}

int cmd_revert(int argc, char **argv)
{
	struct revert_args args = { 0 };
	struct json_object *arr = NULL;
	int fd, mem, ret, count = 0;
	char msg[1536];

	ret = parse_args(argc, argv, &args);
	if (ret)
		return ret;
	fd = hd_open_dev();
	if (fd < 0)
		return HD_EXIT_FAIL;
	/* Once: a process that exec'd meanwhile is not the one meant. */
	mem = hd_proc_mem_open(args.pid);
	if (mem < 0) {
		close(fd);
		hd_policy_refused("revert", args.pid, mem);
		return HD_EXIT_FAIL;
	}
	if (hd_opts.json)
		arr = json_object_new_array();
	do {
		struct revert_request rq = { .args = &args, .fd = fd,
					     .mem = mem };

		struct hd_wait w = {
			.op = "revert", .seconds = args.wait_s,
			.request = revert_request, .name = revert_name,
			.ctx = &rq,
		};

		ret = hd_wait_run(&w);
		if (ret == -ENOENT && args.all && count) {
			ret = 0;	/* nothing left */
			break;
		}
		if (ret) {
			refused(fd, ret, &rq.r, &args, &w, msg, sizeof(msg));
			break;
		}
		count++;
		report(&rq.r, args.pid, arr);
	} while (args.all);
	close(mem);
	close(fd);
	if (arr)
		print_json(arr, ret ? msg : NULL);
	else if (ret)
		hd_err("%s", msg);
	return ret ? HD_EXIT_FAIL : HD_EXIT_OK;
}
