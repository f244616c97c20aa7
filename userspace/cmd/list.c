// SPDX-License-Identifier: GPL-2.0
/* hdctl list: the patches applied to one process or to all of them. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/hdctl.h"
#include "cmd/parse.h"
#include "apply/kapi.h"
#include "apply/procobj.h"

void usage_list(void)
{
	fprintf(hd_usage_out(),
		"Usage: hdctl [-j] list [--pid PID]\n"
	       "List the patches applied to process PID, or to every process,\n"
	       "oldest first, with the functions each one redirects; then the\n"
	       "retired ones (reverted, their code still mapped) and the memory\n"
	       "they hold.\n");
}

static void comm_of(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	buf[0] = '\0';
	f = fopen(path, "re");
	if (f) {
		if (fgets(buf, len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

static void when(__u64 ns, char *buf, size_t len)
{
	time_t t = ns / 1000000000ULL;
	struct tm tm;

	strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", localtime_r(&t, &tm));
}

/* One redirect of a patch: a line, or an entry of @jfuncs. */
static void show_func(const struct hd_func_info *f, struct hd_proc *proc,
		      struct json_object *jfuncs)
{
	struct json_object *jf;
	char name[256];

	if (proc)
		hd_proc_symbolize(proc, f->old_addr, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "%#llx",
			 (unsigned long long)f->old_addr);
	if (!jfuncs) {
		printf("    %s %#llx -> %#llx\n", name,
		       (unsigned long long)f->old_addr,
		       (unsigned long long)f->new_addr);
		return;
	}
	jf = json_object_new_object();
	json_object_object_add(jf, "name", json_object_new_string(name));
	json_object_object_add(jf, "old_addr", json_object_new_int64(f->old_addr));
	json_object_object_add(jf, "new_addr", json_object_new_int64(f->new_addr));
	json_object_array_add(jfuncs, jf);
}

/* One patch, its header and its @nf redirects at @f. */
static void show_patch(const struct hd_patch_info *p,
		       const struct hd_func_info *f, __u32 nf,
		       struct hd_proc *proc, struct json_object *jpatches)
{
	struct json_object *jpatch, *jfuncs = NULL;
	char t[64];
	__u32 j;

	bool retired = p->flags & HD_PATCH_RETIRED;

	when(p->applied_ns, t, sizeof(t));
	if (jpatches) {
		jpatch = json_object_new_object();
		jfuncs = json_object_new_array();
		json_object_object_add(jpatch, "id",
				       json_object_new_int64(p->patch_id));
		json_object_object_add(jpatch, "code_addr",
				       json_object_new_int64(p->code_addr));
		json_object_object_add(jpatch, "code_size",
				       json_object_new_int64(p->code_size));
		json_object_object_add(jpatch, "applied",
				       json_object_new_string(t));
		json_object_object_add(jpatch, "retired",
				       json_object_new_boolean(retired));
		json_object_object_add(jpatch, "map_size",
				       json_object_new_int64(p->map_size));
		json_object_object_add(jpatch, "functions", jfuncs);
		json_object_array_add(jpatches, jpatch);
	} else {
		printf("  patch %llu: code %#llx-%#llx, applied %s",
		       (unsigned long long)p->patch_id,
		       (unsigned long long)p->code_addr,
		       (unsigned long long)(p->code_addr + p->code_size), t);
		if (retired)
			printf(", retired: reverted, %llu KiB still mapped",
			       (unsigned long long)p->map_size / 1024);
		printf("\n");
	}
	for (j = 0; j < p->nr_funcs && j < nf; j++)
		show_func(&f[j], proc, jfuncs);
}

/* One process; *shown tells whether it had patches. */
static int list_pid(int fd, pid_t pid, struct json_object *arr, int *shown)
{
	struct json_object *jp, *jpatches = NULL;
	struct hd_patch_info *p;
	struct hd_func_info *f;
	struct hd_proc proc;
	__u32 np, nf, i, k = 0, nr_retired = 0;
	int ret, have_proc;
	char comm[64];

	*shown = 0;
	ret = hd_kernel_list(fd, pid, &p, &np, &f, &nf);
	if (ret)
		return ret;
	if (!np)
		goto out;
	*shown = 1;
	have_proc = !hd_proc_open(pid, &proc);
	comm_of(pid, comm, sizeof(comm));
	if (arr) {
		jp = json_object_new_object();
		jpatches = json_object_new_array();
		json_object_object_add(jp, "pid", json_object_new_int(pid));
		json_object_object_add(jp, "comm", json_object_new_string(comm));
		json_object_object_add(jp, "patches", jpatches);
		json_object_array_add(arr, jp);
	} else {
		for (i = 0; i < np; i++)
			nr_retired += !!(p[i].flags & HD_PATCH_RETIRED);
		if (np == nr_retired)
			printf("pid %d (%s): no patches applied", (int)pid,
			       comm);
		else
			printf("pid %d (%s): %u patch%s", (int)pid, comm,
			       np - nr_retired,
			       np - nr_retired == 1 ? "" : "es");
		if (nr_retired)
			printf(", %u retired", nr_retired);
		printf("\n");
	}
	for (i = 0; i < np && k <= nf; k += p[i].nr_funcs, i++)
		show_patch(&p[i], f + k, nf - k, have_proc ? &proc : NULL,
			   jpatches);
	if (have_proc)
		hd_proc_close(&proc);
out:
	free(p);
	free(f);
	return 0;
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ 0 }
	};
	struct json_object *arr = hd_opts.json ? json_object_new_array() : NULL;
	int fd, c, ret = 0, shown, any = 0;
	pid_t pid = 0;

	while ((c = hd_getopt(argc, argv, "", opts)) != -1) {
		if (c != 'p')
			return hd_usage_error("unexpected option");
		pid = hd_pid_arg(optarg);
	}
	if (optind != argc)
		return hd_usage_error("unexpected argument '%s'", argv[optind]);
	fd = hd_open_dev();
	if (fd < 0)
		return HD_EXIT_FAIL;
	if (pid) {
		ret = list_pid(fd, pid, arr, &shown);
		if (ret == -ESRCH)
			hd_err("list: no process %d", (int)pid);
		else if (ret == -EPERM || ret == -EACCES)
			hd_policy_refused("list", pid, ret);
		else if (ret)
			hd_err("list: process %d: %s", (int)pid, strerror(-ret));
		else if (!shown && !arr)
			printf("pid %d: no patches\n", (int)pid);
	} else {
		DIR *d = opendir("/proc");
		struct dirent *de;

		while (d && (de = readdir(d))) {
			pid_t p;

			if (!isdigit((unsigned char)de->d_name[0]))
				continue;
			p = strtol(de->d_name, NULL, 10);
			if (p == getpid())
				continue;
			/* Kernel threads and vanished processes: nothing. */
			if (!list_pid(fd, p, arr, &shown))
				any |= shown;
		}
		if (d)
			closedir(d);
		if (!any && !arr)
			printf("no process has patches applied\n");
	}
	close(fd);
	if (arr) {
		if (ret)
			json_object_put(arr);
		else
			hd_json_print(arr);
	}
	return ret ? HD_EXIT_FAIL : HD_EXIT_OK;
}
