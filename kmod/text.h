/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HD_TEXT_H
#define _HD_TEXT_H

#include <linux/sched.h>
#include <linux/types.h>

#include <linux/hotdeploy.h>

/* One redirect: the jmp at @addr to @to replaces the bytes @old. */
struct hd_site {
	unsigned long addr;
	unsigned long to;
	u8 old[HD_JMP_SIZE];
	u8 new[HD_JMP_SIZE];
};

bool hd_jmp_reachable(unsigned long from, unsigned long to);
void hd_jmp_encode(u8 insn[HD_JMP_SIZE], unsigned long from,
		   unsigned long to);
int hd_text_read(struct task_struct *t, unsigned long addr, void *buf,
		 unsigned int len);
int hd_text_swap(struct task_struct *t, const struct hd_site *s,
		 unsigned int n, bool revert, unsigned int *fail);

#endif /* _HD_TEXT_H */
