/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HD_TEXT_H
#define _HD_TEXT_H

#include <linux/mm_types.h>
#include <linux/types.h>

#include <linux/hotdeploy.h>

/*
 * One redirect: the jmp at @addr to @to replaces the first HD_JMP_SIZE of
 * the @old_len bytes @old found there before, all of which an apply
 * verifies.
 */
struct hd_site {
	unsigned long addr;
	unsigned long to;
	u8 old[HD_EXPECT_MAX];
	u8 new[HD_JMP_SIZE];
	u8 old_len;		/* HD_JMP_SIZE..HD_EXPECT_MAX */
};

/*
 * Access to a stopped target's text, a page at a time: requests for the
 * same page (functions of one object tend to be close) cost one page
 * lookup, not one each.  Holds the mm's mmap_lock for reading from
 * hd_text_open() to hd_text_close().
 */
struct hd_text {
	struct mm_struct *mm;
	unsigned int gup_flags;
	struct {
		unsigned long addr;	/* page address, 0 if empty */
		struct page *page;
	} slot[2];			/* a request may cross one boundary */
	unsigned int next;
};

bool hd_jmp_reachable(unsigned long from, unsigned long to);
void hd_jmp_encode(u8 insn[HD_JMP_SIZE], unsigned long from,
		   unsigned long to);
void hd_text_open(struct hd_text *tx, struct mm_struct *mm, bool write);
int hd_text_rw(struct hd_text *tx, unsigned long addr, void *buf,
	       unsigned int len, bool write);
void hd_text_close(struct hd_text *tx);
struct hd_swap;
struct hd_swap *hd_swap_plan(const struct hd_site *s, unsigned int n);
void hd_swap_free(struct hd_swap *sw);
const unsigned long *hd_swap_pages(const struct hd_swap *sw, unsigned int *nr);
void hd_swap_prefault(struct mm_struct *mm, struct hd_swap *sw);
int hd_text_swap(struct mm_struct *mm, struct hd_swap *sw,
		 const struct hd_site *s, bool revert, unsigned int *fail);

#endif /* _HD_TEXT_H */
