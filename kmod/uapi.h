/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HD_UAPI_H
#define _HD_UAPI_H

#include <linux/types.h>

int hd_copy_args_in(void *karg, size_t ksize, size_t ver0_size,
		    const void __user *uarg, u32 *usize);
int hd_copy_args_out(void __user *uarg, u32 usize, const void *karg,
		     size_t ksize);

#endif /* _HD_UAPI_H */
