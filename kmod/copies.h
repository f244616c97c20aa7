/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HD_COPIES_H
#define _HD_COPIES_H

#include <linux/mm_types.h>

struct hd_swap;

void hd_copies_drop(struct mm_struct *mm, const struct hd_swap *sw);

#endif /* _HD_COPIES_H */
