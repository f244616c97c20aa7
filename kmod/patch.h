/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _HD_PATCH_H
#define _HD_PATCH_H

#include <linux/compiler_types.h>

long hd_ioctl_apply(void __user *uarg);
long hd_ioctl_revert(void __user *uarg);
long hd_ioctl_list(void __user *uarg);

#endif /* _HD_PATCH_H */
