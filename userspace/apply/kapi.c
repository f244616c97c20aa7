// SPDX-License-Identifier: GPL-2.0
/*
 * The module's requests, and a message for every way it can refuse one:
 * what failed, where, and what to do about it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "apply/kapi.h"

int hd_kernel_apply(int fd, struct hd_apply *a)
{
	a->size = sizeof(*a);
	return ioctl(fd, HD_IOC_APPLY, a) ? -errno : 0;
}

int hd_kernel_revert(int fd, struct hd_revert *r)
{
	r->size = sizeof(*r);
	return ioctl(fd, HD_IOC_REVERT, r) ? -errno : 0;
}

int hd_kernel_list(int fd, pid_t pid, struct hd_patch_info **patches,
		   __u32 *np, struct hd_func_info **funcs, __u32 *nf)
{
	struct hd_list l;
	int tries;

	*patches = NULL;
	*funcs = NULL;
	/* Sized by a first call; patches may come and go in between. */
	for (tries = 0; tries < 8; tries++) {
		__u32 want_p, want_f;

		memset(&l, 0, sizeof(l));
		l.size = sizeof(l);
		l.pid = pid;
		if (ioctl(fd, HD_IOC_LIST, &l))
			return -errno;
		want_p = l.nr_patches;
		want_f = l.nr_funcs;
		free(*patches);
		free(*funcs);
		*patches = calloc(want_p + 1, sizeof(**patches));
		*funcs = calloc(want_f + 1, sizeof(**funcs));
		if (!*patches || !*funcs)
			goto nomem;
		l.patches = (uintptr_t)*patches;
		l.funcs = (uintptr_t)*funcs;
		if (ioctl(fd, HD_IOC_LIST, &l))
			goto err;
		if (l.nr_patches <= want_p && l.nr_funcs <= want_f) {
			*np = l.nr_patches;
			*nf = l.nr_funcs;
			return 0;
		}
	}
	errno = EAGAIN;
err:
	tries = -errno;
	free(*patches);
	free(*funcs);
	*patches = NULL;
	*funcs = NULL;
	return tries;
nomem:
	errno = ENOMEM;
	goto err;
}

static const char *func_or(const struct hd_refusal *r, const char *other)
{
	return r->func ? r->func : other;
}

/* What --force would do about a thread in the way, if anything. */
static const char *force_hint(const struct hd_refusal *r)
{
	if (strcmp(r->op, "apply"))
		return " or use --force to restore the functions now, leaving the code mapped";
	if (r->reason == HD_FAIL_IP)
		return "";
	return " or use --force to skip the stack check";
}

void hd_explain(const struct hd_refusal *r, char *buf, size_t len)
{
	double span = r->attempts > 1 ?
		(r->attempts - 1) * r->delay_ms / 1000.0 : 0;

	switch (r->reason) {
	case HD_FAIL_IP:
	case HD_FAIL_STACK:
		snprintf(buf, len,
			 "%s: thread %u is %s %s (being %s) after %u attempt%s over %.2f s; retry later%s",
			 r->op, r->tid,
			 r->reason == HD_FAIL_IP ? "executing" : "returning into",
			 func_or(r, strcmp(r->op, "apply") ? "the patch's code" :
						       "a function"),
			 !strcmp(r->op, "apply") ? "patched" : "reverted",
			 r->attempts, r->attempts == 1 ? "" : "s", span,
			 force_hint(r));
		return;
	case HD_FAIL_STACK_DEPTH:
		snprintf(buf, len,
			 "%s: the stack of thread %u is too deep to check; retry later%s",
			 r->op, r->tid, force_hint(r));
		return;
	case HD_FAIL_MM_LOCKED:
		snprintf(buf, len,
			 "%s: a thread of process %d held its memory map locked for over %u ms (asleep in the kernel); nothing was changed, retry later or raise --timeout",
			 r->op, (int)r->pid, r->timeout_ms);
		return;
	case HD_FAIL_PARK:
		snprintf(buf, len,
			 "%s: thread %u of process %d did not stop within %u ms (stopped, traced, or in uninterruptible sleep?); nothing was changed, retry later or raise --timeout",
			 r->op, r->tid, (int)r->pid, r->timeout_ms);
		return;
	case HD_FAIL_EXPECT:
		snprintf(buf, len,
			 "%s: the code of %s in process %d is not what the patch was made for (already patched by something else, or another build); nothing was changed",
			 r->op, func_or(r, "a function"), (int)r->pid);
		return;
	case HD_FAIL_VMA:
		snprintf(buf, len,
			 "%s: %s is not in an executable file mapping of process %d; the patch does not match this process",
			 r->op, func_or(r, "a function"), (int)r->pid);
		return;
	case HD_FAIL_REACH:
		snprintf(buf, len,
			 "%s: the new code of %s is out of jmp rel32 reach of the old; this is a bug in hdctl's placement, please report it",
			 r->op, func_or(r, "a function"));
		return;
	case HD_FAIL_GONE:
		snprintf(buf, len, "%s: process %d exited or exec'd meanwhile; nothing to patch",
			 r->op, (int)r->pid);
		return;
	case HD_FAIL_WRITE:
		snprintf(buf, len,
			 "%s: writing the jump into %s failed; the process was left as it was",
			 r->op, func_or(r, "a function"));
		return;
	case HD_FAIL_MAP: {
		int taken = r->err == -EEXIST;

		snprintf(buf, len,
			 "%s: mapping the patch's code into process %d failed (%s%s); nothing was changed%s",
			 r->op, (int)r->pid, strerror(-r->err),
			 taken ? ": the process took the address range meanwhile" : "",
			 taken ? ", run it again: hdctl picks a free range each time" : "");
		return;
	}
	}

	switch (-r->err) {
	case ESRCH:
		snprintf(buf, len, "%s: no process %d (or it is exiting)", r->op,
			 (int)r->pid);
		break;
	case EDEADLK:
		snprintf(buf, len, "%s: hdctl cannot patch itself", r->op);
		break;
	case EPERM:
	case EACCES:
		snprintf(buf, len,
			 "%s: permission denied: needs root with CAP_SYS_PTRACE, and a user process as the target",
			 r->op);
		break;
	case EEXIST:
		snprintf(buf, len,
			 "%s: the address chosen for the patch code is taken in process %d (it changed meanwhile); run it again",
			 r->op, (int)r->pid);
		break;
	case ENOENT:
		snprintf(buf, len,
			 "%s: process %d has no such patch applied; see 'hdctl list --pid %d'",
			 r->op, (int)r->pid, (int)r->pid);
		break;
	case ENOTEMPTY:
		snprintf(buf, len,
			 "%s: a newer patch of process %d is stacked on this one; revert that first (patches revert last-in, first-out)",
			 r->op, (int)r->pid);
		break;
	case EINTR:
		snprintf(buf, len, "%s: interrupted; nothing was changed", r->op);
		break;
	case ENOEXEC:
		snprintf(buf, len,
			 "%s: a function to replace is not in an executable file mapping of process %d; the patch does not match it",
			 r->op, (int)r->pid);
		break;
	case EILSEQ:
		snprintf(buf, len,
			 "%s: the code in process %d is not what the patch was made for; nothing was changed",
			 r->op, (int)r->pid);
		break;
	case ERANGE:
		snprintf(buf, len,
			 "%s: the patch code is out of jmp rel32 reach; nothing was changed",
			 r->op);
		break;
	case EINVAL:
	case E2BIG:
		snprintf(buf, len,
			 "%s: the module refused the request as malformed (%s); hdctl and the module may not match, see 'hdctl version'",
			 r->op, strerror(-r->err));
		break;
	case ENOMEM:
		snprintf(buf, len,
			 "%s: the kernel is out of memory for the request; nothing was changed, retry later",
			 r->op);
		break;
	case EFAULT:
		snprintf(buf, len,
			 "%s: the module could not read hdctl's request (bad address); this is a bug in hdctl, please report it",
			 r->op);
		break;
	case ETIMEDOUT:
		snprintf(buf, len,
			 "%s: a thread of process %d did not stop within %u ms; nothing was changed, retry later or raise --timeout",
			 r->op, (int)r->pid, r->timeout_ms);
		break;
	case EBUSY:
		snprintf(buf, len,
			 "%s: a thread of process %d stayed in the code concerned; retry later",
			 r->op, (int)r->pid);
		break;
	case ENOTTY:
		snprintf(buf, len,
			 "%s: the loaded module does not know this request; load the hotdeploy.ko that came with this hdctl",
			 r->op);
		break;
	default:
		snprintf(buf, len, "%s: %s", r->op, strerror(-r->err));
	}
}
