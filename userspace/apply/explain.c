// SPDX-License-Identifier: GPL-2.0
/*
 * What every refusal of the module means, and what to do about it, as a
 * table: one row per reason (enum hd_fail) or errno.  A row's text names
 * the request's facts with $words, filled in by hd_explain():
 *   $op       "apply" or "revert"        $pid      the process
 *   $tid      the thread concerned       $func     the function, or "a function"
 *   $timeout  the stop's timeout in ms   $error    strerror of the errno
 *   $span     "N attempt(s) over S s"    $force    what --force would do, if anything
 *   $code     the function, or for a revert "the patch's code"
 *   $doing    "executing" or "returning into"    $being  "patched" or "reverted"
 *   $addr     HD_FAIL_MEMORY's word      $mapping  the mapping it lies in
 *   $scan     how to leave the memory scan out (apply)
 *   $policy   which policy may have said no (Yama's setting)
 *   $tracer   " (pid N, COMM)": the tracer of thread $tid
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apply/kapi.h"

struct explain_row {
	__u32 reason;	/* 0: the row is for an errno without a reason */
	int err;	/* the errno (positive); 0: any */
	const char *text;
};

static const struct explain_row rows[] = {
	{ HD_FAIL_IP, 0,
	  "$op: thread $tid is $doing $code (being $being) after $span; retry later$force"
	},
	{ HD_FAIL_STACK, 0,
	  "$op: thread $tid is $doing $code (being $being) after $span; retry later$force"
	},
	{ HD_FAIL_MEMORY, 0,
	  "$op: a return address into $code lies at $addr ($mapping), on no thread's current stack: a coroutine or fiber suspended inside it, or frames that a signal handler on an alternate stack interrupted; retry once it has returned (--wait)$scan$force"
	},
	{ HD_FAIL_NO_STACK, 0,
	  "$op: the stack pointer of thread $tid of process $pid is in no mapping, so its frames cannot be checked; retry later$force"
	},
	{ HD_FAIL_STACK_DEPTH, 0,
	  "$op: the mapping that holds the stack of thread $tid reaches more than 1 MiB above its stack pointer (the kernel merged it with other memory), more than the thread scan reads; leave --scan at all (the default) so that the memory scan reads the rest$force"
	},
	{ HD_FAIL_MM_LOCKED, 0,
	  "$op: a thread of process $pid held its memory map locked for over $timeout ms (asleep in the kernel); nothing was changed, retry later or raise --timeout"
	},
	{ HD_FAIL_PARK, 0,
	  "$op: thread $tid of process $pid did not stop within $timeout ms (stopped, traced, or in uninterruptible sleep?); nothing was changed, retry later or raise --timeout"
	},
	{ HD_FAIL_EXPECT, 0,
	  "$op: the code of $func in process $pid is not what the patch was made for (already patched by something else, or another build); nothing was changed"
	},
	{ HD_FAIL_VMA, 0,
	  "$op: $func is not in an executable file mapping of process $pid; the patch does not match this process"
	},
	{ HD_FAIL_SHARED, 0,
	  "$op: $func is in a shared mapping of its file in process $pid (MAP_SHARED): a jump written there would change the file and every process mapping it; nothing was changed"
	},
	{ HD_FAIL_TRACED, 0,
	  "$op: thread $tid of process $pid is held stopped by its tracer$tracer, so it cannot be stopped here; nothing was changed: let it run (continue or detach in the debugger), then run this again"
	},
	{ HD_FAIL_REACH, 0,
	  "$op: the new code of $func is out of jmp rel32 reach of the old; this is a bug in hdctl's placement, please report it"
	},
	{ HD_FAIL_GONE, 0,
	  "$op: process $pid exited or exec'd meanwhile; nothing to patch"
	},
	{ HD_FAIL_WRITE, 0,
	  "$op: writing the jump into $func failed; the process was left as it was"
	},
	{ HD_FAIL_MAP, EEXIST,
	  "$op: mapping the patch's code into process $pid failed ($error: the process took the address range meanwhile); nothing was changed, run it again: hdctl picks a free range each time"
	},
	{ HD_FAIL_MAP, 0,
	  "$op: mapping the patch's code into process $pid failed ($error); nothing was changed"
	},
	{ HD_REFUSED_POLICY, ESRCH, "$op: no process $pid (or it is exiting)" },
	{ HD_REFUSED_POLICY, 0,
	  "$op: the system's ptrace policy does not let this user debug process $pid ($error opening /proc/$pid/mem, the proof the module asks for)$policy; nothing was changed"
	},
	{ 0, ESRCH, "$op: no process $pid (or it is exiting)" },
	{ 0, EDEADLK, "$op: hdctl cannot patch itself" },
	{ 0, EPERM,
	  "$op: permission denied: needs root with CAP_SYS_PTRACE, and a user process as the target"
	},
	{ 0, EACCES,
	  "$op: permission denied: the /proc/$pid/mem hdctl gave the module is not process $pid's (it exec'd meanwhile?); nothing was changed, run it again"
	},
	{ 0, EBADF,
	  "$op: the module found no /proc/$pid/mem in the request; hdctl and the module may not match, see 'hdctl version'"
	},
	{ 0, EEXIST,
	  "$op: the address chosen for the patch code is taken in process $pid (it changed meanwhile); run it again"
	},
	{ 0, ENOENT,
	  "$op: process $pid has no such patch applied; see 'hdctl list --pid $pid'"
	},
	{ 0, EALREADY,
	  "$op: that patch of process $pid is already reverted (retired: its code stays mapped, unused); see 'hdctl list --pid $pid'"
	},
	{ 0, ENOTEMPTY,
	  "$op: a newer patch of process $pid is stacked on this one; revert that first (patches revert last-in, first-out)"
	},
	{ 0, EINTR, "$op: interrupted; nothing was changed" },
	{ 0, ENOEXEC,
	  "$op: a function to replace is not in an executable file mapping of process $pid; the patch does not match it"
	},
	{ 0, EILSEQ,
	  "$op: the code in process $pid is not what the patch was made for; nothing was changed"
	},
	{ 0, ERANGE,
	  "$op: the patch code is out of jmp rel32 reach; nothing was changed"
	},
	{ 0, EINVAL,
	  "$op: the module refused the request as malformed ($error); hdctl and the module may not match, see 'hdctl version'"
	},
	{ 0, E2BIG,
	  "$op: the module refused the request as malformed ($error); hdctl and the module may not match, see 'hdctl version'"
	},
	{ 0, ENOMEM,
	  "$op: the kernel is out of memory for the request; nothing was changed, retry later"
	},
	{ 0, EFAULT,
	  "$op: the module could not read hdctl's request (bad address); this is a bug in hdctl, please report it"
	},
	{ 0, ETIMEDOUT,
	  "$op: a thread of process $pid did not stop within $timeout ms; nothing was changed, retry later or raise --timeout"
	},
	{ 0, EBUSY,
	  "$op: a thread of process $pid stayed in the code concerned; retry later"
	},
	{ 0, ENOTTY,
	  "$op: the loaded module does not know this request; load the hotdeploy.ko that came with this hdctl"
	},
	{ 0, 0, "$op: $error" },
};

static bool is_apply(const struct hd_refusal *r)
{
	return !strcmp(r->op, "apply");
}

/* What --force would do about a thread in the way, if anything. */
static const char *force_hint(const struct hd_refusal *r)
{
	if (!is_apply(r))
		return " or use --force to restore the functions now, the code left to that thread";
	if (r->reason == HD_FAIL_IP)
		return "";
	return " or use --force to skip the stack check";
}

/* A number read from the first line of @path that starts with @key. */
static long read_number(const char *path, const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key))) {
			if (sscanf(line + strlen(key), "%ld", &v) != 1)
				v = -1;
			break;
		}
	fclose(f);
	return v;
}

/* " (pid N, COMM)" of the tracer of thread r->tid, or nothing. */
static void tracer_of(const struct hd_refusal *r, char *buf, size_t len)
{
	char path[64], comm[64] = "";
	long tracer;
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/task/%u/status", (int)r->pid,
		 r->tid);
	tracer = read_number(path, "TracerPid:");
	if (tracer <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%ld/comm", tracer);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	snprintf(buf, len, " (pid %ld%s%s)", tracer, *comm ? ", " : "", comm);
}

/*
 * Which policy most likely said no: Yama when its setting can refuse root
 * (1 refuses only non-descendants, which root may still attach to), the
 * owner rule for another user's process, else an LSM or dumpability.
 */
static void policy_hint(const struct hd_refusal *r, char *buf, size_t len)
{
	static const char *const why[] = {
		[2] = "only processes with CAP_SYS_PTRACE may attach",
		[3] = "no process may attach to another",
	};
	long scope = read_number("/proc/sys/kernel/yama/ptrace_scope", "");
	char status[64];
	long uid;

	snprintf(status, sizeof(status), "/proc/%d/status", (int)r->pid);
	uid = read_number(status, "Uid:");
	if (scope >= 2 && scope <= 3)
		snprintf(buf, len, ": denied by Yama, kernel.yama.ptrace_scope=%ld (%s)",
			 scope, why[scope]);
	else if (geteuid() && uid >= 0 && uid != (long)geteuid())
		snprintf(buf, len, ": process %d belongs to uid %ld, and this user (uid %u) is neither its owner nor root; hdctl needs root with CAP_SYS_PTRACE",
			 (int)r->pid, uid, (unsigned int)geteuid());
	else
		snprintf(buf, len, ": denied by the ptrace policy (an LSM such as SELinux or AppArmor, or the process is not dumpable); see the audit log");
}

static const struct explain_row *find_row(const struct hd_refusal *r)
{
	size_t i;

	for (i = 0; r->reason && i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].reason == r->reason &&
		    (!rows[i].err || rows[i].err == -r->err))
			return &rows[i];
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (!rows[i].reason && (rows[i].err == -r->err || !rows[i].err))
			return &rows[i];
	return &rows[sizeof(rows) / sizeof(rows[0]) - 1];
}

#define SCAN_HINT \
	"; if the program has no such stacks, --scan threads leaves this check out"

/* The value of $@word (@n bytes), into @buf. */
static void fill(const struct hd_refusal *r, const char *word, size_t n,
		 char *buf, size_t len)
{
	double span = r->waited_s ? r->waited_s : r->attempts > 1 ?
		(r->attempts - 1) * r->delay_ms / 1000.0 : 0;
	const char *func = r->func ? r->func : "a function";

#define IS(w)	(n == strlen(w) && !strncmp(word, w, n))
	if (IS("op"))
		snprintf(buf, len, "%s", r->op);
	else if (IS("pid"))
		snprintf(buf, len, "%d", (int)r->pid);
	else if (IS("tid"))
		snprintf(buf, len, "%u", r->tid);
	else if (IS("func"))
		snprintf(buf, len, "%s", func);
	else if (IS("code"))
		snprintf(buf, len, "%s", r->func ? r->func : is_apply(r) ?
			 "a function" : "the patch's code");
	else if (IS("timeout"))
		snprintf(buf, len, "%u", r->timeout_ms);
	else if (IS("error"))
		snprintf(buf, len, "%s", strerror(-r->err));
	else if (IS("span"))
		snprintf(buf, len, "%u attempt%s over %.2f s", r->attempts,
			 r->attempts == 1 ? "" : "s", span);
	else if (IS("force"))
		snprintf(buf, len, "%s", force_hint(r));
	else if (IS("doing"))
		snprintf(buf, len, "%s", r->reason == HD_FAIL_IP ? "executing" :
			 "returning into");
	else if (IS("addr"))
		snprintf(buf, len, "%#llx", (unsigned long long)r->addr);
	else if (IS("mapping"))
		snprintf(buf, len, "%s", r->mapping ? r->mapping :
			 "an unknown mapping");
	else if (IS("scan"))
		snprintf(buf, len, "%s", is_apply(r) ? SCAN_HINT : "");
	else if (IS("policy"))
		policy_hint(r, buf, len);
	else if (IS("tracer"))
		tracer_of(r, buf, len);
	else if (IS("being"))
		snprintf(buf, len, "%s", is_apply(r) ? "patched" : "reverted");
	else
		snprintf(buf, len, "$%.*s", (int)n, word);
#undef IS
}

void hd_explain(const struct hd_refusal *r, char *buf, size_t len)
{
	const char *t = find_row(r)->text;
	size_t out = 0;
	char val[256];

	if (!len)
		return;
	while (*t && out + 1 < len) {
		size_t n;

		if (*t != '$') {
			buf[out++] = *t++;
			continue;
		}
		for (n = 1; t[n] >= 'a' && t[n] <= 'z'; n++)
			;
		fill(r, t + 1, n - 1, val, sizeof(val));
		out += snprintf(buf + out, len - out, "%s", val);
		if (out >= len)
			out = len - 1;
		t += n;
	}
	buf[out] = '\0';
}
