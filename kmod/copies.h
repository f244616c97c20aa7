/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HD_COPIES_H
#define _HD_COPIES_H

#include <linux/mm_types.h>

struct hd_site;

int hd_copies_prepare(struct mm_struct *mm, const struct hd_site *s,
		      unsigned int n);
void hd_copies_drop(struct mm_struct *mm, const struct hd_site *s,
		    unsigned int n);

#endif /* _HD_COPIES_H */
