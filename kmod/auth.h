/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HD_AUTH_H
#define _HD_AUTH_H

#include <linux/mm_types.h>
#include <linux/sched.h>
#include <linux/types.h>

int hd_auth_check(u32 usize, u32 ver, s32 mem_fd, struct mm_struct *mm);
void hd_audit(const char *op, struct task_struct *leader, u64 patch_id,
	      u32 nr_funcs, int result);

#endif /* _HD_AUTH_H */
