// SPDX-License-Identifier: GPL-2.0
/*
 * HD_IOC_APPLY, HD_IOC_REVERT and HD_IOC_LIST: validating requests and
 * running them through one stop of the target.
 *
 * Order of work, so that a refusal changes nothing: map the new code
 * (apply) and check the threads blocked in the kernel while the others
 * run on; then, in the pause, validate the old addresses against the
 * mappings, check the other threads and the rest of the memory, and
 * rewrite the text.  Nothing leads into the new code before the jumps are
 * written, so mapping it early changes nothing the program can see but
 * /proc/PID/maps; an apply that fails unmaps it again.  A revert never
 * unmaps it: the patch is retired, its code left for whatever still
 * points into it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/delay.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <linux/hotdeploy.h>

#include "auth.h"
#include "check.h"
#include "copies.h"
#include "map.h"
#include "patch.h"
#include "rendezvous.h"
#include "state.h"
#include "text.h"
#include "uapi.h"

/* The ABI: sizes are part of it, and no padding may hide in a struct. */
static_assert(sizeof(struct hd_func) == 48);
static_assert(sizeof(struct hd_apply) == HD_APPLY_SIZE_VER5);
static_assert(sizeof(struct hd_revert) == HD_REVERT_SIZE_VER5);
static_assert(sizeof(struct hd_list) == HD_LIST_SIZE_VER1);
static_assert(sizeof(struct hd_patch_info) == HD_PATCH_INFO_SIZE_VER1);
static_assert(sizeof(struct hd_func_info) == 24);

/* How often and how long to try, from the caller's fields. */
struct hd_retry {
	unsigned int attempts;
	unsigned int delay_ms;
	unsigned int timeout_ms;
};

static int hd_retry_init(struct hd_retry *r, u32 attempts, u32 delay_ms,
			 u32 timeout_ms)
{
	if (attempts > HD_ATTEMPTS_MAX || delay_ms > HD_RETRY_DELAY_MAX_MS ||
	    timeout_ms > HD_TIMEOUT_MAX_MS)
		return -EINVAL;
	r->attempts = attempts ?: HD_ATTEMPTS_DEFAULT;
	r->delay_ms = delay_ms ?: HD_RETRY_DELAY_DEFAULT_MS;
	r->timeout_ms = timeout_ms ?: HD_TIMEOUT_DEFAULT_MS;
	return 0;
}

/* [addr, addr + len) is a canonical user range, without wrapping. */
/*
 * The lowest address code may be mapped at: vm.mmap_min_addr's default,
 * never below HD_MIN_CODE_ADDR (64 KiB, what distributions set), which a
 * kernel built with a lower default, as check-debug's, keeps.  The
 * variable is not exported to modules, and the kernel lets CAP_SYS_RAWIO
 * map below it, so its own check would not stop the caller.
 */
#ifdef CONFIG_DEFAULT_MMAP_MIN_ADDR
#define HD_CODE_FLOOR	max_t(u64, CONFIG_DEFAULT_MMAP_MIN_ADDR, HD_MIN_CODE_ADDR)
#else
#define HD_CODE_FLOOR	HD_MIN_CODE_ADDR
#endif

static bool hd_user_range_ok(u64 addr, u64 len)
{
	return addr < TASK_SIZE_MAX && len <= TASK_SIZE_MAX - addr;
}

/*
 * The thread group @pid names, as the caller sees it, if it may be
 * patched: a user process other than the caller's own, alive.  Returns the
 * leader with a reference, and its mm with a reference on its users.
 */
static struct task_struct *hd_target_task(u32 pid, struct mm_struct **mmp)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *p;
	int ret;

	if (!pid || pid > PID_MAX_LIMIT)
		return ERR_PTR(-EINVAL);
	p = find_get_pid(pid);
	if (!p)
		return ERR_PTR(-ESRCH);
	task = get_pid_task(p, PIDTYPE_TGID);
	put_pid(p);
	if (!task)
		return ERR_PTR(-ESRCH);
	if (task->flags & PF_KTHREAD) {
		ret = -EINVAL;
		goto err;
	}
	if (same_thread_group(task, current)) {
		ret = -EDEADLK;
		goto err;
	}
	if ((task->flags & PF_EXITING) || task->exit_state) {
		ret = -ESRCH;
		goto err;
	}
	mm = get_task_mm(task);
	if (!mm) {
		ret = -ESRCH;
		goto err;
	}
	*mmp = mm;
	return task;

err:
	put_task_struct(task);
	return ERR_PTR(ret);
}

struct hd_apply_req {
	struct hd_apply args;
	struct hd_func *funcs;
	struct hd_range *ranges;	/* old functions, sorted */
	struct hd_range *active;	/* ranges + code they lead to now */
	unsigned int nr_active;
	struct hd_patch *patch;
	struct hd_retry retry;
};

/* Everything that can be checked without looking at the target. */
static int hd_apply_validate(struct hd_apply_req *req)
{
	struct hd_apply *a = &req->args;
	unsigned int i;
	u64 code_end;

	if (a->flags & ~HD_APPLY_FLAGS || a->__reserved)
		return -EINVAL;
	if (!a->nr_funcs || a->nr_funcs > HD_MAX_FUNCS)
		return -EINVAL;
	if (a->func_size != sizeof(struct hd_func))
		return -EINVAL;
	if (!a->code_size || a->code_size > HD_MAX_CODE_SIZE)
		return -EINVAL;
	if (a->data_size > HD_MAX_DATA_SIZE || (!a->data_size && a->data))
		return -EINVAL;
	/* Not where the system keeps the first pages unmapped (NULL). */
	if (!PAGE_ALIGNED(a->code_addr) || a->code_addr < HD_CODE_FLOOR ||
	    !hd_user_range_ok(a->code_addr, PAGE_ALIGN(a->code_size) +
			      PAGE_ALIGN(a->data_size)))
		return -EINVAL;
	code_end = a->code_addr + a->code_size;

	for (i = 0; i < a->nr_funcs; i++) {
		struct hd_func *f = &req->funcs[i];

		a->fail_func = i;
		if (f->__reserved)
			return -EINVAL;
		if (f->old_size < HD_JMP_SIZE ||
		    !hd_user_range_ok(f->old_addr, f->old_size))
			return -EINVAL;
		if (f->expect_len < HD_JMP_SIZE ||
		    f->expect_len > HD_EXPECT_MAX ||
		    f->expect_len > f->old_size)
			return -EINVAL;
		if (f->new_addr < a->code_addr || f->new_addr >= code_end)
			return -EINVAL;
		if (!hd_jmp_reachable(f->old_addr, f->new_addr)) {
			a->fail_reason = HD_FAIL_REACH;
			return -ERANGE;
		}
		req->ranges[i].start = f->old_addr;
		req->ranges[i].end = f->old_addr + f->old_size;
		req->ranges[i].index = i;
	}
	hd_ranges_sort(req->ranges, a->nr_funcs);
	for (i = 1; i < a->nr_funcs; i++) {
		if (req->ranges[i].start < req->ranges[i - 1].end) {
			a->fail_func = req->ranges[i].index;
			return -EINVAL;	/* overlapping redirects */
		}
	}
	a->fail_func = ~0U;
	return 0;
}

/*
 * Every old function must lie inside one executable mapping of a file:
 * that is where functions of programs and libraries live, and it keeps
 * the write away from data, stacks and JIT buffers.
 */
static int hd_apply_check_vmas(struct mm_struct *mm, struct hd_apply_req *req)
{
	struct vm_area_struct *vma = NULL;
	unsigned int i;
	int ret = 0;

	mmap_read_lock(mm);
	for (i = 0; i < req->args.nr_funcs; i++) {
		const struct hd_func *f = &req->funcs[i];

		/* Functions of one object share a mapping: look up once. */
		if (!vma || f->old_addr < vma->vm_start ||
		    f->old_addr >= vma->vm_end)
			vma = find_vma(mm, f->old_addr);
		if (!vma || vma->vm_start > f->old_addr ||
		    f->old_addr + f->old_size > vma->vm_end ||
		    !(vma->vm_flags & VM_EXEC) || !vma->vm_file) {
			req->args.fail_reason = HD_FAIL_VMA;
			req->args.fail_func = i;
			ret = -ENOEXEC;
			break;
		}
		/*
		 * A shared mapping's pages are the file's page cache: the
		 * jump would land in the file and in every process mapping it.
		 */
		if (vma->vm_flags & VM_MAYSHARE) {
			req->args.fail_reason = HD_FAIL_SHARED;
			req->args.fail_func = i;
			ret = -ENOEXEC;
			break;
		}
	}
	mmap_read_unlock(mm);
	return ret;
}

/*
 * No held thread may be in an old function, nor return into one; with
 * @memory, no other stack either: a first look before the stop, the
 * check that decides once @stopped.
 */
static int hd_apply_check_active(struct hd_rv *rv, struct hd_apply_req *req,
				 bool scan_stack, bool memory, bool stopped)
{
	struct hd_apply *a = &req->args;
	struct hd_busy busy = { 0 };
	u64 bytes;
	int ret;

	ret = hd_check_frames(rv, req->active, req->nr_active, scan_stack,
			      memory, stopped, &busy, &bytes);
	if (stopped)
		a->scan_bytes = bytes;
	if (ret) {
		a->fail_addr = busy.addr;
		a->fail_reason = busy.reason;
		a->fail_tid = busy.tid;
		a->fail_func = ret == -EBUSY && busy.reason != HD_FAIL_STACK_DEPTH ?
			       busy.index : ~0U;
	}
	return ret;
}

/*
 * One stop of the target, its new code already mapped.  Returns 0 when
 * applied, -EBUSY when a thread is active (worth retrying), or another
 * -errno; the text is unchanged unless 0 is returned.
 */
static int hd_apply_once(struct task_struct *leader, struct mm_struct *mm,
			 struct hd_apply_req *req)
{
	struct hd_apply *a = &req->args;
	struct hd_patch *patch = req->patch;
	bool scan = !(a->flags & HD_APPLY_FORCE);
	bool memory = scan && !(a->flags & HD_APPLY_THREAD_STACKS);
	unsigned int fail;
	struct hd_rv *rv;
	pid_t fail_tid;
	u64 t0, t1;
	int ret;

	t0 = ktime_get_ns();
	rv = hd_rv_begin(leader, mm);
	if (IS_ERR(rv))
		return PTR_ERR(rv);
	/* The threads blocked in the kernel, while the others run on. */
	ret = hd_apply_check_active(rv, req, scan, memory, false);
	a->precheck_ns = ktime_get_ns() - t0;
	if (ret)
		goto release;

	ret = hd_rv_stop(rv, req->retry.timeout_ms, &fail_tid,
			 &a->fail_reason);
	if (ret) {
		a->fail_tid = fail_tid;
		goto release;
	}
	/* From here to hd_rv_release() every thread of the target is held. */
	a->nr_threads = hd_rv_nr_held(rv);
	t0 = ktime_get_ns();
	ret = hd_apply_check_vmas(mm, req);
	if (ret)
		goto release;
	ret = hd_apply_check_active(rv, req, scan, memory, true);
	if (ret)
		goto release;
	if (!hd_code_intact(mm, patch->file, patch->code_addr,
			    patch->map_len + patch->data_len)) {
		/* The program unmapped or mapped over it since. */
		a->fail_reason = HD_FAIL_MAP;
		ret = -EEXIST;
		goto release;
	}

	t1 = ktime_get_ns();
	a->timing.check_ns = t1 - t0;
	ret = hd_text_swap(mm, patch->swap, patch->sites, false, &fail);
	a->timing.write_ns = ktime_get_ns() - t1;
	if (ret) {
		a->fail_reason = ret == -EILSEQ ? HD_FAIL_EXPECT : HD_FAIL_WRITE;
		a->fail_func = fail;
	}
release:
	if (hd_rv_aborted(rv)) {
		/*
		 * Whatever failed, the cause is that the target is dying;
		 * and if nothing failed, the address space we patched is
		 * dying (SIGKILL or exec), so it is not applied either.
		 */
		ret = hd_rv_aborted(rv);
		a->fail_reason = HD_FAIL_GONE;
	}
	hd_rv_release(rv, &a->timing, &a->pause_start_ns);
	return ret;
}

/*
 * Add @p's code to the active ranges if it redirected one of the
 * functions @req replaces: a thread running it runs an old version of that
 * function too.
 */
static void hd_apply_add_active(struct hd_apply_req *req,
				const struct hd_patch *p)
{
	unsigned int n = req->args.nr_funcs, i;
	const struct hd_range *hit;

	for (i = 0; i < p->nr_funcs; i++) {
		hit = hd_range_find(req->ranges, n, p->sites[i].addr);
		if (hit && hit->start == p->sites[i].addr) {
			req->active[req->nr_active].start = p->code_addr;
			req->active[req->nr_active].end = p->code_addr +
							  p->map_len;
			req->active[req->nr_active].index = hit->index;
			req->nr_active++;
			return;
		}
	}
}

/*
 * When a function is redirected again (patches stack), a thread running
 * the previous replacement, applied or retired, runs an old version of it
 * too.  The earlier patch's code has no function sizes, so all of it
 * counts as active: a conservative choice.  Patch mappings never overlap
 * each other or file mappings, so the ranges stay disjoint.
 */
static int hd_apply_active_ranges(struct hd_target *target,
				  struct hd_apply_req *req)
{
	unsigned int n = req->args.nr_funcs, nr = n;
	struct hd_patch *p;

	lockdep_assert_held(&target->lock);
	list_for_each_entry(p, &target->patches, node)
		nr++;
	list_for_each_entry(p, &target->retired, node)
		nr++;
	req->active = kvmalloc_array(nr, sizeof(*req->active), GFP_KERNEL);
	if (!req->active)
		return -ENOMEM;
	memcpy(req->active, req->ranges, n * sizeof(*req->active));
	req->nr_active = n;
	list_for_each_entry(p, &target->patches, node)
		hd_apply_add_active(req, p);
	list_for_each_entry(p, &target->retired, node)
		hd_apply_add_active(req, p);
	hd_ranges_sort(req->active, req->nr_active);
	return 0;
}

static struct hd_patch *hd_patch_alloc(const struct hd_apply_req *req)
{
	const struct hd_apply *a = &req->args;
	struct hd_patch *p;
	unsigned int i;

	p = kzalloc(struct_size(p, sites, a->nr_funcs), GFP_KERNEL);
	if (!p)
		return NULL;
	p->id = hd_patch_next_id();
	p->code_addr = a->code_addr;
	p->code_size = a->code_size;
	p->map_len = PAGE_ALIGN(a->code_size);
	p->data_len = PAGE_ALIGN(a->data_size);
	p->nr_funcs = a->nr_funcs;
	for (i = 0; i < a->nr_funcs; i++) {
		struct hd_site *s = &p->sites[i];

		s->addr = req->funcs[i].old_addr;
		s->to = req->funcs[i].new_addr;
		memcpy(s->old, req->funcs[i].expect, req->funcs[i].expect_len);
		s->old_len = req->funcs[i].expect_len;
		hd_jmp_encode(s->new, s->addr, s->to);
	}
	p->swap = hd_swap_plan(p->sites, p->nr_funcs);
	if (!p->swap) {
		kfree(p);
		return NULL;
	}
	return p;
}

/* Sleep between attempts; false if the caller was interrupted. */
static bool hd_retry_sleep(const struct hd_retry *r)
{
	return !msleep_interruptible(r->delay_ms);
}

/* Stops until one applies, or refuses for another reason than -EBUSY. */
static int hd_apply_attempts(struct task_struct *leader, struct mm_struct *mm,
			     struct hd_apply_req *req)
{
	struct hd_apply *a = &req->args;
	int ret;

	for (;;) {
		a->attempts_made++;
		ret = hd_apply_once(leader, mm, req);
		if (ret != -EBUSY || a->attempts_made >= req->retry.attempts)
			return ret;
		if (!hd_retry_sleep(&req->retry))
			return -ERESTARTSYS;
	}
}

long hd_ioctl_apply(void __user *uarg)
{
	struct hd_apply_req req = { 0 };
	struct hd_apply *a = &req.args;
	struct task_struct *leader;
	struct hd_target *target;
	struct mm_struct *mm;
	u32 usize;
	u64 t0;
	int ret;

	if (!capable(CAP_SYS_PTRACE))
		return -EPERM;
	ret = hd_copy_args_in(a, sizeof(*a), HD_APPLY_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	/* Output fields are zero on input, as reserved ones. */
	if (a->patch_id || a->fail_reason || a->fail_tid || a->fail_func ||
	    a->attempts_made || a->nr_threads || a->precheck_ns ||
	    a->pause_start_ns || a->fail_addr || a->scan_bytes ||
	    a->__reserved2 || memchr_inv(&a->timing, 0, sizeof(a->timing)))
		return -EINVAL;
	a->fail_func = ~0U;
	if (a->nr_funcs > HD_MAX_FUNCS || !a->nr_funcs ||
	    a->func_size != sizeof(struct hd_func))
		return -EINVAL;
	ret = hd_retry_init(&req.retry, a->attempts, a->retry_delay_ms,
			    a->timeout_ms);
	if (ret)
		return ret;

	req.funcs = kvmalloc_array(a->nr_funcs, sizeof(*req.funcs),
				   GFP_KERNEL);
	req.ranges = kvmalloc_array(a->nr_funcs, sizeof(*req.ranges),
				    GFP_KERNEL);
	if (!req.funcs || !req.ranges) {
		ret = -ENOMEM;
		goto out_free;
	}
	if (copy_from_user(req.funcs, u64_to_user_ptr(a->funcs),
			   array_size(a->nr_funcs, sizeof(*req.funcs)))) {
		ret = -EFAULT;
		goto out_free;
	}
	ret = hd_apply_validate(&req);
	if (ret)
		goto out_copy;

	leader = hd_target_task(a->pid, &mm);
	if (IS_ERR(leader)) {
		ret = PTR_ERR(leader);
		goto out_free;
	}
	ret = hd_auth_check(usize, HD_APPLY_SIZE_VER5, a->mem_fd, mm);
	if (ret)
		goto out_task;
	req.patch = hd_patch_alloc(&req);
	if (!req.patch) {
		ret = -ENOMEM;
		goto out_task;
	}
	/* Copied now, outside the pause; the caller's buffer is done with. */
	req.patch->file = hd_code_file(req.patch->id,
				       u64_to_user_ptr(a->code), a->code_size,
				       u64_to_user_ptr(a->data), a->data_size);
	if (IS_ERR(req.patch->file)) {
		ret = PTR_ERR(req.patch->file);
		req.patch->file = NULL;
		goto out_patch;
	}
	target = hd_target_get(mm, true);
	if (IS_ERR(target)) {
		ret = PTR_ERR(target);
		goto out_patch;
	}
	ret = mutex_lock_killable(&target->lock);
	if (ret)
		goto out_target;
	ret = hd_apply_active_ranges(target, &req);
	if (ret)
		goto out_unlock;

	t0 = ktime_get_ns();
	ret = hd_code_map(mm, req.patch->file, req.patch->code_addr,
			  req.patch->map_len, req.patch->data_len,
			  req.retry.timeout_ms);
	a->timing.map_ns = ktime_get_ns() - t0;
	if (ret) {
		a->fail_reason = ret == -ETIMEDOUT ? HD_FAIL_MM_LOCKED :
			HD_FAIL_MAP;
		goto out_unlock;
	}
	hd_swap_prefault(mm, req.patch->swap);
	ret = hd_apply_attempts(leader, mm, &req);
	if (ret) {
		hd_code_unmap(mm, req.patch->file, req.patch->code_addr,
			      req.patch->map_len + req.patch->data_len,
			      req.retry.timeout_ms);
		hd_copies_drop(mm, req.patch->swap);
	}
	if (!ret) {
		req.patch->applied_ns = ktime_get_real_ns();
		list_add_tail(&req.patch->node, &target->patches);
		a->patch_id = req.patch->id;
		req.patch = NULL;
	}
out_unlock:
	mutex_unlock(&target->lock);
out_target:
	hd_target_put(target);
out_patch:
	if (req.patch)
		hd_patch_free(req.patch);
out_task:
	if (ret != -ERESTARTSYS)
		hd_audit("apply", leader, a->patch_id, a->nr_funcs, ret);
	mmput(mm);
	put_task_struct(leader);
out_copy:
	/*
	 * The outcome, including why a request was refused; but not when
	 * the ioctl is to restart, which must see its input unchanged.
	 */
	if (ret != -ERESTARTSYS && hd_copy_args_out(uarg, usize, a, sizeof(*a)))
		ret = -EFAULT;
out_free:
	kvfree(req.active);
	kvfree(req.ranges);
	kvfree(req.funcs);
	return ret;
}

/*
 * Returning into the patch's code is as bad as executing it: it would run
 * the new version after the old one is back.  With @keep a thread that
 * may still use the code does not stop the revert: the text is restored
 * and that thread runs on in the retired code.  With @memory (the target
 * stopped), no other stack may return into it either.
 */
static int hd_revert_check_active(struct hd_rv *rv,
				  const struct hd_range *range,
				  struct hd_revert *r, bool keep, bool memory,
				  bool stopped)
{
	struct hd_busy busy = { 0 };
	u64 bytes;
	int ret;

	if (r->out_flags & HD_REVERT_CODE_KEPT)
		return 0;	/* one such thread is enough */
	ret = hd_check_frames(rv, range, 1, true, memory, stopped, &busy,
			      &bytes);
	if (stopped)
		r->scan_bytes = bytes;
	if (ret == -EBUSY && keep) {
		r->out_flags |= HD_REVERT_CODE_KEPT;
		r->kept_tid = busy.tid;
		ret = 0;
	}
	if (ret) {
		r->fail_reason = busy.reason;
		r->fail_tid = busy.tid;
		r->fail_addr = busy.addr;
	}
	return ret;
}

/* One stop to revert @patch, as hd_apply_once(). */
static int hd_revert_once(struct task_struct *leader, struct mm_struct *mm,
			  struct hd_patch *patch, const struct hd_retry *retry,
			  struct hd_revert *r, bool keep)
{
	struct hd_range range = {
		.start = patch->code_addr,
		.end = patch->code_addr + patch->map_len,
		.index = ~0U,
	};
	bool memory = !(r->flags & HD_REVERT_THREAD_STACKS);
	struct hd_rv *rv;
	unsigned int fail;
	pid_t fail_tid;
	u64 t0, t1;
	int ret;

	t0 = ktime_get_ns();
	rv = hd_rv_begin(leader, mm);
	if (IS_ERR(rv))
		return PTR_ERR(rv);
	ret = hd_revert_check_active(rv, &range, r, keep, memory, false);
	r->precheck_ns = ktime_get_ns() - t0;
	if (ret)
		goto release;

	ret = hd_rv_stop(rv, retry->timeout_ms, &fail_tid, &r->fail_reason);
	if (ret) {
		r->fail_tid = fail_tid;
		goto release;
	}
	r->nr_threads = hd_rv_nr_held(rv);
	t0 = ktime_get_ns();
	ret = hd_revert_check_active(rv, &range, r, keep, memory, true);
	if (ret)
		goto release;
	t1 = ktime_get_ns();
	r->timing.check_ns = t1 - t0;
	ret = hd_text_swap(mm, patch->swap, patch->sites, true, &fail);
	r->timing.write_ns = ktime_get_ns() - t1;
	if (ret) {
		r->fail_reason = ret == -EILSEQ ? HD_FAIL_EXPECT : HD_FAIL_WRITE;
		r->fail_func = fail;
	}
release:
	if (ret) {
		r->out_flags &= ~HD_REVERT_CODE_KEPT;
		r->kept_tid = 0;
	}
	if (hd_rv_aborted(rv)) {
		ret = hd_rv_aborted(rv);
		r->fail_reason = HD_FAIL_GONE;
	}
	hd_rv_release(rv, &r->timing, &r->pause_start_ns);
	return ret;
}

long hd_ioctl_revert(void __user *uarg)
{
	struct task_struct *leader;
	struct hd_target *target;
	struct hd_retry retry;
	struct hd_patch *patch;
	struct hd_revert r;
	struct mm_struct *mm;
	u32 usize;
	int ret;

	if (!capable(CAP_SYS_PTRACE))
		return -EPERM;
	ret = hd_copy_args_in(&r, sizeof(r), HD_REVERT_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if ((r.flags & ~HD_REVERT_FLAGS) || r.__reserved || r.reverted_id ||
	    r.fail_reason || r.fail_tid || r.fail_func || r.attempts_made ||
	    r.nr_threads || r.out_flags || r.kept_tid || r.precheck_ns ||
	    r.pause_start_ns || r.fail_addr || r.scan_bytes || r.__reserved2 ||
	    memchr_inv(&r.timing, 0, sizeof(r.timing)))
		return -EINVAL;
	ret = hd_retry_init(&retry, r.attempts, r.retry_delay_ms,
			    r.timeout_ms);
	if (ret)
		return ret;
	r.fail_func = ~0U;

	leader = hd_target_task(r.pid, &mm);
	if (IS_ERR(leader))
		return PTR_ERR(leader);
	ret = hd_auth_check(usize, HD_REVERT_SIZE_VER5, r.mem_fd, mm);
	if (ret)
		goto out_task;
	target = hd_target_get(mm, false);
	if (IS_ERR_OR_NULL(target)) {
		ret = target ? PTR_ERR(target) : -ENOENT;
		goto out_task;
	}
	ret = mutex_lock_killable(&target->lock);
	if (ret)
		goto out_target;

	patch = list_empty(&target->patches) ? NULL :
		list_last_entry(&target->patches, struct hd_patch, node);
	if (!patch || (r.patch_id && r.patch_id != patch->id)) {
		struct hd_patch *p;

		/* Known but not on top: later patches stack on it. */
		ret = -ENOENT;
		list_for_each_entry(p, &target->patches, node)
			if (p->id == r.patch_id)
				ret = -ENOTEMPTY;
		list_for_each_entry(p, &target->retired, node)
			if (p->id == r.patch_id)
				ret = -EALREADY;
		goto out_unlock;
	}
	for (;;) {
		bool last = ++r.attempts_made >= retry.attempts;

		ret = hd_revert_once(leader, mm, patch, &retry, &r,
				     last && (r.flags & HD_REVERT_FORCE));
		if (ret != -EBUSY || last)
			break;
		if (!hd_retry_sleep(&retry)) {
			ret = -ERESTARTSYS;
			break;
		}
	}
	if (!ret) {
		/*
		 * The text no longer leads into the code, but a pointer the
		 * new code stored may: it stays mapped, retired.
		 */
		hd_copies_drop(mm, patch->swap);
		r.reverted_id = patch->id;
		list_move_tail(&patch->node, &target->retired);
	}
out_unlock:
	mutex_unlock(&target->lock);
out_target:
	hd_target_put(target);
out_task:
	if (ret != -ERESTARTSYS)
		hd_audit("revert", leader, r.reverted_id ?: r.patch_id, 0, ret);
	mmput(mm);
	put_task_struct(leader);
	if (ret != -ERESTARTSYS &&
	    hd_copy_args_out(uarg, usize, &r, sizeof(r)))
		ret = -EFAULT;
	return ret;
}

/*
 * Fill patches[*nr] with @p if there is room; count it either way.  The
 * caller's entries may be larger than ours: the rest is zeroed.
 */
static int hd_list_patch(const struct hd_list *l, const struct hd_patch *p,
			 bool retired, u32 *nr)
{
	u32 size = l->info_size ?: HD_PATCH_INFO_SIZE_VER0;
	void __user *up = u64_to_user_ptr(l->patches) + (size_t)*nr * size;
	struct hd_patch_info info = {
		.patch_id = p->id,
		.code_addr = p->code_addr,
		.code_size = p->code_size,
		.applied_ns = p->applied_ns,
		.nr_funcs = retired ? 0 : p->nr_funcs,
		.flags = retired ? HD_PATCH_RETIRED : 0,
		.map_size = p->map_len + p->data_len,
	};

	if (*nr < l->nr_patches) {
		if (copy_to_user(up, &info, min_t(u32, size, sizeof(info))))
			return -EFAULT;
		if (size > sizeof(info) &&
		    clear_user(up + sizeof(info), size - sizeof(info)))
			return -EFAULT;
	}
	(*nr)++;
	return 0;
}

static int hd_list_fill(struct hd_target *target, struct hd_list *l)
{
	struct hd_func_info __user *uf = u64_to_user_ptr(l->funcs);
	u32 nr_patches = 0, nr_funcs = 0;
	struct hd_patch *p;
	unsigned int i;
	int ret;

	lockdep_assert_held(&target->lock);
	list_for_each_entry(p, &target->patches, node) {
		ret = hd_list_patch(l, p, false, &nr_patches);
		if (ret)
			return ret;
		for (i = 0; i < p->nr_funcs; i++) {
			if (nr_funcs < l->nr_funcs) {
				struct hd_func_info info = {
					.patch_id = p->id,
					.old_addr = p->sites[i].addr,
					.new_addr = p->sites[i].to,
				};

				if (copy_to_user(&uf[nr_funcs], &info,
						 sizeof(info)))
					return -EFAULT;
			}
			nr_funcs++;
		}
	}
	list_for_each_entry(p, &target->retired, node) {
		ret = hd_list_patch(l, p, true, &nr_patches);
		if (ret)
			return ret;
	}
	l->nr_patches = nr_patches;
	l->nr_funcs = nr_funcs;
	return 0;
}

long hd_ioctl_list(void __user *uarg)
{
	struct task_struct *leader;
	struct hd_target *target;
	struct mm_struct *mm;
	struct hd_list l;
	u32 usize;
	int ret;

	ret = hd_copy_args_in(&l, sizeof(l), HD_LIST_SIZE_VER0, uarg, &usize);
	if (ret)
		return ret;
	if (l.flags || l.__reserved)
		return -EINVAL;
	/* Whole entries of at least the first version's size. */
	if (l.info_size && (l.info_size < HD_PATCH_INFO_SIZE_VER0 ||
			    l.info_size > PAGE_SIZE || l.info_size % 8))
		return -EINVAL;

	leader = hd_target_task(l.pid, &mm);
	if (IS_ERR(leader))
		return PTR_ERR(leader);
	ret = hd_auth_check(usize, HD_LIST_SIZE_VER1, l.mem_fd, mm);
	if (ret)
		goto out_task;
	target = hd_target_get(mm, false);
	if (IS_ERR(target)) {
		ret = PTR_ERR(target);
		goto out_task;
	}
	if (!target) {
		l.nr_patches = 0;
		l.nr_funcs = 0;
	} else {
		ret = mutex_lock_killable(&target->lock);
		if (!ret) {
			ret = hd_list_fill(target, &l);
			mutex_unlock(&target->lock);
		}
		hd_target_put(target);
	}
	if (!ret)
		ret = hd_copy_args_out(uarg, usize, &l, sizeof(l));
out_task:
	mmput(mm);
	put_task_struct(leader);
	return ret;
}
