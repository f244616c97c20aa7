// SPDX-License-Identifier: GPL-2.0
/*
 * Stopping every thread of a thread group at a safe point, and letting it
 * go again.
 *
 * Each thread gets a task_work queued with TWA_SIGNAL.  A thread running in
 * user mode is kicked into the kernel; a thread blocked interruptibly in a
 * syscall (read, nanosleep, futex, accept ...) sees signal_pending() and
 * unwinds with -ERESTARTSYS or -ERESTART_RESTARTBLOCK.  On its way back to
 * user mode get_signal() runs the task_work, our hd_park(), which waits
 * until the stopper releases it.  No signal is actually delivered, so
 * arch_do_signal_or_restart() then restarts the syscall exactly as after a
 * signal with SA_RESTART: the program sees no EINTR, and nanosleep restarts
 * through its restart_block against its original expiry, not shortened.
 *
 * A thread blocked in the kernel is not woken at all but fenced: see
 * hd_rv_fence().  Under emulation each wake-up, park and release of a
 * thread costs a context switch or more on the target's CPU, so the
 * pause follows the number of threads running, not of all threads.
 *
 * A stop comes in two steps.  hd_rv_begin() fences the threads that are
 * blocked and lets the others run on, so that the blocked ones can be
 * checked (their registers and stacks cannot change) before anything is
 * paused; one that wakes up meanwhile runs on too, its fence spent.  Then
 * hd_rv_stop() parks or fences every thread not fenced yet, and the pause
 * begins.
 *
 * While parked a thread holds no locks and its user registers are saved in
 * task_pt_regs(), which is what the checker reads.
 *
 * Parked threads wait killably: SIGKILL or an exec in another thread (which
 * kills the others) makes them leave at once and marks the stop aborted, so
 * neither the target nor the stopper can hang.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/hash.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include <asm/ptrace.h>
#include <asm/unistd.h>

#include "compat.h"
#include "rendezvous.h"

/* Threads a scan makes room for beyond those the group counts. */
#define HD_SCAN_SLACK	64

static void hd_rv_free(struct hd_rv *rv)
{
	unsigned int i;

	for (i = 0; i < rv->nr_parkers; i++) {
		put_task_struct(rv->parkers[i]->task);
		kfree(rv->parkers[i]);
	}
	kfree(rv->parkers);
	kvfree(rv->known);
	put_task_struct(rv->leader);
	kfree(rv);
	/*
	 * A task_work a thread had begun to run when the stop ended runs
	 * after the ioctl, so every stop pins the module until its last
	 * reference goes.
	 */
	module_put(THIS_MODULE);
}

static void hd_rv_put(struct hd_rv *rv)
{
	if (refcount_dec_and_test(&rv->ref))
		hd_rv_free(rv);
}

/*
 * Waits in a stop are short (a pause lasts a millisecond or less, even
 * under emulation), and a CPU that went idle meanwhile takes about as long
 * again to come back: up to milliseconds under emulation, tens of
 * microseconds from a deep idle state on hardware.  So a waiter spins for
 * up to HD_SPIN_NS first, as KVM polls a halted vCPU, and only while
 * nothing else is runnable on its CPU: a thread that still has to park
 * there, or anything else, gets the CPU at once.  @cond is a lockless
 * peek; the caller then waits, or rechecks, under the lock.
 */
#define HD_SPIN_NS	(2 * NSEC_PER_MSEC)

#define hd_spin_until(cond)						\
({									\
	u64 __end = local_clock() + HD_SPIN_NS;				\
	bool __met;							\
									\
	while (!(__met = (cond)) && !need_resched() &&			\
	       single_task_running() && local_clock() < __end)		\
		cpu_relax();						\
	__met;								\
})

static bool hd_rv_is_released(struct hd_rv *rv)
{
	bool released;

	spin_lock(&rv->lock);
	released = rv->released;
	spin_unlock(&rv->lock);
	return released;
}

static void hd_park_wait(struct hd_rv *rv)
{
	hd_spin_until(READ_ONCE(rv->released) ||
		      fatal_signal_pending(current));
	if (wait_event_killable(rv->park_wq, hd_rv_is_released(rv))) {
		/*
		 * Fatal signal: the group is dying or another thread exec's.
		 * Leave now; the stop is void.
		 */
		spin_lock(&rv->lock);
		if (!rv->abort)
			rv->abort = -ESRCH;
		spin_unlock(&rv->lock);
	}
}

/* The task_work: runs in the target thread on its way to user mode. */
static void hd_park(struct callback_head *cb)
{
	struct hd_parker *p = container_of(cb, struct hd_parker, cb);
	struct hd_rv *rv = p->rv;

	spin_lock(&rv->lock);
	if (rv->released) {
		/* Too late: the stop ended (timeout or error) without us. */
		p->state = HD_PK_GONE;
		spin_unlock(&rv->lock);
		goto out;
	}
	if (p->state == HD_PK_FENCED)
		rv->nr_fenced--;
	else
		rv->nr_pending--;
	if ((current->flags & PF_EXITING) || current->mm != rv->mm) {
		/*
		 * Run from exit_task_work(), or after this thread exec'd: it
		 * will never run code of the mm being patched.  An exec means
		 * the target is not the process the caller meant any more.
		 */
		p->state = HD_PK_GONE;
		if (!(current->flags & PF_EXITING) && !rv->abort)
			rv->abort = -ESRCH;
		spin_unlock(&rv->lock);
		wake_up(&rv->stopper_wq);
		goto out;
	}
	if (!rv->stopping) {
		/*
		 * Woken from its fence before the pause: it runs on, and
		 * hd_rv_stop() stops it with the running threads.
		 */
		p->state = HD_PK_RUNNING;
		p->checked = false;
		spin_unlock(&rv->lock);
		goto out;
	}
	p->state = HD_PK_PARKED;
	rv->nr_inside++;
	spin_unlock(&rv->lock);
	wake_up(&rv->stopper_wq);

	hd_park_wait(rv);

	spin_lock(&rv->lock);
	p->state = HD_PK_LEFT;
	rv->nr_inside--;
	spin_unlock(&rv->lock);
	wake_up(&rv->stopper_wq);
out:
	/*
	 * This may be the last reference, whose release drops the module
	 * reference while we still run module text.  free_module() waits
	 * for an RCU grace period before freeing that text, so dropping it
	 * inside a read-side section leaves only the few instructions from
	 * rcu_read_unlock() back to task_work_run(); the module's exit waits
	 * out those with Tasks RCU (main.c).  Everything hd_rv_free() calls
	 * is fine in atomic context.
	 */
	rcu_read_lock();
	hd_rv_put(rv);
	rcu_read_unlock();
}

static bool hd_rv_known(struct hd_rv *rv, struct task_struct *t)
{
	struct hd_parker *p;

	if (!rv->known)
		return false;
	hlist_for_each_entry(p, &rv->known[hash_ptr(t, rv->known_bits)], known)
		if (p->task == t)
			return true;
	return false;
}

/*
 * Room for @more parkers.  The table that finds a parker by its task
 * grows with the array, a bucket per parker at least: every scan looks up
 * each thread of the group, so a lookup must not cost a walk of them all
 * (10,000 threads).
 */
static int hd_rv_grow(struct hd_rv *rv, unsigned int more)
{
	struct hlist_head *known;
	struct hd_parker **n;
	unsigned int cap, bits, i;

	if (rv->nr_parkers + more <= rv->cap_parkers)
		return 0;
	cap = max(rv->cap_parkers * 2, rv->nr_parkers + more);
	n = krealloc_array(rv->parkers, cap, sizeof(*n), GFP_KERNEL);
	if (!n)
		return -ENOMEM;
	rv->parkers = n;
	rv->cap_parkers = cap;
	/* hash_ptr() needs 1 bit at least; a small group gets 64 buckets. */
	bits = max_t(unsigned int, ilog2(roundup_pow_of_two(cap)), 6);
	if (rv->known && bits <= rv->known_bits)
		return 0;
	known = kvcalloc(1U << bits, sizeof(*known), GFP_KERNEL);
	if (!known)
		return -ENOMEM;
	kvfree(rv->known);
	rv->known = known;
	rv->known_bits = bits;
	for (i = 0; i < rv->nr_parkers; i++)
		hlist_add_head(&rv->parkers[i]->known,
			       &known[hash_ptr(rv->parkers[i]->task, bits)]);
	return 0;
}

/* clone, fork or exec: a new thread or a new mm could get past the stop. */
static bool hd_syscall_spawns(struct pt_regs *regs)
{
	long nr = regs->orig_ax;

	if (!user_64bit_mode(regs))
		return true;	/* other syscall numbers: do not guess */
	if (nr < 0)
		return false;	/* not in a syscall: a page fault */
	if (nr & __X32_SYSCALL_BIT)
		return true;
	return nr == __NR_clone || nr == __NR_clone3 || nr == __NR_fork ||
	       nr == __NR_vfork || nr == __NR_execve || nr == __NR_execveat;
}

/*
 * Fence @p's thread if it is blocked in the kernel: queue its task_work
 * with TWA_RESUME, which wakes nobody, and keep its user registers.  A
 * blocked thread cannot run user code without passing its return-to-user
 * path, where that task_work parks it; and until then its registers, saved
 * at kernel entry, stay as they are.  Blocked means off the run queue in a
 * plain sleep, seen under the thread's pi_lock, which every wake-up takes
 * first (the test the kernel's livepatch makes before it inspects a
 * sleeping task): the waker then sees the task_work's flag set.
 *
 * A traced thread, whose tracer may rewrite its registers, and one inside
 * clone, fork or exec are treated as running.  Returns whether @p is
 * fenced; the caller holds a reference on @rv for its callback.
 */
static bool hd_rv_fence(struct hd_rv *rv, struct hd_parker *p)
{
	struct task_struct *t = p->task;
	struct pt_regs *regs;
	unsigned long flags;
	unsigned int state;
	bool fenced = false;

	if (READ_ONCE(t->ptrace))
		return false;
	/* Before the callback can run: the thread may wake at once. */
	spin_lock(&rv->lock);
	p->state = HD_PK_FENCED;
	rv->nr_fenced++;
	spin_unlock(&rv->lock);

	raw_spin_lock_irqsave(&t->pi_lock, flags);
	/* Ordered as try_to_wake_up() reads them: the state, then on_rq. */
	smp_mb__after_spinlock();
	state = hd_task_state(t);
	if (!(state & TASK_NORMAL) ||
	    (state & (__TASK_STOPPED | __TASK_TRACED | TASK_PARKED |
		      TASK_DEAD | TASK_NEW)) || (t->flags & PF_EXITING))
		goto out;
	smp_rmb();	/* pairs with the barrier in __schedule() */
	if (READ_ONCE(t->on_rq))
		goto out;
	regs = task_pt_regs(t);
	if (hd_syscall_spawns(regs))
		goto out;
	p->ip = regs->ip;
	p->sp = regs->sp;
	fenced = !task_work_add(t, &p->cb, TWA_RESUME);
out:
	raw_spin_unlock_irqrestore(&t->pi_lock, flags);
	if (!fenced) {
		spin_lock(&rv->lock);
		p->state = HD_PK_RUNNING;
		rv->nr_fenced--;
		spin_unlock(&rv->lock);
	}
	return fenced;
}

/*
 * Hold @p's thread: fence it if it is blocked; else, once the stop has
 * begun, queue its task_work with TWA_SIGNAL to park it; before that,
 * leave it running.
 */
static void hd_rv_hold(struct hd_rv *rv, struct hd_parker *p)
{
	refcount_inc(&rv->ref);
	if (hd_rv_fence(rv, p))
		return;
	if (!rv->stopping) {
		hd_rv_put(rv);
		return;
	}
	spin_lock(&rv->lock);
	p->state = HD_PK_QUEUED;
	rv->nr_pending++;
	spin_unlock(&rv->lock);
	if (task_work_add(p->task, &p->cb, TWA_SIGNAL)) {
		/* Past exit_task_work(): it runs no user code any more. */
		spin_lock(&rv->lock);
		rv->nr_pending--;
		p->state = HD_PK_GONE;
		spin_unlock(&rv->lock);
		hd_rv_put(rv);
	}
}

static int hd_rv_queue(struct hd_rv *rv, struct task_struct *t)
{
	struct hd_parker *p;
	int ret;

	ret = hd_rv_grow(rv, 1);
	if (ret)
		return ret;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	init_task_work(&p->cb, hd_park);
	p->rv = rv;
	p->task = t;
	get_task_struct(t);
	p->tid = task_pid_vnr(t);
	p->state = HD_PK_RUNNING;
	rv->parkers[rv->nr_parkers++] = p;
	hlist_add_head(&p->known, &rv->known[hash_ptr(t, rv->known_bits)]);
	hd_rv_hold(rv, p);
	return 0;
}

/*
 * Hold every thread not seen yet (see hd_rv_hold()).  Returns how many
 * were new, or -errno.  Threads that are already dead or are io_uring
 * workers never return to user mode, so they need no parking.  One walk
 * of the group takes them all, in an array as large as the group's count
 * of threads and some; only a group that grew past that takes another.
 */
static int hd_rv_scan(struct hd_rv *rv)
{
	struct task_struct **batch, *t;
	unsigned int n, i, cap;
	int ret = 0, total = 0;
	bool more;

	do {
		n = 0;
		more = false;
		cap = get_nr_threads(rv->leader) + HD_SCAN_SLACK;
		batch = kvmalloc_array(cap, sizeof(*batch), GFP_KERNEL);
		if (!batch)
			return -ENOMEM;
		rcu_read_lock();
		for_each_thread(rv->leader, t) {
			if (t->exit_state || (t->flags & PF_IO_WORKER))
				continue;
			if (hd_rv_known(rv, t))
				continue;
			if (n == cap) {
				more = true;
				break;
			}
			get_task_struct(t);
			batch[n++] = t;
		}
		rcu_read_unlock();

		for (i = 0; i < n; i++) {
			if (!ret)
				ret = hd_rv_queue(rv, batch[i]);
			put_task_struct(batch[i]);
		}
		kvfree(batch);
		if (ret)
			return ret;
		total += n;
	} while (more);
	return total;
}

/* Every thread parked or fenced. */
static bool hd_rv_settled(struct hd_rv *rv)
{
	bool settled;

	spin_lock(&rv->lock);
	settled = !rv->nr_pending || rv->abort;
	spin_unlock(&rv->lock);
	return settled;
}

static pid_t hd_rv_first_unparked(struct hd_rv *rv)
{
	pid_t tid = 0;
	unsigned int i;

	spin_lock(&rv->lock);
	for (i = 0; i < rv->nr_parkers; i++) {
		if (rv->parkers[i]->state == HD_PK_QUEUED) {
			tid = rv->parkers[i]->tid;
			break;
		}
	}
	spin_unlock(&rv->lock);
	return tid;
}

/*
 * Begin a stop of @leader's group: fence every thread that is blocked in
 * the kernel, and let the others run on.  Returns the stop, to be ended
 * with hd_rv_release() whatever happens next, or ERR_PTR(-ENOMEM).
 */
struct hd_rv *hd_rv_begin(struct task_struct *leader, struct mm_struct *mm)
{
	struct hd_rv *rv;
	int ret;

	rv = kzalloc(sizeof(*rv), GFP_KERNEL);
	if (!rv)
		return ERR_PTR(-ENOMEM);
	__module_get(THIS_MODULE);
	refcount_set(&rv->ref, 1);
	get_task_struct(leader);
	rv->leader = leader;
	rv->mm = mm;
	spin_lock_init(&rv->lock);
	init_waitqueue_head(&rv->stopper_wq);
	init_waitqueue_head(&rv->park_wq);

	ret = hd_rv_scan(rv);
	if (ret < 0) {
		hd_rv_release(rv, NULL, NULL);
		return ERR_PTR(ret);
	}
	return rv;
}

/*
 * Wait until @deadline (jiffies) for nobody to hold @mm's mmap_lock.  A
 * thread of the target may sleep holding it, and whoever takes it next
 * (the checker, the writer, vm_mmap() in a kernel thread) would wait
 * uninterruptibly.  False if it stayed held.  The lock word tells what a
 * write trylock would, without taking the lock (which 6.12 no longer
 * offers to do): free means no reader, no writer and no waiter.
 */
bool hd_mm_wait_free(struct mm_struct *mm, unsigned long deadline)
{
	while (rwsem_is_locked(&mm->mmap_lock)) {
		if (time_after(jiffies, deadline))
			return false;
		schedule_timeout_uninterruptible(1);
	}
	return true;
}

/*
 * Threads that are runnable but wait for a CPU cannot be fenced (that
 * needs the run queue's lock), and each must get a CPU to park and then
 * again to leave: a stop that begins in a burst of wake-ups pays for all
 * of them in turn.  So wait, up to HD_QUIET_NS, for a moment when no
 * known thread waits for a CPU.  A heuristic: nothing depends on it.
 */
#define HD_QUIET_NS	(5 * NSEC_PER_MSEC)

static bool hd_rv_crowded(struct hd_rv *rv)
{
	unsigned int i;

	for (i = 0; i < rv->nr_parkers; i++) {
		struct task_struct *t = rv->parkers[i]->task;

		if (hd_task_state(t) == TASK_RUNNING &&
		    !READ_ONCE(t->on_cpu))
			return true;
	}
	return false;
}

static void hd_rv_wait_quiet(struct hd_rv *rv)
{
	u64 end = local_clock() + HD_QUIET_NS;

	while (hd_rv_crowded(rv) && local_clock() < end &&
	       !signal_pending(current))
		usleep_range(50, 100);
}

/*
 * A debugger that holds a thread stopped (gdb at a breakpoint, or after
 * attaching) does not let it park however long the stop waits.  A thread
 * in a tracer's stop at two looks HD_TRACED_MS apart, without a context
 * switch between them, is held: the stop ends at once, naming it.  (A
 * tracer that only watches, strace, stops a thread briefly and often:
 * it switches between the looks.)
 */
#define HD_TRACED_MS	200

struct hd_traced {
	pid_t tid;
	unsigned long switches;
};

static bool hd_rv_held_by_tracer(struct hd_rv *rv, struct hd_traced *last)
{
	struct hd_traced now = { 0 };
	unsigned int i;

	for (i = 0; i < rv->nr_parkers && !now.tid; i++) {
		struct hd_parker *p = rv->parkers[i];
		struct task_struct *t = p->task;

		if (READ_ONCE(p->state) != HD_PK_QUEUED ||
		    !(hd_task_state(t) & __TASK_TRACED))
			continue;
		now.tid = p->tid;
		now.switches = READ_ONCE(t->nvcsw) + READ_ONCE(t->nivcsw);
	}
	if (now.tid && now.tid == last->tid && now.switches == last->switches)
		return true;
	*last = now;
	return false;
}

/*
 * Park or fence every thread not fenced yet.  Rescans after each round, so
 * that threads cloned meanwhile are caught: once every known thread is
 * parked or fenced none can be inside clone() (a thread in clone is never
 * fenced), so a scan that finds nothing new means the whole group is held.
 * Returns 0 with every thread held, or -errno with *fail_reason saying why
 * (enum hd_fail) and *fail_tid naming the thread that did not park, if one
 * is to blame.  Either way the caller ends the stop with hd_rv_release().
 */
int hd_rv_stop(struct hd_rv *rv, unsigned int timeout_ms, pid_t *fail_tid,
	       u32 *fail_reason)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);
	struct hd_traced traced = { 0 };
	struct hd_parker *p;
	unsigned int i;
	bool running;
	long left, slice;
	int ret;

	*fail_tid = 0;
	*fail_reason = HD_FAIL_NONE;
	hd_rv_wait_quiet(rv);
	rv->t_start = ktime_get_ns();
	spin_lock(&rv->lock);
	rv->stopping = true;	/* from now on a woken thread parks */
	spin_unlock(&rv->lock);
	for (i = 0; i < rv->nr_parkers; i++) {
		p = rv->parkers[i];
		spin_lock(&rv->lock);
		running = p->state == HD_PK_RUNNING;
		spin_unlock(&rv->lock);
		if (running)
			hd_rv_hold(rv, p);
	}

	for (;;) {
		ret = hd_rv_scan(rv);
		if (ret < 0)
			goto fail;
		if (!ret && hd_rv_settled(rv))
			break;
		hd_spin_until(!READ_ONCE(rv->nr_pending) ||
			      READ_ONCE(rv->abort) || signal_pending(current));
		left = (long)(deadline - jiffies);
		if (left <= 0)
			left = 0;
		/* In slices, to look for a thread its tracer holds. */
		slice = min_t(long, left, msecs_to_jiffies(HD_TRACED_MS));
		left = wait_event_interruptible_timeout(rv->stopper_wq,
							hd_rv_settled(rv),
							slice);
		if (left < 0) {
			/*
			 * A signal, or another stop's TWA_SIGNAL aimed at the
			 * caller: nothing is changed, so the ioctl restarts.
			 */
			ret = -ERESTARTSYS;
			goto fail;
		}
		if (!left && !hd_rv_settled(rv) &&
		    hd_rv_held_by_tracer(rv, &traced)) {
			*fail_tid = traced.tid;
			*fail_reason = HD_FAIL_TRACED;
			ret = -ETIMEDOUT;
			goto fail;
		}
		if (!left && !hd_rv_settled(rv) &&
		    time_after_eq(jiffies, deadline)) {
			*fail_tid = hd_rv_first_unparked(rv);
			*fail_reason = HD_FAIL_PARK;
			ret = -ETIMEDOUT;
			goto fail;
		}
		spin_lock(&rv->lock);
		ret = rv->abort;
		spin_unlock(&rv->lock);
		if (ret)
			goto fail;
	}
	spin_lock(&rv->lock);
	ret = rv->abort;
	if (!ret && !rv->nr_inside && !rv->nr_fenced)
		ret = -ESRCH;	/* every thread is exiting */
	spin_unlock(&rv->lock);
	if (ret)
		goto fail;
	/*
	 * A fenced thread may be asleep holding the mmap_lock, which the
	 * checker and the writer need: wait for it as for a thread that
	 * does not park, within the same time.
	 */
	if (!hd_mm_wait_free(rv->mm, deadline)) {
		*fail_reason = HD_FAIL_MM_LOCKED;
		ret = -ETIMEDOUT;
		goto fail;
	}
	rv->t_parked = ktime_get_ns();
	return 0;

fail:
	if (ret == -ESRCH)
		*fail_reason = HD_FAIL_GONE;
	return ret;
}

/* -errno if the target died or exec'd during the stop, else 0. */
int hd_rv_aborted(struct hd_rv *rv)
{
	int ret;

	spin_lock(&rv->lock);
	ret = rv->abort;
	spin_unlock(&rv->lock);
	return ret;
}

/* Threads held from user code: parked or fenced. */
unsigned int hd_rv_nr_held(struct hd_rv *rv)
{
	unsigned int n;

	spin_lock(&rv->lock);
	n = rv->nr_inside + rv->nr_fenced;
	spin_unlock(&rv->lock);
	return n;
}

static bool hd_rv_all_left(struct hd_rv *rv)
{
	bool left;

	spin_lock(&rv->lock);
	left = !rv->nr_inside;
	spin_unlock(&rv->lock);
	return left;
}

/*
 * Take @p's callback back from its thread's list if the thread has not
 * claimed it: what task_work_cancel() does, which is not exported to
 * modules, by the same protocol.  task_work_run() claims the whole list
 * with a cmpxchg and then takes and drops the thread's pi_lock before it
 * runs anything, so under that lock a callback still on the list will not
 * run, and one not on it any more is about to.  True if it was unlinked.
 */
static bool hd_rv_unqueue(struct hd_parker *p)
{
	struct task_struct *t = p->task;
	struct callback_head **pprev = &t->task_works;
	struct callback_head *work;
	unsigned long flags;

	raw_spin_lock_irqsave(&t->pi_lock, flags);
	work = READ_ONCE(*pprev);
	while (work) {
		if (work != &p->cb) {
			pprev = &work->next;
			work = READ_ONCE(*pprev);
		} else if (try_cmpxchg(pprev, &work, work->next)) {
			break;
		}
	}
	raw_spin_unlock_irqrestore(&t->pi_lock, flags);
	return work == &p->cb;
}

/*
 * The callbacks of threads that never ran theirs: a fenced thread may
 * sleep for hours, and a queued one not reach user mode before the stop
 * gives up.  Each held a reference on @rv, and so on the module: taken
 * back, a stop leaves nothing behind.  One whose thread claimed it runs
 * hd_park() soon, finds the stop released, and drops its own.
 */
static void hd_rv_unqueue_all(struct hd_rv *rv)
{
	unsigned int i;

	for (i = 0; i < rv->nr_parkers; i++) {
		struct hd_parker *p = rv->parkers[i];
		bool queued;

		spin_lock(&rv->lock);
		queued = p->state == HD_PK_FENCED || p->state == HD_PK_QUEUED;
		spin_unlock(&rv->lock);
		if (!queued || !hd_rv_unqueue(p))
			continue;
		spin_lock(&rv->lock);
		if (p->state == HD_PK_FENCED)
			rv->nr_fenced--;
		else
			rv->nr_pending--;
		p->state = HD_PK_GONE;
		spin_unlock(&rv->lock);
		hd_rv_put(rv);
	}
}

/*
 * Let every parked thread go and drop the stopper's reference.  Waits until
 * the parked threads have left hd_park(): they are runnable, so this is
 * short, and it makes timing->release_ns the real end of the pause.  The
 * callbacks no thread has begun to run are taken back; a thread that has
 * will find rv->released and return at once, its reference keeping rv and
 * the module alive until then.  If the stop proper began, fills in
 * @timing and *@start_ns (CLOCK_MONOTONIC).
 */
void hd_rv_release(struct hd_rv *rv, struct hd_timing *timing, u64 *start_ns)
{
	u64 t_release = ktime_get_ns();

	spin_lock(&rv->lock);
	rv->released = true;
	spin_unlock(&rv->lock);
	wake_up_all(&rv->park_wq);
	hd_spin_until(!READ_ONCE(rv->nr_inside));
	wait_event(rv->stopper_wq, hd_rv_all_left(rv));

	if (timing && rv->t_start) {
		u64 now = ktime_get_ns();

		timing->park_ns = rv->t_parked - rv->t_start;
		timing->release_ns = now - t_release;
		timing->pause_ns = now - rv->t_start;
		*start_ns = rv->t_start;
	}
	hd_rv_unqueue_all(rv);
	hd_rv_put(rv);
}
