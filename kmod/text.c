// SPDX-License-Identifier: GPL-2.0
/*
 * Reading and rewriting the target's text.
 *
 * Pages are taken with get_user_pages_remote(FOLL_FORCE), as ptrace's
 * PTRACE_POKETEXT does through access_process_vm(): for a write
 * (FOLL_WRITE) the target gets a private copy of the page, never the
 * file's page cache, and the mapping's permissions are unchanged.  x86
 * keeps instruction fetch coherent with these stores; callers hold every
 * thread of the target parked, so none can execute or fetch the bytes
 * while they change.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/string.h>

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
	if (get_user_pages_remote(tx->mm, addr, 1, tx->gup_flags, &page,
				  NULL, NULL) != 1)
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

static int hd_text_verify(struct mm_struct *mm, const struct hd_site *s,
			  unsigned int n, bool revert, unsigned int *fail)
{
	u8 cur[HD_JMP_SIZE];
	struct hd_text tx;
	unsigned int i;
	int ret = 0;

	hd_text_open(&tx, mm, false);
	for (i = 0; i < n; i++) {
		*fail = i;
		ret = hd_text_rw(&tx, s[i].addr, cur, sizeof(cur), false);
		if (ret)
			break;
		if (memcmp(cur, revert ? s[i].new : s[i].old, sizeof(cur))) {
			ret = -EILSEQ;
			break;
		}
	}
	hd_text_close(&tx);
	return ret;
}

/*
 * Replace s[i].old by s[i].new at every site (the other way round if
 * @revert), all or nothing: the bytes are verified first, and a failed
 * write puts back the sites already written.  Returns 0, -EILSEQ (bytes
 * differ) or -EFAULT with *fail the index of the site concerned.
 */
int hd_text_swap(struct mm_struct *mm, const struct hd_site *s,
		 unsigned int n, bool revert, unsigned int *fail)
{
	struct hd_text tx;
	unsigned int i;
	int ret;

	ret = hd_text_verify(mm, s, n, revert, fail);
	if (ret)
		return ret;

	hd_text_open(&tx, mm, true);
	for (i = 0; i < n; i++) {
		*fail = i;
		ret = hd_text_rw(&tx, s[i].addr,
				 (void *)(revert ? s[i].old : s[i].new),
				 HD_JMP_SIZE, true);
		if (ret)
			goto undo;
	}
	hd_text_close(&tx);
	return 0;

undo:
	/*
	 * The pages of these sites were just written, so they are present
	 * and private: writing them again cannot fail short of the target
	 * dying, in which case nothing runs the half-written text anyway.
	 */
	while (i--)
		hd_text_rw(&tx, s[i].addr,
			   (void *)(revert ? s[i].new : s[i].old),
			   HD_JMP_SIZE, true);
	hd_text_close(&tx);
	return ret;
}
