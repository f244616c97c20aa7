/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HD_STATE_H
#define _HD_STATE_H

#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>

#include "text.h"

/*
 * An applied patch: what HD_IOC_REVERT needs and HD_IOC_LIST reports; or
 * a retired one, reverted, whose code stays mapped.
 */
struct hd_patch {
	struct list_head node;		/* in hd_target.patches or .retired */
	u64 id;
	unsigned long code_addr;
	unsigned long code_size;
	unsigned long map_len;		/* code_size rounded to pages */
	unsigned long data_len;		/* data, mapped after it, in pages */
	struct file *file;		/* identifies the mapping on revert */
	u64 applied_ns;			/* CLOCK_REALTIME */
	unsigned int nr_funcs;
	struct hd_swap *swap;		/* the sites in address order */
	struct hd_site sites[];		/* old: bytes replaced, new: the jmp */
};

/*
 * The patches of one address space.  The mm is only pinned by mmgrab() (its
 * struct, not its pages): it identifies the target, and mm_users == 0 tells
 * that the target exited or exec'd, after which the entry is dropped.
 * Nothing here is needed by the target to keep running, so rmmod simply
 * forgets it (patched processes run on; they can no longer be reverted).
 */
struct hd_target {
	struct list_head node;		/* in hd_targets, under hd_targets_lock */
	struct mm_struct *mm;
	unsigned int users;		/* ioctls using it, under hd_targets_lock */

	/*
	 * lock serialises everything done to this target: stops, applies,
	 * reverts and lists.  Taken before any rendezvous and before the
	 * mm's mmap_lock; never taken with hd_targets_lock held.
	 */
	struct mutex lock;
	struct list_head patches;	/* oldest first, under lock */
	struct list_head retired;	/* reverted, oldest first, under lock */
};

struct hd_target *hd_target_get(struct mm_struct *mm, bool create);
void hd_target_put(struct hd_target *t);
u64 hd_patch_next_id(void);
void hd_patch_free(struct hd_patch *p);
void hd_state_exit(void);

#endif /* _HD_STATE_H */
