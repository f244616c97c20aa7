/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * hotdeploy: live patching of running user-space processes.
 *
 * The ABI between hdctl and /dev/hotdeploy.  Every ioctl takes a pointer
 * to one struct whose first field is its size in bytes, in the style of
 * openat2(2) and clone3(2):
 *
 *  - size smaller than the first published version of the struct: -EINVAL;
 *  - size larger than the kernel knows: the extra bytes must be zero,
 *    otherwise -E2BIG; size larger than a page: -E2BIG;
 *  - every flags word rejects unknown bits with -EINVAL;
 *  - reserved fields must be zero (-EINVAL);
 *  - output is written back for min(size, kernel's size) bytes.
 *
 * All fields are fixed width; user pointers travel as __u64.
 * Documentation/uapi.rst documents every field and error.
 */
#ifndef _UAPI_LINUX_HOTDEPLOY_H
#define _UAPI_LINUX_HOTDEPLOY_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define HD_DEVICE_NAME		"hotdeploy"
#define HD_ABI_VERSION		1

/* 0xB5 is not claimed in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define HD_IOC_MAGIC		0xB5

/*
 * HD_IOC_VERSION: report the ABI version and the features this module
 * implements.  Needs only an open descriptor.
 */
struct hd_version {
	__u32 size;		/* in: sizeof(struct hd_version) */
	__u32 flags;		/* in: must be 0 */
	__u32 abi_version;	/* out: HD_ABI_VERSION */
	__u32 __reserved;	/* in: must be 0 */
	__u64 features;		/* out: HD_FEATURE_* bits */
};

#define HD_VERSION_SIZE_VER0	24

/* Feature bits reported by HD_IOC_VERSION. */
#define HD_FEATURE_VERSION	(1ULL << 0)	/* HD_IOC_VERSION */

#define HD_IOC_VERSION		_IO(HD_IOC_MAGIC, 0x00)

#endif /* _UAPI_LINUX_HOTDEPLOY_H */
