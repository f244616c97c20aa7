/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HD_MAP_H
#define _HD_MAP_H

#include <linux/fs.h>
#include <linux/mm_types.h>
#include <linux/types.h>

struct file *hd_code_file(u64 id, const void __user *code, size_t code_size,
			  const void __user *data, size_t data_size);
int hd_code_map(struct mm_struct *mm, struct file *file, unsigned long addr,
		unsigned long code_len, unsigned long data_len,
		unsigned int timeout_ms);
int hd_code_unmap(struct mm_struct *mm, struct file *file, unsigned long addr,
		  unsigned long len, unsigned int timeout_ms);
bool hd_code_intact(struct mm_struct *mm, struct file *file,
		    unsigned long addr, unsigned long len);
int hd_map_init(void);
void hd_map_exit(void);

#endif /* _HD_MAP_H */
