// SPDX-License-Identifier: GPL-2.0
/*
 * Copying the size-prefixed, extensible ioctl structs in and out, with the
 * rules of openat2(2) and clone3(2).  One place, so that every ioctl
 * applies the same rules.
 */
#include <linux/uaccess.h>

#include "uapi.h"

/*
 * Read a struct whose first __u32 is its size as the caller knows it.
 * Returns 0 and the caller's size in *usize, or -errno.
 */
int hd_copy_args_in(void *karg, size_t ksize, size_t ver0_size,
		    const void __user *uarg, u32 *usize)
{
	u32 size;
	int ret;

	if (get_user(size, (const u32 __user *)uarg))
		return -EFAULT;
	if (size < ver0_size)
		return -EINVAL;
	if (size > PAGE_SIZE)
		return -E2BIG;

	ret = copy_struct_from_user(karg, ksize, uarg, size);
	if (ret)
		return ret;
	*usize = size;
	return 0;
}

/* Write back as much of the struct as the caller has room for. */
int hd_copy_args_out(void __user *uarg, u32 usize, const void *karg,
		     size_t ksize)
{
	if (copy_to_user(uarg, karg, min_t(size_t, usize, ksize)))
		return -EFAULT;
	return 0;
}
