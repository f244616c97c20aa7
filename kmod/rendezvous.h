/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HD_RENDEZVOUS_H
#define _HD_RENDEZVOUS_H

#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/task_work.h>
#include <linux/wait.h>

#include <linux/hotdeploy.h>

struct hd_rv;

enum hd_parker_state {
	HD_PK_RUNNING,	/* nothing queued: not stopped yet, or woke up */
	HD_PK_QUEUED,	/* task_work queued, callback not run yet */
	HD_PK_FENCED,	/* blocked in the kernel: parks if it wakes up */
	HD_PK_PARKED,	/* waiting in hd_park() */
	HD_PK_GONE,	/* exiting, or exec'd: runs no more code of this mm */
	HD_PK_LEFT,	/* released, back on its way to user mode */
};

/* One thread of the target and the task_work that parks it. */
struct hd_parker {
	struct callback_head cb;
	struct hlist_node known;	/* in rv->known, by task */
	struct hd_rv *rv;		/* a reference per queued callback */
	struct task_struct *task;	/* holds a task reference */
	pid_t tid;			/* in the caller's pid namespace */
	enum hd_parker_state state;	/* under rv->lock */
	bool checked;			/* under rv->lock: see check.c */
	unsigned long ip, sp;		/* user registers, fenced or checked */
	unsigned long stk_lo, stk_hi;	/* its stack, once checked */
};

/*
 * A stop of one thread group.  Created by hd_rv_begin(), which fences the
 * threads blocked in the kernel (they park if they wake up, once the stop
 * proper has begun).  hd_rv_stop() returns once every thread is parked in
 * hd_park() at its return to user mode or fenced, so that no thread
 * executes user code of the target until hd_rv_release(); or fails.
 */
struct hd_rv {
	refcount_t ref;		/* the stopper, plus one per queued parker */
	struct task_struct *leader;
	struct mm_struct *mm;	/* identity only; the caller holds mm_users */

	/*
	 * lock protects every field below that changes while threads park:
	 * the counters, the flags and each parker's state.  Never held
	 * while sleeping.
	 */
	spinlock_t lock;
	unsigned int nr_pending;	/* queued, not parked nor gone */
	unsigned int nr_fenced;		/* fenced, not parked nor gone */
	unsigned int nr_inside;		/* parked, not yet left hd_park() */
	bool stopping;			/* hd_rv_stop() began: woken ones park */
	bool released;			/* threads may go; late ones don't park */
	int abort;			/* -errno: the target died or exec'd */

	wait_queue_head_t stopper_wq;	/* the ioctl caller */
	wait_queue_head_t park_wq;	/* parked threads */

	/* Written by the stopper only, read by it and by the checker. */
	struct hd_parker **parkers;
	unsigned int nr_parkers;
	unsigned int cap_parkers;
	struct hlist_head *known;	/* the parkers by task, for scans */
	unsigned int known_bits;

	u64 t_start;		/* hd_rv_stop() began, ktime_get_ns() */
	u64 t_parked;		/* every thread parked */
};

struct hd_rv *hd_rv_begin(struct task_struct *leader, struct mm_struct *mm);
int hd_rv_stop(struct hd_rv *rv, unsigned int timeout_ms, pid_t *fail_tid,
	       u32 *fail_reason);
int hd_rv_aborted(struct hd_rv *rv);
bool hd_mm_wait_free(struct mm_struct *mm, unsigned long deadline);
unsigned int hd_rv_nr_held(struct hd_rv *rv);
void hd_rv_release(struct hd_rv *rv, struct hd_timing *timing, u64 *start_ns);

#endif /* _HD_RENDEZVOUS_H */
