/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Requests to the module (HD_IOC_VERSION, _APPLY, _REVERT, _LIST) and
 * the explanation of every refusal it can give.
 */
#ifndef HD_KAPI_H
#define HD_KAPI_H

#include <stddef.h>
#include <sys/types.h>

#include <linux/hotdeploy.h>

#include "base/error.h"

/* /dev/hotdeploy opened, or a negative errno with @err saying what to do. */
int hd_dev_open(struct hd_error *err);

/* One ioctl; 0 or -errno. */
int hd_kernel_version(int fd, struct hd_version *v);
/*
 * The proof every request carries (Documentation/security.rst): @pid's
 * /proc/PID/mem, which the kernel opens only for a caller its ptrace
 * policy lets attach.  A descriptor, or -errno.
 */
int hd_proc_mem_open(pid_t pid);
/* Not the module's: opening /proc/PID/mem was denied (struct hd_refusal). */
#define HD_REFUSED_POLICY	0x10000
int hd_kernel_apply(int fd, int mem, struct hd_apply *a);
int hd_kernel_revert(int fd, int mem, struct hd_revert *r);

/*
 * The patches applied to @pid, oldest first, then the retired ones
 * (HD_PATCH_RETIRED, no redirects), and all the redirects.  Returns 0
 * (*np may be 0) or -errno; the arrays are malloc'ed.
 */
int hd_kernel_list(int fd, pid_t pid, struct hd_patch_info **patches,
		   __u32 *np, struct hd_func_info **funcs, __u32 *nf);

/* What a refusal means and what to do, as one line (no "hdctl: "). */
struct hd_refusal {
	const char *op;		/* "apply" or "revert" */
	pid_t pid;
	int err;		/* the ioctl's -errno */
	__u32 reason;		/* enum hd_fail */
	__u32 tid;
	const char *func;	/* name of the function concerned, or NULL */
	__u32 attempts;
	__u32 delay_ms;
	__u32 timeout_ms;
	double waited_s;	/* how long hdctl waited, if it measured it */
	__u64 addr;		/* HD_FAIL_MEMORY: where the word lies */
	const char *mapping;	/* and in which mapping, or NULL */
};

void hd_explain(const struct hd_refusal *r, char *buf, size_t len);

#endif /* HD_KAPI_H */
