// SPDX-License-Identifier: GPL-2.0
/*
 * Is any thread of a stopped target inside code we are about to replace?
 *
 * A thread is active in a range if its saved user IP lies in it, or if any
 * word between its user SP and the top of its stack (hd_stack_span())
 * looks like an address in it, other than its first byte.  The stack scan is
 * conservative: it needs no frame pointers or unwind tables, and a stale
 * or unrelated word can only make us refuse, never accept wrongly.  Its
 * cost is bounded by HD_STACK_SCAN_MAX per thread.  Where the stack seems
 * deeper (the mapping holding SP also holds other data: the kernel merges
 * a thread's stack with an anonymous mapping right above it, such as a
 * large malloc()), the memory scan that follows reads the rest as any
 * other memory; without it such a stack is refused, not half-checked.
 * The mmap_lock is held for reading over one thread's scan at a time:
 * before the pause the other threads run, and one that maps or unmaps
 * memory waits for it.
 */
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/task_stack.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include <linux/hotdeploy.h>

#include "check.h"
#include "compat.h"
#include "rendezvous.h"
#include "text.h"

#define HD_STACK_SCAN_MAX	SZ_1M

static int hd_range_cmp(const void *a, const void *b)
{
	const struct hd_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

void hd_ranges_sort(struct hd_range *r, unsigned int n)
{
	sort(r, n, sizeof(*r), hd_range_cmp, NULL);
}

/* The range containing @addr, or NULL.  @r is sorted and disjoint. */
const struct hd_range *hd_range_find(const struct hd_range *r,
				     unsigned int n, unsigned long addr)
{
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (addr < r[mid].start)
			hi = mid;
		else if (addr >= r[mid].end)
			lo = mid + 1;
		else
			return &r[mid];
	}
	return NULL;
}

/*
 * Two mappings are one stack if nothing but flags the program set on a
 * part of it (madvise(), mlock(), a userfaultfd) tells them apart.
 */
static bool hd_stack_continues(const struct vm_area_struct *vma,
			       const struct vm_area_struct *next)
{
	const unsigned long prot = VM_READ | VM_WRITE | VM_EXEC | VM_SHARED;

	return next && next->vm_start == vma->vm_end && !vma->vm_file &&
	       !next->vm_file &&
	       (vma->vm_flags & prot) == (next->vm_flags & prot);
}

/*
 * Is @vma one thread's stack and nothing else's?  A grows-down stack, or a
 * mapping with a guard below it, as threads' stacks are made (glibc,
 * boost.context); not a heap or a block of coroutine stacks that the
 * kernel merged into one mapping, where the words below @sp may be
 * another stack's live frames.
 */
bool hd_stack_private(struct mm_struct *mm, struct vm_area_struct *vma)
{
	const unsigned long prot = VM_READ | VM_WRITE | VM_EXEC;
	struct vm_area_struct *prev;

	if (vma->vm_flags & VM_GROWSDOWN)
		return true;
	if (!vma->vm_start)
		return false;
	/* The mapping ending right below it, if any. */
	prev = find_vma(mm, vma->vm_start - 1);
	return prev && prev != vma && prev->vm_end == vma->vm_start &&
	       !(prev->vm_flags & prot);
}

/*
 * Where the thread of @t, stopped with @sp, returns through: from @sp to
 * the top of its signal stack when it runs a handler there; otherwise to
 * the end of the mapping holding @sp and of the mappings that continue it,
 * or from the start of a grows-down stack that @sp is just below (the
 * stack grows on its next push).  *lo, *hi: what the memory scan leaves to
 * the thread's own: from @sp up, and the stale frames below @sp when the
 * mapping is the thread's alone (hd_stack_private()).  @t is held, so
 * neither its signal stack nor its registers change.  -ENOENT if @sp is in
 * no stack.
 */
static int hd_stack_span(struct task_struct *t, struct mm_struct *mm,
			 unsigned long sp, unsigned long *from,
			 unsigned long *lo, unsigned long *hi)
{
	struct vm_area_struct *vma, *next;

	hd_mmap_assert_locked(mm);
	if (t->sas_ss_size && sp > t->sas_ss_sp &&
	    sp - t->sas_ss_sp <= t->sas_ss_size) {
		*from = sp;
		*lo = t->sas_ss_sp;
		*hi = t->sas_ss_sp + t->sas_ss_size;
		return 0;
	}
	vma = find_vma(mm, sp);
	if (!vma)
		return -ENOENT;
	if (vma->vm_start > sp && !(vma->vm_flags & VM_GROWSDOWN))
		return -ENOENT;
	*from = max(sp, vma->vm_start);
	*lo = hd_stack_private(mm, vma) ? vma->vm_start : *from;
	*hi = vma->vm_end;
	/* A continuation is scanned as far as the limit allows. */
	while ((next = find_vma(mm, *hi)) && hd_stack_continues(vma, next) &&
	       next->vm_end - *from <= HD_STACK_SCAN_MAX) {
		*hi = next->vm_end;
		vma = next;
	}
	return 0;
}

static int hd_check_stack(struct hd_text *tx, struct hd_parker *p,
			  const struct hd_range *r, unsigned int n,
			  bool memory, void *buf, struct hd_busy *busy)
{
	unsigned long sp = p->sp & ~(sizeof(unsigned long) - 1);
	unsigned long from, stk_lo, stk_hi, addr, lo, hi;
	const struct hd_range *hit;

	if (hd_stack_span(p->task, tx->mm, sp, &from, &stk_lo, &stk_hi)) {
		busy->reason = HD_FAIL_NO_STACK;
		return -EBUSY;
	}
	if (stk_hi - from > HD_STACK_SCAN_MAX) {
		if (!memory && n) {
			busy->reason = HD_FAIL_STACK_DEPTH;
			return -EBUSY;
		}
		stk_hi = from + HD_STACK_SCAN_MAX;
	}
	p->stk_lo = stk_lo;
	p->stk_hi = stk_hi;
	if (!n)
		return 0;
	/* Sorted and disjoint: most words fall outside [lo, hi) at once. */
	lo = r[0].start;
	hi = r[n - 1].end;
	for (addr = from; addr < stk_hi; ) {
		unsigned long chunk = min(stk_hi - addr,
					  PAGE_SIZE - offset_in_page(addr));
		unsigned long *w = buf;
		unsigned int i;

		if (hd_text_rw(tx, addr, buf, chunk, false))
			return -EFAULT;
		for (i = 0; i < chunk / sizeof(*w); i++) {
			if (w[i] < lo || w[i] >= hi)
				continue;
			hit = hd_range_find(r, n, w[i]);
			/*
			 * A function's own start is what pointers to it hold
			 * (callbacks, spilled call targets); a return address
			 * follows a call, so it never points at a start that
			 * could be reached other than by a fresh call.
			 */
			if (hit && w[i] != hit->start) {
				busy->reason = HD_FAIL_STACK;
				busy->index = hit->index;
				busy->addr = addr + i * sizeof(*w);
				return -EBUSY;
			}
		}
		addr += chunk;
	}
	return 0;
}

/*
 * Check every held thread of @rv not checked yet: parked or fenced, so its
 * user registers and the stack they point to cannot change under us.
 * Called once after hd_rv_begin(), for the fenced threads while the others
 * still run, and once after hd_rv_stop() for the rest: a thread checked
 * the first time is passed over unless it has since woken up (it then ran
 * on, and is checked again) or its registers changed (it woke into a
 * signal handler and parked).  @memory: hd_check_memory() follows in the
 * stop.  Returns 0, -EBUSY with @busy filled in, or another -errno.
 */
int hd_check_active(struct hd_rv *rv, const struct hd_range *r,
		    unsigned int n, bool scan_stack, bool memory,
		    struct hd_busy *busy)
{
	const struct hd_range *hit;
	struct hd_text tx;
	void *buf = NULL;
	unsigned int i;
	int ret = 0;

	if (scan_stack) {
		buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	for (i = 0; i < rv->nr_parkers; i++) {
		struct hd_parker *p = rv->parkers[i];
		unsigned long ip, sp;
		bool todo = true;

		/*
		 * A parked thread killed meanwhile leaves hd_park() and frees
		 * its kernel stack, where task_pt_regs() lives; it marks
		 * itself left under rv->lock first, so the registers are
		 * read under that lock.  A fenced thread's were kept when it
		 * was fenced, and have not changed since.
		 */
		spin_lock(&rv->lock);
		if (p->state == HD_PK_PARKED) {
			ip = task_pt_regs(p->task)->ip;
			sp = task_pt_regs(p->task)->sp;
			if (p->checked && ip == p->ip && sp == p->sp)
				todo = false;
			p->ip = ip;
			p->sp = sp;
		} else if (p->state == HD_PK_FENCED) {
			ip = p->ip;
			sp = p->sp;
			todo = !p->checked;
		} else {
			todo = false;	/* gone, or not held (yet) */
		}
		spin_unlock(&rv->lock);
		if (!todo)
			continue;

		busy->tid = p->tid;
		hit = hd_range_find(r, n, ip);
		if (hit) {
			busy->reason = HD_FAIL_IP;
			busy->index = hit->index;
			ret = -EBUSY;
			break;
		}
		if (scan_stack) {
			hd_text_open(&tx, rv->mm, false);
			ret = hd_check_stack(&tx, p, r, n, memory, buf, busy);
			hd_text_close(&tx);
			if (ret)
				break;
		}
		/* Unless it woke up meanwhile and ran on. */
		spin_lock(&rv->lock);
		if (p->state != HD_PK_RUNNING)
			p->checked = true;
		spin_unlock(&rv->lock);
	}
	if (!ret)
		busy->tid = 0;
	kfree(buf);
	return ret;
}

/*
 * Every check of one attempt: the threads (hd_check_active()), then with
 * @memory the rest of the memory (hd_check_memory()), a first look before
 * the stop and the one that decides once @stopped.  *@bytes: what the
 * memory scan read.
 */
int hd_check_frames(struct hd_rv *rv, const struct hd_range *r,
		    unsigned int n, bool scan_stack, bool memory,
		    bool stopped, struct hd_busy *busy, u64 *bytes)
{
	int ret;

	*bytes = 0;
	ret = hd_check_active(rv, r, n, scan_stack, memory, busy);
	if (!ret && memory)
		ret = hd_check_memory(rv, r, n, stopped, busy, bytes);
	return ret;
}
