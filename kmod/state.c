// SPDX-License-Identifier: GPL-2.0
/*
 * Which patches are applied to which process.
 */
#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/lockdep.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "state.h"

/* hd_targets_lock protects hd_targets and every hd_target.users. */
static DEFINE_MUTEX(hd_targets_lock);
static LIST_HEAD(hd_targets);
static atomic64_t hd_patch_ids = ATOMIC64_INIT(0);

u64 hd_patch_next_id(void)
{
	return atomic64_inc_return(&hd_patch_ids);
}

void hd_patch_free(struct hd_patch *p)
{
	if (p->file)
		fput(p->file);
	hd_swap_free(p->swap);
	kfree(p);
}

static void hd_patches_free(struct list_head *head)
{
	struct hd_patch *p, *tmp;

	list_for_each_entry_safe(p, tmp, head, node) {
		list_del(&p->node);
		hd_patch_free(p);
	}
}

static void hd_target_free(struct hd_target *t)
{
	lockdep_assert_held(&hd_targets_lock);
	hd_patches_free(&t->patches);
	hd_patches_free(&t->retired);
	list_del(&t->node);
	mmdrop(t->mm);
	kfree(t);
}

/* Whether nobody uses @t and it describes nothing that still runs. */
static bool hd_target_stale(struct hd_target *t)
{
	lockdep_assert_held(&hd_targets_lock);
	return !t->users &&
	       ((list_empty(&t->patches) && list_empty(&t->retired)) ||
		!atomic_read(&t->mm->mm_users));
}

/* Drop the entries hd_target_stale() finds. */
static void hd_targets_prune(void)
{
	struct hd_target *t, *tmp;

	lockdep_assert_held(&hd_targets_lock);
	list_for_each_entry_safe(t, tmp, &hd_targets, node)
		if (hd_target_stale(t))
			hd_target_free(t);
}

/*
 * The target entry of @mm, created if @create, with a use counted; NULL if
 * there is none (or ERR_PTR(-ENOMEM)).  The caller holds a reference on
 * @mm's users, so @mm is live and cannot be confused with a recycled one.
 */
struct hd_target *hd_target_get(struct mm_struct *mm, bool create)
{
	struct hd_target *t;

	mutex_lock(&hd_targets_lock);
	hd_targets_prune();
	list_for_each_entry(t, &hd_targets, node)
		if (t->mm == mm)
			goto found;
	if (!create) {
		t = NULL;
		goto out;
	}
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t) {
		t = ERR_PTR(-ENOMEM);
		goto out;
	}
	mmgrab(mm);
	t->mm = mm;
	mutex_init(&t->lock);
	INIT_LIST_HEAD(&t->patches);
	INIT_LIST_HEAD(&t->retired);
	list_add(&t->node, &hd_targets);
found:
	t->users++;
out:
	mutex_unlock(&hd_targets_lock);
	return t;
}

void hd_target_put(struct hd_target *t)
{
	mutex_lock(&hd_targets_lock);
	t->users--;
	if (hd_target_stale(t))
		hd_target_free(t);
	mutex_unlock(&hd_targets_lock);
}

/* Module exit: no ioctl runs any more (each holds the module). */
void hd_state_exit(void)
{
	struct hd_target *t, *tmp;

	mutex_lock(&hd_targets_lock);
	list_for_each_entry_safe(t, tmp, &hd_targets, node)
		hd_target_free(t);
	mutex_unlock(&hd_targets_lock);
}
