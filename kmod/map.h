/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HD_MAP_H
#define _HD_MAP_H

#include <linux/fs.h>
#include <linux/types.h>

struct hd_rv;

struct file *hd_code_file(u64 id, const void __user *code, size_t code_size,
			  const void __user *data, size_t data_size);
int hd_code_map(struct hd_rv *rv, struct file *file, unsigned long addr,
		unsigned long code_len, unsigned long data_len);
int hd_code_unmap(struct hd_rv *rv, struct file *file, unsigned long addr,
		  unsigned long len);

#endif /* _HD_MAP_H */
