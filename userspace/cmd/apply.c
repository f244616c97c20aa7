// SPDX-License-Identifier: GPL-2.0
/*
 * hdctl apply: plan a .hdp against a live process (apply/plan.c), then
 * hand the final bytes to the module and report what it did.
 */
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply/image.h"
#include "apply/kapi.h"
#include "apply/plan.h"
#include "apply/procmaps.h"
#include "apply/procobj.h"
#include "base/file.h"
#include "cmd/hdctl.h"
#include "cmd/parse.h"
#include "cmd/wait.h"
#include "format/hdp.h"

#define STATS_FMT \
	"pause: park %.1f µs, check %.1f µs (%.1f MiB of memory scanned), " \
	"write %.1f µs, release %.1f µs; before it: map %.1f µs, " \
	"checks while it ran (threads asleep, memory) %.1f µs; attempts %u\n"

void usage_apply(void)
{
	fprintf(hd_usage_out(),
		"Usage: hdctl [-j] apply FILE.hdp --pid PID [--wait SECONDS]\n"
	       "                   [--scan all|threads] [--retries N] [--retry-delay MS]\n"
	       "                   [--timeout MS] [--force] [--dry-run] [--stats]\n"
	       "                   [--save-image DIR]\n"
	       "Apply a patch made by 'hdctl diff' to running process PID: find\n"
	       "the patched object in it by build-id, place and relocate the new\n"
	       "code, check the old code is what the patch expects, then have the\n"
	       "module map the code, stop the process (threads asleep in the\n"
	       "kernel are held where they sleep), check no thread runs a function\n"
	       "being replaced and redirect the functions, all or nothing.\n"
	       "While one is busy, it tries again with growing delays for up\n"
	       "to --wait seconds (default 30; 0: one request), each attempt a\n"
	       "short stop.  Besides every thread's stack, the process's\n"
	       "writable memory is scanned for return addresses into the\n"
	       "functions (coroutine stacks, frames a signal handler\n"
	       "interrupted), which makes the stop grow with that memory;\n"
	       "--scan threads leaves that out, for programs known to have\n"
	       "no other stacks.\n"
	       "--force skips the stack check (never the IP check); --dry-run\n"
	       "stops before the module; --stats (also -v) prints the pause's\n"
	       "phases and what was done before it; -v prints each redirect;\n"
	       "--save-image writes the resolved code and redirects to DIR.\n");
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A stop whose checks took longer than this gets a note on the scan. */
#define HD_SCAN_NOTE_NS		(50 * 1000 * 1000ULL)

/* @req: CLOCK_MONOTONIC when the request went to the module and came back. */
static void report(pid_t pid, const struct hd_apply *a, const struct hd_plan *p,
		   const struct hd_wait *w, int stats, const uint64_t req[2])
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
		json_object_object_add(o, "requests", json_object_new_int(w->requests));
		json_object_object_add(o, "waited_s", json_object_new_double(w->waited_s));
		json_object_object_add(o, "scan_bytes", json_object_new_int64(a->scan_bytes));
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
		       a->scan_bytes / 1048576.0, t->write_ns / 1e3,
		       t->release_ns / 1e3, t->map_ns / 1e3,
		       a->precheck_ns / 1e3, a->attempts_made);
	/* A long pause the user can avoid: say how. */
	if (a->scan_bytes && t->check_ns > HD_SCAN_NOTE_NS)
		fprintf(stderr, "hdctl: apply: the pause was %.1f ms, most of it the memory scan (%.1f MiB); where the program has no coroutines, fibers or signal stacks, --scan threads leaves it out\n",
			t->pause_ns / 1e6, a->scan_bytes / 1048576.0);
}

/* What the command line asks for. */
struct apply_args {
	pid_t pid;
	const char *path;
	const char *save_dir;
	bool dry, stats;
	__u32 flags;
	unsigned int wait_s;
	struct hd_retry_args retry;
};

static int parse_args(int argc, char **argv, struct apply_args *args)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		HD_RETRY_OPTIONS,
		{ "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "stats", no_argument, NULL, 's' },
		{ "save-image", required_argument, NULL, 'i' },
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
		case 'f':
			args->flags |= HD_APPLY_FORCE;
			break;
		case 'n':
			args->dry = true;
			break;
		case 's':
			args->stats = true;
			break;
		case 'i':
			args->save_dir = optarg;
			break;
		case 'w':
			args->wait_s = hd_wait_arg(optarg);
			break;
		case 'S':
			if (!strcmp(optarg, "threads"))
				args->flags |= HD_APPLY_THREAD_STACKS;
			else if (!strcmp(optarg, "all"))
				args->flags &= ~HD_APPLY_THREAD_STACKS;
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
	if (optind != argc - 1)
		return hd_usage_error("expected one FILE.hdp");
	args->path = argv[optind];
	return 0;
}

/* -v: the redirects, on stderr (stdout stays the result, JSON or not). */
static void print_plan(const struct hd_plan *p)
{
	__u32 i;

	fprintf(stderr, "hdctl: apply: code at %#llx, %zu bytes; data %zu bytes\n",
		(unsigned long long)p->addr, p->data_off, p->size - p->data_off);
	for (i = 0; i < p->nfuncs; i++)
		fprintf(stderr, "hdctl: apply: %s %#llx -> %#llx (%u bytes checked)\n",
			p->names[i], (unsigned long long)p->funcs[i].old_addr,
			(unsigned long long)p->funcs[i].new_addr,
			p->funcs[i].expect_len);
	if (p->unwind.ntables && p->unwind.register_fn)
		fprintf(stderr, "hdctl: apply: %zu unwind table%s, registered by the process at the first call into the patch (__register_frame_info at %#llx)\n",
			p->unwind.ntables, p->unwind.ntables == 1 ? "" : "s",
			(unsigned long long)p->unwind.register_fn);
	else if (p->unwind.ntables)
		fprintf(stderr, "hdctl: apply: %zu unwind table%s, not registered: the process has no unwinder loaded (libgcc_s); a backtrace through the new code stops there\n",
			p->unwind.ntables, p->unwind.ntables == 1 ? "" : "s");
}

/*
 * -v: the gdb command that gives gdb the patch's symbols and unwind
 * tables where they are in the process (the .hdp is an ELF object).
 */
static void print_gdb(const struct hdp_file *f, const struct hd_plan *p,
		      const char *path)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(f->elf, &shstrndx))
		return;
	fprintf(stderr, "hdctl: apply: for gdb: add-symbol-file %s", path);
	while ((scn = elf_nextscn(f->elf, scn))) {
		size_t ndx = elf_ndxscn(scn);
		const char *name;

		if (ndx >= HD_PLAN_MAX_SECS || !p->placed[ndx] ||
		    !gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(f->elf, shstrndx, sh.sh_name);
		if (name)
			fprintf(stderr, " -s %s %#llx", name,
				(unsigned long long)(p->addr + p->sec_off[ndx]));
	}
	fputc('\n', stderr);
}

/* The module's request for @p, as @args asks. */
static void fill_request(struct hd_apply *a, const struct apply_args *args,
			 const struct hd_plan *p)
{
	memset(a, 0, sizeof(*a));
	a->pid = args->pid;
	a->flags = args->flags;
	/* Waiting, hdctl retries, one stop per request, unless told. */
	a->attempts = args->retry.attempts ?: args->wait_s ? 1 : 0;
	a->retry_delay_ms = args->retry.delay_ms;
	a->timeout_ms = args->retry.timeout_ms;
	a->nr_funcs = p->nfuncs;
	a->funcs = (uintptr_t)p->funcs;
	a->func_size = sizeof(*p->funcs);
	a->code = (uintptr_t)p->image;
	a->code_size = p->data_off;
	a->code_addr = p->addr;
	if (p->size > p->data_off) {
		a->data = (uintptr_t)(p->image + p->data_off);
		a->data_size = p->size - p->data_off;
	}
}

/* The module said no: what, where, and what to do (apply/explain.c). */
static void refused(int err, const struct hd_apply *a,
		    const struct apply_args *args, const struct hd_plan *p,
		    const struct hd_wait *w)
{
	struct hd_refusal why = {
		.op = "apply", .pid = args->pid, .err = err,
		.reason = a->fail_reason, .tid = a->fail_tid,
		.attempts = w->attempts ?: a->attempts_made,
		.waited_s = w->requests > 1 ? w->waited_s : 0,
		.addr = a->fail_addr,
	};
	char msg[1536], where[320];

	if (err == -E2BIG && a->data_size) {
		hd_err("apply: the loaded hotdeploy.ko cannot map a patch's new data (it predates ABI feature 'data'); load this version's module");
		return;
	}
	hd_retry_effective(&args->retry, &why.delay_ms, &why.timeout_ms);
	if (a->fail_func < p->nfuncs)
		why.func = p->names[a->fail_func];
	if (a->fail_reason == HD_FAIL_MEMORY)
		why.mapping = hd_maps_describe(args->pid, a->fail_addr, where,
					       sizeof(where));
	hd_explain(&why, msg, sizeof(msg));
	if (err == -EBUSY)
		hd_wait_explain(w, msg, sizeof(msg));
	hd_err("%s", msg);
}

/* One request for --wait: the plan's apply, afresh. */
struct apply_request {
	const struct apply_args *args;
	const struct hd_plan *p;
	struct hd_apply a;
	int fd;
	int mem;	/* the proof: the target's /proc/PID/mem */
};

static int apply_request(void *ctx, struct hd_wait_busy *b)
{
	struct apply_request *rq = ctx;
	int err;

	fill_request(&rq->a, rq->args, rq->p);
	err = hd_kernel_apply(rq->fd, rq->mem, &rq->a);
	b->reason = rq->a.fail_reason;
	b->tid = rq->a.fail_tid;
	b->func = rq->a.fail_func;
	b->attempts = rq->a.attempts_made;
	b->threads = rq->a.nr_threads;
	b->pause_ns = rq->a.timing.pause_ns;
	return err;
}

static const char *apply_name(void *ctx, __u32 func, char *buf, size_t len)
{
	const struct apply_request *rq = ctx;

	if (func >= rq->p->nfuncs)
		return NULL;
	snprintf(buf, len, "%s()", rq->p->names[func]);
	return buf;
}

/*
 * Hand @p to the module on @fd, with @mem, the proof (opened once: a
 * process that exec'd meanwhile is not the one planned for), and report;
 * HD_EXIT_*.
 */
static int apply_plan(const struct apply_args *args, const struct hd_plan *p,
		      int fd, int mem)
{
	struct apply_request rq = { .args = args, .p = p, .fd = fd,
				    .mem = mem };
	struct hd_wait w = {
		.op = "apply", .seconds = args->wait_s,
		.request = apply_request, .name = apply_name, .ctx = &rq,
	};
	uint64_t req[2];
	int err;

	req[0] = monotonic_ns();
	err = hd_wait_run(&w);
	req[1] = monotonic_ns();
	if (err) {
		refused(err, &rq.a, args, p, &w);
		return HD_EXIT_FAIL;
	}
	report(args->pid, &rq.a, p, &w, args->stats || hd_opts.verbose, req);
	return HD_EXIT_OK;
}

static void print_dry_run(const struct apply_args *args,
			  const struct hd_plan *p)
{
	printf("would apply %s to pid %d: %u function%s, code at %#llx",
	       args->path, (int)args->pid, p->nfuncs,
	       p->nfuncs == 1 ? "" : "s", (unsigned long long)p->addr);
	printf(" (%zu bytes), data %zu bytes\n", p->data_off,
	       p->size - p->data_off);
}

static const char *proc_error(int err)
{
	if (err == -ESRCH)
		return "no such process";
	if (err == -EACCES || err == -EPERM)
		return "permission denied: needs root with CAP_SYS_PTRACE";
	return strerror(-err);
}

int cmd_apply(int argc, char **argv)
{
	struct apply_args args = { 0 };
	int ret = HD_EXIT_FAIL, err, fd, mem;
	struct hd_plan p = { 0 };
	struct hd_proc proc;
	struct hdp_file f;
	struct hd_error e;
	char msg[512];
	size_t len;
	void *buf;

	err = parse_args(argc, argv, &args);
	if (err)
		return err;
	buf = hd_slurp(args.path, &len, &e);
	if (!buf) {
		hd_err("%s", e.msg);
		return HD_EXIT_FAIL;
	}
	if (hdp_parse(buf, len, &f, &e)) {
		hd_err("%s: %s", args.path, e.msg);
		goto out_buf;
	}
	/*
	 * First what is missing first: the module (and root) unless only
	 * planning, then the right to debug the process, as such.
	 */
	fd = args.dry ? -1 : hd_open_dev();
	if (!args.dry && fd < 0)
		goto out_hdp;
	mem = hd_proc_mem_open(args.pid);
	if (mem < 0) {
		hd_policy_refused("apply", args.pid, mem);
		goto out_fd;
	}
	err = hd_proc_open(args.pid, &proc);
	if (err) {
		hd_err("apply: process %d: %s", (int)args.pid, proc_error(err));
		goto out_mem;
	}
	if (hd_plan_make(&f, &proc, &p, &e)) {
		hd_err("apply: %s", e.msg);
		goto out_proc;
	}
	if (hd_opts.verbose) {
		print_plan(&p);
		print_gdb(&f, &p, args.path);
	}
	if (args.save_dir &&
	    hd_image_save(args.save_dir, args.pid, p.addr, p.image, p.size,
			  p.funcs, p.names, p.nfuncs, msg, sizeof(msg))) {
		hd_err("apply: %s", msg);
		goto out_proc;
	}
	if (args.dry) {
		print_dry_run(&args, &p);
		ret = HD_EXIT_OK;
	} else {
		ret = apply_plan(&args, &p, fd, mem);
	}
out_proc:
	hd_plan_free(&p);
	hd_proc_close(&proc);
out_mem:
	close(mem);
out_fd:
	if (fd >= 0)
		close(fd);
out_hdp:
	hdp_release(&f);
out_buf:
	free(buf);
	return ret;
}
