// SPDX-License-Identifier: GPL-2.0
/*
 * Reading and rewriting the target's text.
 *
 * Pages are taken with get_user_pages_remote(FOLL_FORCE) for reading, and
 * pinned with pin_user_pages_remote(FOLL_FORCE | FOLL_WRITE) for writing,
 * as ptrace's PTRACE_POKETEXT reaches them through access_process_vm():
 * for a write the target gets a private copy of the page, never the
 * file's page cache, and the mapping's permissions are unchanged.  x86
 * keeps instruction fetch coherent with these stores; callers hold every
 * thread of the target parked, so none can execute or fetch the bytes
 * while they change.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "compat.h"
#include "text.h"

#define HD_JMP_OPCODE	0xe9

bool hd_jmp_reachable(unsigned long from, unsigned long to)
{
	s64 rel = (s64)(to - (from + HD_JMP_SIZE));

	return rel >= S32_MIN && rel <= S32_MAX;
}

void hd_jmp_encode(u8 insn[HD_JMP_SIZE], unsigned long from,
		   unsigned long to)
{
	s32 rel = (s32)(to - (from + HD_JMP_SIZE));

	insn[0] = HD_JMP_OPCODE;
	memcpy(&insn[1], &rel, sizeof(rel));
}

void hd_text_open(struct hd_text *tx, struct mm_struct *mm, bool write)
{
	memset(tx, 0, sizeof(*tx));
	tx->mm = mm;
	tx->gup_flags = FOLL_FORCE | (write ? FOLL_WRITE : 0);
	mmap_read_lock(mm);
}

static void hd_text_drop(struct hd_text *tx, unsigned int i)
{
	if (!tx->slot[i].addr)
		return;
	if (tx->gup_flags & FOLL_WRITE)
		set_page_dirty_lock(tx->slot[i].page);
	put_page(tx->slot[i].page);
	tx->slot[i].addr = 0;
}

void hd_text_close(struct hd_text *tx)
{
	hd_text_drop(tx, 0);
	hd_text_drop(tx, 1);
	mmap_read_unlock(tx->mm);
}

static struct page *hd_text_page(struct hd_text *tx, unsigned long addr)
{
	unsigned int i = tx->next;
	struct page *page;

	addr &= PAGE_MASK;
	if (tx->slot[0].addr == addr)
		return tx->slot[0].page;
	if (tx->slot[1].addr == addr)
		return tx->slot[1].page;
	if (hd_get_user_pages_remote(tx->mm, addr, 1, tx->gup_flags,
				     &page) != 1)
		return NULL;
	hd_text_drop(tx, i);
	tx->slot[i].addr = addr;
	tx->slot[i].page = page;
	tx->next = !i;
	return page;
}

/* Copy @len bytes between @buf and the target at @addr.  0 or -EFAULT. */
int hd_text_rw(struct hd_text *tx, unsigned long addr, void *buf,
	       unsigned int len, bool write)
{
	hd_mmap_assert_locked(tx->mm);	/* from hd_text_open() */
	while (len) {
		unsigned int off = offset_in_page(addr);
		unsigned int n = min_t(unsigned int, len, PAGE_SIZE - off);
		struct page *page = hd_text_page(tx, addr);
		u8 *kaddr;

		if (!page)
			return -EFAULT;
		kaddr = kmap_local_page(page);
		if (write)
			memcpy(kaddr + off, buf, n);
		else
			memcpy(buf, kaddr + off, n);
		kunmap_local(kaddr);
		addr += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * Swapping many sites at once.  The sites are taken in address order, so
 * every text page that holds one is pinned once (runs of adjacent pages in
 * one call) however many functions it holds: a patch of a thousand
 * functions costs a handful of page lookups, not a thousand.  That order
 * is worked out once per patch, by hd_swap_plan() outside the pause:
 * under emulation sorting a thousand sites costs more than writing them.
 * FOLL_PIN, as for any write to a page's data through another mapping;
 * FOLL_FORCE | FOLL_WRITE gives the target private copies of file pages,
 * as PTRACE_POKETEXT does (hd_swap_prefault() makes them before the stop).
 * Everything is verified before anything is written and nothing can fail
 * once writing starts, so there is nothing to undo.
 */
struct hd_swap_site {
	unsigned long addr;
	unsigned int index;	/* into the caller's sites */
	unsigned int page;	/* into the pinned pages: the one holding addr */
	unsigned int len;	/* bytes an apply verifies, from addr */
};

struct hd_swap {
	struct hd_swap_site *site;	/* in address order */
	unsigned long *paddr;		/* distinct pages, ascending */
	struct page **pages;		/* pinned during a swap */
	unsigned int nr_sites;
	unsigned int nr_pages;
	unsigned int nr_pinned;
};

static int hd_swap_cmp(const void *a, const void *b)
{
	const struct hd_swap_site *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return 0;
}

static bool hd_swap_crosses(unsigned long addr, unsigned int len)
{
	return offset_in_page(addr) > PAGE_SIZE - len;
}

/*
 * Copy @len bytes (at most the site's ->len) of a site to @rd, or from
 * @wr, a page at a time.
 */
static void hd_swap_copy(struct hd_swap *sw, const struct hd_swap_site *ss,
			 u8 *rd, const u8 *wr, unsigned int len)
{
	unsigned int off = offset_in_page(ss->addr), done = 0, pg = ss->page;

	while (done < len) {
		unsigned int n = min_t(unsigned int, len - done,
				       PAGE_SIZE - off);
		u8 *kaddr = kmap_local_page(sw->pages[pg]);

		if (wr)
			memcpy(kaddr + off, wr + done, n);
		else
			memcpy(rd + done, kaddr + off, n);
		kunmap_local(kaddr);
		done += n;
		off = 0;
		pg++;
	}
}

/* Write HD_JMP_SIZE bytes from @wr at a site. */
static void hd_swap_write(struct hd_swap *sw, const struct hd_swap_site *ss,
			  const u8 *wr)
{
	unsigned int off = offset_in_page(ss->addr);
	u8 *kaddr;
	u64 word;

	/*
	 * One store per site where 8 bytes fit in the page: the bytes past
	 * the jump are written back as they are.  Under emulation (QEMU's
	 * TCG) every store into code that has run costs a search of the
	 * page's translations, and a plain memcpy() of 5 bytes is 2 stores.
	 */
	if (off > PAGE_SIZE - sizeof(u64)) {
		hd_swap_copy(sw, ss, NULL, wr, HD_JMP_SIZE);
		return;
	}
	kaddr = kmap_local_page(sw->pages[ss->page]);
	word = get_unaligned((u64 *)(kaddr + off));
	memcpy(&word, wr, HD_JMP_SIZE);
	put_unaligned(word, (u64 *)(kaddr + off));
	kunmap_local(kaddr);
}

static void hd_swap_add_page(struct hd_swap *sw, unsigned long addr)
{
	addr &= PAGE_MASK;
	if (!sw->nr_pages || sw->paddr[sw->nr_pages - 1] != addr)
		sw->paddr[sw->nr_pages++] = addr;
}

void hd_swap_free(struct hd_swap *sw)
{
	if (!sw)
		return;
	kvfree(sw->pages);
	kvfree(sw->paddr);
	kvfree(sw->site);
	kfree(sw);
}

/* Sort the sites and list the pages they touch.  NULL if out of memory. */
struct hd_swap *hd_swap_plan(const struct hd_site *s, unsigned int n)
{
	struct hd_swap *sw;
	unsigned int i;

	sw = kzalloc(sizeof(*sw), GFP_KERNEL);
	if (!sw)
		return NULL;
	sw->nr_sites = n;
	sw->site = kvmalloc_array(n, sizeof(*sw->site), GFP_KERNEL);
	sw->paddr = kvmalloc_array(2 * n, sizeof(*sw->paddr), GFP_KERNEL);
	sw->pages = kvmalloc_array(2 * n, sizeof(*sw->pages), GFP_KERNEL);
	if (!sw->site || !sw->paddr || !sw->pages) {
		hd_swap_free(sw);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		sw->site[i].addr = s[i].addr;
		sw->site[i].index = i;
		sw->site[i].len = s[i].old_len;
	}
	sort(sw->site, n, sizeof(*sw->site), hd_swap_cmp, NULL);
	/*
	 * Each site's bytes lie within its function, and functions never
	 * overlap, so their pages come in ascending order.
	 */
	for (i = 0; i < n; i++) {
		const struct hd_swap_site *ss = &sw->site[i];

		hd_swap_add_page(sw, ss->addr);
		sw->site[i].page = sw->nr_pages - 1;
		if (hd_swap_crosses(ss->addr, ss->len))
			hd_swap_add_page(sw, ss->addr + ss->len - 1);
	}
	return sw;
}

/* Pin every listed page, a run of adjacent ones per call. */
static int hd_swap_pin(struct hd_swap *sw, struct mm_struct *mm)
{
	unsigned int i = 0, run;
	long got;

	hd_mmap_assert_locked(mm);
	while (i < sw->nr_pages) {
		for (run = 1; i + run < sw->nr_pages; run++)
			if (sw->paddr[i + run] != sw->paddr[i] + run * PAGE_SIZE)
				break;
		got = hd_pin_user_pages_remote(mm, sw->paddr[i], run,
					       FOLL_FORCE | FOLL_WRITE,
					       &sw->pages[i]);
		if (got <= 0)
			return got ? (int)got : -EFAULT;
		i += got;
		sw->nr_pinned = i;
	}
	return 0;
}

/* The distinct pages the sites' bytes lie in, ascending. */
const unsigned long *hd_swap_pages(const struct hd_swap *sw, unsigned int *nr)
{
	*nr = sw->nr_pages;
	return sw->paddr;
}

/*
 * Before the stop: fault every page in for writing and let go of it, so
 * that the target gets its private copies now and the pause has no
 * copy-on-write fault (a page allocation, a copy and a TLB flush each).
 * Best effort: a page that cannot be had now fails the write in the pause,
 * which reports it.
 */
void hd_swap_prefault(struct mm_struct *mm, struct hd_swap *sw)
{
	sw->nr_pinned = 0;
	mmap_read_lock(mm);
	hd_swap_pin(sw, mm);
	unpin_user_pages(sw->pages, sw->nr_pinned);
	sw->nr_pinned = 0;
	mmap_read_unlock(mm);
}

/* The first site, in address order, on a page that could not be pinned. */
static unsigned int hd_swap_unpinned(const struct hd_swap *sw, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int last = sw->site[i].page +
				    hd_swap_crosses(sw->site[i].addr,
						    sw->site[i].len);

		if (last >= sw->nr_pinned)
			return sw->site[i].index;
	}
	return 0;
}

/*
 * Replace s[i].old by s[i].new at every site of @sw, made from @s (the
 * other way round if @revert), all or nothing: every page is pinned and
 * every site's bytes verified, all s[i].old_len of them on an apply,
 * before the first is written.  Returns 0, -EILSEQ (bytes differ) or
 * -EFAULT, with *fail the index of the site concerned.
 */
int hd_text_swap(struct mm_struct *mm, struct hd_swap *sw,
		 const struct hd_site *s, bool revert, unsigned int *fail)
{
	unsigned int i, n = sw->nr_sites;
	u8 cur[HD_EXPECT_MAX];
	int ret;

	*fail = 0;
	sw->nr_pinned = 0;
	mmap_read_lock(mm);
	ret = hd_swap_pin(sw, mm);
	if (ret) {
		*fail = hd_swap_unpinned(sw, n);
		goto out_unpin;
	}
	for (i = 0; i < n; i++) {
		const struct hd_site *site = &s[sw->site[i].index];
		unsigned int len = revert ? HD_JMP_SIZE : site->old_len;

		hd_swap_copy(sw, &sw->site[i], cur, NULL, len);
		if (memcmp(cur, revert ? site->new : site->old, len)) {
			*fail = sw->site[i].index;
			ret = -EILSEQ;
			goto out_unpin;
		}
	}
	/* All pinned and verified: from here nothing can fail. */
	for (i = 0; i < n; i++) {
		const struct hd_site *site = &s[sw->site[i].index];

		hd_swap_write(sw, &sw->site[i], revert ? site->old : site->new);
	}
	unpin_user_pages_dirty_lock(sw->pages, sw->nr_pinned, true);
	sw->nr_pinned = 0;
out_unpin:
	if (sw->nr_pinned)
		unpin_user_pages(sw->pages, sw->nr_pinned);
	sw->nr_pinned = 0;
	mmap_read_unlock(mm);
	return ret;
}
