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
#include "apply/kapi.h"
#include "apply/procobj.h"

void usage_list(void)
{
	fprintf(hd_usage_out(),
		"Usage: hdctl [-j] list [--pid PID]\n"
	       "List the patches applied to process PID, or to every process,\n"
	       "oldest first, with the functions each one redirects.\n");
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

/* One process; *shown tells whether it had patches. */
static int list_pid(int fd, pid_t pid, struct json_object *arr, int *shown)
{
	struct hd_patch_info *p;
	struct hd_func_info *f;
	struct json_object *jp = NULL, *jpatches = NULL;
	struct hd_proc proc;
	char comm[64], name[256], t[64];
	__u32 np, nf, i, k = 0;
	int ret, have_proc;

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
		printf("pid %d (%s): %u patch%s\n", (int)pid, comm, np,
		       np == 1 ? "" : "es");
	}
	for (i = 0; i < np; i++) {
		struct json_object *jpatch = NULL, *jfuncs = NULL;
		__u32 j;

		when(p[i].applied_ns, t, sizeof(t));
		if (arr) {
			jpatch = json_object_new_object();
			jfuncs = json_object_new_array();
			json_object_object_add(jpatch, "id",
					       json_object_new_int64(p[i].patch_id));
			json_object_object_add(jpatch, "code_addr",
					       json_object_new_int64(p[i].code_addr));
			json_object_object_add(jpatch, "code_size",
					       json_object_new_int64(p[i].code_size));
			json_object_object_add(jpatch, "applied",
					       json_object_new_string(t));
			json_object_object_add(jpatch, "functions", jfuncs);
			json_object_array_add(jpatches, jpatch);
		} else {
			printf("  patch %llu: code %#llx-%#llx, applied %s\n",
			       (unsigned long long)p[i].patch_id,
			       (unsigned long long)p[i].code_addr,
			       (unsigned long long)(p[i].code_addr + p[i].code_size),
			       t);
		}
		for (j = 0; j < p[i].nr_funcs && k < nf; j++, k++) {
			if (have_proc)
				hd_proc_symbolize(&proc, f[k].old_addr, name,
						  sizeof(name));
			else
				snprintf(name, sizeof(name), "%#llx",
					 (unsigned long long)f[k].old_addr);
			if (arr) {
				struct json_object *jf = json_object_new_object();

				json_object_object_add(jf, "name",
						       json_object_new_string(name));
				json_object_object_add(jf, "old_addr",
						       json_object_new_int64(f[k].old_addr));
				json_object_object_add(jf, "new_addr",
						       json_object_new_int64(f[k].new_addr));
				json_object_array_add(jfuncs, jf);
			} else {
				printf("    %s %#llx -> %#llx\n", name,
				       (unsigned long long)f[k].old_addr,
				       (unsigned long long)f[k].new_addr);
			}
		}
	}
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
		if (c == 'p')
			pid = atoi(optarg);
		if (c != 'p' || pid <= 0) {
			usage_list();
			return HD_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage_list();
		return HD_EXIT_USAGE;
	}
	fd = hd_open_dev();
	if (fd < 0)
		return HD_EXIT_FAIL;
	if (pid) {
		ret = list_pid(fd, pid, arr, &shown);
		if (ret == -ESRCH)
			hd_err("list: no process %d", (int)pid);
		else if (ret)
			hd_err("list: process %d: %s", (int)pid, strerror(-ret));
		else if (!shown && !arr)
			printf("pid %d: no patches\n", (int)pid);
	} else {
		DIR *d = opendir("/proc");
		struct dirent *de;

		while (d && (de = readdir(d))) {
			if (!isdigit((unsigned char)de->d_name[0]) ||
			    atoi(de->d_name) == getpid())
				continue;
			/* Kernel threads and vanished processes: nothing. */
			if (!list_pid(fd, atoi(de->d_name), arr, &shown))
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
