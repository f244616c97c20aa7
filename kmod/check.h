/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HD_CHECK_H
#define _HD_CHECK_H

#include <linux/types.h>

struct hd_rv;
struct mm_struct;
struct vm_area_struct;

/* Code no thread may be executing or returning into: [start, end). */
struct hd_range {
	unsigned long start;
	unsigned long end;
	unsigned int index;	/* reported as fail_func */
};

struct hd_busy {
	u32 reason;		/* enum hd_fail */
	u32 tid;
	u32 index;
	unsigned long addr;	/* where the word that was found lies */
};

void hd_ranges_sort(struct hd_range *r, unsigned int n);
const struct hd_range *hd_range_find(const struct hd_range *r,
				     unsigned int n, unsigned long addr);
int hd_check_active(struct hd_rv *rv, const struct hd_range *r,
		    unsigned int n, bool scan_stack, bool memory,
		    struct hd_busy *busy);
int hd_check_memory(struct hd_rv *rv, const struct hd_range *r,
		    unsigned int n, bool stopped, struct hd_busy *busy,
		    u64 *bytes);
int hd_check_frames(struct hd_rv *rv, const struct hd_range *r,
		    unsigned int n, bool scan_stack, bool memory,
		    bool stopped, struct hd_busy *busy, u64 *bytes);
bool hd_stack_private(struct mm_struct *mm, struct vm_area_struct *vma);

#endif /* _HD_CHECK_H */
