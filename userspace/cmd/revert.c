// SPDX-License-Identifier: GPL-2.0
/* hdctl revert: undo the most recent patch of a process, one or all. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/hdctl.h"
#include "apply/kapi.h"
#include "apply/procobj.h"

void usage_revert(void)
{
	fprintf(hd_usage_out(),
		"Usage: hdctl [-j] revert --pid PID [--patch ID | --all] [--force]\n"
	       "                    [--retries N] [--retry-delay MS] [--timeout MS]\n"
	       "Restore the original code of process PID: its most recent patch,\n"
	       "patch ID (which must be the most recent: patches stack), or all of\n"
	       "them, newest first.  Like apply, it stops the process for\n"
	       "microseconds and refuses while a thread runs the code to remove.\n"
	       "--force: if a thread may still run or return into it after every\n"
	       "attempt (the stack check is conservative), restore the functions\n"
	       "anyway and leave the patch's code mapped until the process exits.\n");
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
	for (i = 0; i < np; i++) {
		if ((id && p[i].patch_id == id) || (!id && i == np - 1))
			break;
		k += p[i].nr_funcs;
	}
	pick = index == ~0U ? 0 : index;
	if (i < np && pick < p[i].nr_funcs && k + pick < nf &&
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

int cmd_revert(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "patch", required_argument, NULL, 'i' },
		{ "all", no_argument, NULL, 'a' },
		{ "retries", required_argument, NULL, 'r' },
		{ "retry-delay", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ 0 }
	};
	struct hd_revert base = { 0 };
	struct json_object *arr = NULL;
	int fd, c, all = 0, count = 0, ret;
	pid_t pid = 0;

	while ((c = hd_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'p':
			pid = atoi(optarg);
			break;
		case 'i':
			base.patch_id = strtoull(optarg, NULL, 0);
			if (!base.patch_id)
				goto usage;
			break;
		case 'a':
			all = 1;
			break;
		case 'r':
			base.attempts = atoi(optarg) + 1;
			break;
		case 'd':
			base.retry_delay_ms = atoi(optarg);
			break;
		case 't':
			base.timeout_ms = atoi(optarg);
			break;
		case 'f':
			base.flags |= HD_REVERT_FORCE;
			break;
		default:
			goto usage;
		}
	}
	if (pid <= 0 || optind != argc || (all && base.patch_id))
		goto usage;

	fd = hd_open_dev();
	if (fd < 0)
		return HD_EXIT_FAIL;
	if (hd_opts.json)
		arr = json_object_new_array();
	do {
		struct hd_revert r = base;
		struct hd_refusal why = {
			.op = "revert", .pid = pid,
		};
		char msg[512], name[256];

		r.pid = pid;
		ret = hd_kernel_revert(fd, &r);
		if (ret == -ENOENT && all && count)
			break;	/* nothing left */
		if (ret) {
			why.err = ret;
			why.reason = r.fail_reason;
			why.tid = r.fail_tid;
			why.attempts = r.attempts_made;
			why.delay_ms = r.retry_delay_ms ?: 100;
			why.timeout_ms = r.timeout_ms ?: 2000;
			why.func = redirect_name(fd, pid, base.patch_id,
						 r.fail_func, name, sizeof(name));
			hd_explain(&why, msg, sizeof(msg));
			hd_err("%s", msg);
			break;
		}
		count++;
		if (arr) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "pid", json_object_new_int(pid));
			json_object_object_add(o, "patch",
					       json_object_new_int64(r.reverted_id));
			json_object_object_add(o, "threads",
					       json_object_new_int(r.nr_threads));
			json_object_object_add(o, "pause_ns",
					       json_object_new_int64(r.timing.pause_ns));
			json_object_object_add(o, "pause_start_ns",
					       json_object_new_int64(r.pause_start_ns));
			json_object_object_add(o, "code_kept",
					       json_object_new_boolean(r.out_flags &
								       HD_REVERT_CODE_KEPT));
			json_object_array_add(arr, o);
		} else {
			printf("reverted patch %llu of pid %d (%u thread%s paused %.1f µs)\n",
			       (unsigned long long)r.reverted_id, (int)pid,
			       r.nr_threads, r.nr_threads == 1 ? "" : "s",
			       r.timing.pause_ns / 1000.0);
		}
		if (r.out_flags & HD_REVERT_CODE_KEPT)
			fprintf(stderr,
				"hdctl: note: thread %u may still run or return into patch %llu's code, so it stays mapped until process %d exits\n",
				r.kept_tid, (unsigned long long)r.reverted_id,
				(int)pid);
	} while (all);
	close(fd);
	if (arr)
		hd_json_print(arr);
	return ret && !(ret == -ENOENT && all && count) ? HD_EXIT_FAIL :
							  HD_EXIT_OK;
usage:
	usage_revert();
	return HD_EXIT_USAGE;
}
