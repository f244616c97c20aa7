// SPDX-License-Identifier: GPL-2.0
/*
 * Stacks that are no thread's current one: a coroutine or fiber suspended
 * on a stack of its own (makecontext(), boost.context, hand-written
 * switches), the frames a handler on a signal stack interrupted.  Nothing
 * tells where they are, so the stopped target's writable memory is
 * scanned for words that are return addresses into a replaced function:
 * inside it, not its first byte, and just after something that can be a
 * call instruction.  The threads' own stacks are left out (their scan
 * looks at every word from SP up and none below it, where stale frames
 * lie).  Conservative as the stack scan: a stale return address in freed
 * memory refuses too.
 *
 * The scan that decides runs with every thread held: what it reads cannot
 * change under it.  Its cost is one page table walk and one read per
 * resident page; pages never touched are skipped, swapped ones read back.
 * A shared file mapping is left out (it holds the file, not the program's
 * frames), and so are device mappings.
 *
 * The same scan runs first while the target runs, so that a frame that is
 * there for a while (a coroutine suspended for seconds, what --wait waits
 * for) refuses each attempt without stopping the target for a whole scan.
 * It leaves out every mapping that may be a thread's stack (the threads'
 * stack pointers move): a word it finds, the checks in the stop would
 * find too (this scan, or a thread's, which reads more), had it not
 * changed meanwhile; it may miss what they find.  It takes the
 * mmap_lock a batch at a time, so that the target's mmap() and munmap()
 * wait for one batch, not for the whole scan.
 */
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pgtable.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include <linux/hotdeploy.h>

#include "check.h"
#include "compat.h"
#include "rendezvous.h"
#include "text.h"

#define HD_SCAN_BATCH	16	/* pages per GUP call */

struct hd_span {
	unsigned long lo, hi;
};

struct hd_scan {
	struct hd_text tx;		/* holds the mmap_lock for reading */
	struct mm_struct *mm;
	bool stopped;			/* the target is held */
	unsigned long resume;		/* not stopped: go on from here */
	const struct hd_range *r;
	unsigned int n;
	unsigned long lo, hi;		/* all of r */
	struct hd_span *skip;		/* the threads' stacks, sorted */
	unsigned int nr_skip;
	unsigned int next_skip;
	struct page *pages[HD_SCAN_BATCH];
	u64 bytes;
};

/* Bytes a ModRM (and its SIB and displacement) take in 64-bit mode. */
static unsigned int hd_modrm_len(u8 modrm, u8 sib)
{
	unsigned int mod = modrm >> 6, rm = modrm & 7, len = 1;

	if (mod == 3)
		return 1;
	if (rm == 4) {
		len++;
		if (mod == 0 && (sib & 7) == 5)
			len += 4;
	} else if (mod == 0 && rm == 5) {
		return 5;	/* RIP-relative */
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len;
}

/*
 * Can the @len bytes at @b end with a call?  e8 rel32, or ff /2 (ff /3)
 * with any operand: a prefix before the opcode does not move the end.
 * Deliberately loose: anything that could be a call counts.
 */
static bool hd_ends_in_call(const u8 *b, unsigned int len)
{
	unsigned int k;

	if (len >= 5 && b[len - 5] == 0xe8)
		return true;
	for (k = 2; k <= 7 && k <= len; k++) {
		u8 modrm = b[len - k + 1];
		u8 reg = (modrm >> 3) & 7;

		if (b[len - k] != 0xff || (reg != 2 && reg != 3))
			continue;
		if (hd_modrm_len(modrm, k >= 3 ? b[len - k + 2] : 0) == k - 1)
			return true;
	}
	return false;
}

/* Is @w a return address into one of the ranges? */
static const struct hd_range *hd_scan_word(struct hd_scan *sc,
					   unsigned long w)
{
	const struct hd_range *hit = hd_range_find(sc->r, sc->n, w);
	u8 b[7];
	unsigned int len;

	if (!hit || w == hit->start)
		return NULL;
	len = min_t(unsigned long, sizeof(b), w - hit->start);
	if (hd_text_rw(&sc->tx, w - len, b, len, false))
		return hit;	/* unreadable: assume the worst */
	return hd_ends_in_call(b, len) ? hit : NULL;
}

/*
 * Where the stretch with no page table from @addr ends: memory the
 * program never touched has none (a large .bss, a reserved heap), and
 * asking GUP for each of its pages, one failed fault each, cost more than
 * the scan itself.  Only the upper levels are read, never a PTE table;
 * they are not freed while the mmap_lock is held and @addr is in a
 * mapping found under that hold (before the stop the lock is let go
 * between batches, and the mapping found again after).  @addr itself if
 * a page table covers it.
 */
static unsigned long hd_scan_hole_end(struct mm_struct *mm,
				      unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;

	if (pgd_none(READ_ONCE(*pgd)))
		return (addr + PGDIR_SIZE) & PGDIR_MASK;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(READ_ONCE(*p4d)))
		return (addr + P4D_SIZE) & P4D_MASK;
	pud = pud_offset(p4d, addr);
	if (pud_none(READ_ONCE(*pud)))
		return (addr + PUD_SIZE) & PUD_MASK;
	pmd = pmd_offset(pud, addr);
	if (pmd_none(READ_ONCE(*pmd)))
		return (addr + PMD_SIZE) & PMD_MASK;
	return addr;
}

/*
 * Scan [addr, end) of one mapping.  0, -EBUSY with @busy filled, -EAGAIN
 * when the lock was let go before the target stopped (sc->resume: where
 * to go on), -errno.
 */
static int hd_scan_range(struct hd_scan *sc, unsigned long addr,
			 unsigned long end, struct hd_busy *busy)
{
	while (addr < end) {
		unsigned long page = addr & PAGE_MASK;
		unsigned long next = hd_scan_hole_end(sc->tx.mm, page);
		unsigned int nr;
		long got, i;

		if (next != page) {
			addr = next;	/* 0 past the top: then >= end too */
			if (!addr || addr >= end)
				break;
			continue;
		}
		nr = min_t(unsigned long, HD_SCAN_BATCH,
			   (PAGE_ALIGN(end) - page) >> PAGE_SHIFT);
		/* FOLL_DUMP: a hole or the zero page fails, not faults in. */
		got = hd_get_user_pages_remote(sc->tx.mm, page, nr, FOLL_DUMP,
					       sc->pages);
		if (got == -EFAULT) {
			addr = page + PAGE_SIZE;	/* never touched */
			continue;
		}
		if (got <= 0)
			return got ? (int)got : -EFAULT;
		for (i = 0; i < got; i++, page += PAGE_SIZE) {
			unsigned long from = max(addr, page);
			unsigned long to = min(end, page + PAGE_SIZE);
			unsigned long *kaddr;
			const struct hd_range *hit = NULL;
			unsigned long a, w;

			kaddr = kmap_local_page(sc->pages[i]);
			for (a = from; a + sizeof(w) <= to; a += sizeof(w)) {
				w = kaddr[offset_in_page(a) / sizeof(w)];
				if (w >= sc->lo && w < sc->hi) {
					hit = hd_scan_word(sc, w);
					if (hit)
						break;
				}
			}
			kunmap_local(kaddr);
			sc->bytes += to - from;
			if (hit) {
				busy->reason = HD_FAIL_MEMORY;
				busy->index = hit->index;
				busy->addr = a;
				while (i < got)
					put_page(sc->pages[i++]);
				return -EBUSY;
			}
			put_page(sc->pages[i]);
		}
		addr = page;
		if (fatal_signal_pending(current))
			return -EINTR;
		if (!sc->stopped && addr < end) {
			/*
			 * Let the target map and unmap; the mappings may then
			 * have changed: the caller looks again from @addr.
			 */
			hd_text_close(&sc->tx);
			cond_resched();
			hd_text_open(&sc->tx, sc->mm, false);
			sc->resume = addr;
			return -EAGAIN;
		}
		cond_resched();
	}
	return 0;
}

/* Scan a mapping but for the threads' stacks in it. */
static int hd_scan_vma(struct hd_scan *sc, unsigned long start,
		       unsigned long end, struct hd_busy *busy)
{
	int ret;

	while (start < end) {
		const struct hd_span *s;
		unsigned long stop = end;

		while (sc->next_skip < sc->nr_skip &&
		       sc->skip[sc->next_skip].hi <= start)
			sc->next_skip++;
		s = sc->next_skip < sc->nr_skip ? &sc->skip[sc->next_skip] :
						   NULL;
		if (s && s->lo <= start) {
			start = s->hi;
			continue;
		}
		if (s && s->lo < end)
			stop = s->lo;
		ret = hd_scan_range(sc, start, stop, busy);
		if (ret)
			return ret;
		start = stop;
	}
	return 0;
}

static bool hd_scan_wanted(struct hd_scan *sc, struct vm_area_struct *vma)
{
	if (!sc->stopped && hd_stack_private(sc->mm, vma))
		return false;	/* a thread's stack, perhaps */
	if (!(vma->vm_flags & VM_WRITE))
		return false;
	if (vma->vm_flags & (VM_IO | VM_PFNMAP | VM_MIXEDMAP))
		return false;
	if (vma->vm_file && (vma->vm_flags & VM_SHARED))
		return false;
	/* A private file mapping holds frames only in pages written to. */
	return !vma->vm_file || vma->anon_vma;
}

static int hd_span_cmp(const void *a, const void *b)
{
	const struct hd_span *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

/*
 * The stacks the threads' scans covered, sorted; overlaps are harmless.
 * Before the stop, none: hd_scan_wanted() leaves out whole mappings.
 */
static int hd_scan_skips(struct hd_scan *sc, struct hd_rv *rv)
{
	unsigned int i;

	sc->skip = kvmalloc_array(max(rv->nr_parkers, 1U), sizeof(*sc->skip),
				  GFP_KERNEL);
	if (!sc->skip)
		return -ENOMEM;
	for (i = 0; sc->stopped && i < rv->nr_parkers; i++) {
		const struct hd_parker *p = rv->parkers[i];

		if (p->stk_hi > p->stk_lo) {
			sc->skip[sc->nr_skip].lo = p->stk_lo;
			sc->skip[sc->nr_skip].hi = p->stk_hi;
			sc->nr_skip++;
		}
	}
	sort(sc->skip, sc->nr_skip, sizeof(*sc->skip), hd_span_cmp, NULL);
	return 0;
}

/*
 * Scan the writable memory of @rv's target for return addresses into @r
 * (sorted, @n of them): @stopped, after hd_check_active() has checked
 * every thread; or before the stop, as a first look.  Returns 0, -EBUSY
 * with @busy filled (no thread: busy->tid 0), or another -errno; *@bytes:
 * how much was read.
 */
int hd_check_memory(struct hd_rv *rv, const struct hd_range *r,
		    unsigned int n, bool stopped, struct hd_busy *busy,
		    u64 *bytes)
{
	struct vm_area_struct *vma;
	struct hd_scan *sc;
	unsigned long addr = 0;
	int ret;

	*bytes = 0;
	if (!n)
		return 0;
	sc = kzalloc(sizeof(*sc), GFP_KERNEL);
	if (!sc)
		return -ENOMEM;
	sc->r = r;
	sc->n = n;
	sc->mm = rv->mm;
	sc->stopped = stopped;
	sc->lo = r[0].start;
	sc->hi = r[n - 1].end;
	ret = hd_scan_skips(sc, rv);
	if (ret)
		goto out;
	hd_text_open(&sc->tx, rv->mm, false);
	while ((vma = find_vma(rv->mm, addr))) {
		unsigned long start = max(addr, vma->vm_start);

		addr = vma->vm_end;
		if (!hd_scan_wanted(sc, vma))
			continue;
		ret = hd_scan_vma(sc, start, vma->vm_end, busy);
		if (ret == -EAGAIN) {
			addr = sc->resume;
			ret = 0;
			continue;
		}
		if (ret)
			break;
	}
	hd_text_close(&sc->tx);
	*bytes = sc->bytes;
	busy->tid = 0;
out:
	kvfree(sc->skip);
	kfree(sc);
	return ret;
}
