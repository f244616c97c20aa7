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
#define HD_FEATURE_APPLY	(1ULL << 1)	/* HD_IOC_APPLY */
#define HD_FEATURE_REVERT	(1ULL << 2)	/* HD_IOC_REVERT */
#define HD_FEATURE_LIST		(1ULL << 3)	/* HD_IOC_LIST */
#define HD_FEATURE_DATA		(1ULL << 4)	/* hd_apply.data: new writable data */
#define HD_FEATURE_REVERT_FORCE	(1ULL << 5)	/* HD_REVERT_FORCE */
#define HD_FEATURE_SCAN_MEMORY	(1ULL << 6)	/* the memory scan, fail_addr */
#define HD_FEATURE_RETIRE	(1ULL << 7)	/* reverted code stays mapped */
#define HD_FEATURE_MEM_PROOF	(1ULL << 8)	/* requests carry mem_fd */

#define HD_IOC_VERSION		_IO(HD_IOC_MAGIC, 0x00)

/* Limits on what one request may ask for. */
#define HD_MAX_FUNCS		1024		/* redirects per patch */
#define HD_MAX_CODE_SIZE	(16U << 20)	/* bytes of new code per patch */
#define HD_MAX_DATA_SIZE	(16U << 20)	/* bytes of new data per patch */
#define HD_MIN_CODE_ADDR	0x10000ULL	/* no code below (vm.mmap_min_addr) */
#define HD_EXPECT_MAX		16		/* expected bytes per redirect */
#define HD_JMP_SIZE		5		/* jmp rel32, the bytes replaced */

/*
 * How often and how long HD_IOC_APPLY and HD_IOC_REVERT try to stop the
 * process: attempts, retry_delay_ms and timeout_ms.  0 asks for the
 * default; more than the maximum is EINVAL.
 */
#define HD_ATTEMPTS_DEFAULT	10
#define HD_ATTEMPTS_MAX		1000
#define HD_RETRY_DELAY_DEFAULT_MS 100
#define HD_RETRY_DELAY_MAX_MS	10000
#define HD_TIMEOUT_DEFAULT_MS	2000
#define HD_TIMEOUT_MAX_MS	60000

/*
 * One redirect: calls to the function at old_addr continue at new_addr,
 * inside the patch's new code.  The first HD_JMP_SIZE bytes at old_addr are
 * replaced by "jmp rel32".
 */
struct hd_func {
	__u64 old_addr;		/* in: function start in the target */
	__u64 old_size;		/* in: its size, >= HD_JMP_SIZE */
	__u64 new_addr;		/* in: inside [code_addr, code_addr + code_size) */
	__u32 expect_len;	/* in: HD_JMP_SIZE..HD_EXPECT_MAX */
	__u32 __reserved;	/* in: must be 0 */
	__u8  expect[HD_EXPECT_MAX];	/* in: bytes at old_addr now */
};

/*
 * HD_IOC_APPLY flags.  By default every thread's IP and current stack are
 * checked, and so is the rest of the process's writable memory, for
 * return addresses (coroutine stacks, frames a signal handler on an
 * alternate stack interrupted): HD_APPLY_THREAD_STACKS leaves that last
 * scan out, for programs known to have no other stacks.
 */
#define HD_APPLY_FORCE		(1U << 0)	/* skip the stack scan, not the IP check */
#define HD_APPLY_THREAD_STACKS	(1U << 1)	/* no memory scan */
#define HD_APPLY_FLAGS		(HD_APPLY_FORCE | HD_APPLY_THREAD_STACKS)

/* Why a request was refused while the target was stopped (fail_reason). */
enum hd_fail {
	HD_FAIL_NONE = 0,
	HD_FAIL_IP = 1,		/* fail_tid's IP is inside fail_func */
	HD_FAIL_STACK = 2,	/* a return address on fail_tid's stack is */
	HD_FAIL_STACK_DEPTH = 3, /* fail_tid's stack is too deep to scan
				  * without the memory scan
				  */
	HD_FAIL_PARK = 4,	/* fail_tid did not stop within timeout_ms */
	HD_FAIL_EXPECT = 5,	/* bytes at fail_func's old_addr differ */
	HD_FAIL_VMA = 6,	/* fail_func not in an executable file mapping */
	HD_FAIL_REACH = 7,	/* fail_func's new_addr not within rel32 */
	HD_FAIL_GONE = 8,	/* the target exited or exec'd meanwhile */
	HD_FAIL_WRITE = 9,	/* writing fail_func's jump failed */
	HD_FAIL_MAP = 10,	/* mapping the code failed */
	HD_FAIL_MM_LOCKED = 11,	/* the mmap_lock stayed held for timeout_ms */
	HD_FAIL_NO_STACK = 12,	/* fail_tid's SP is in no mapping */
	HD_FAIL_MEMORY = 13,	/* a return address into fail_func is at
				 * fail_addr, on no thread's current stack
				 */
	HD_FAIL_SHARED = 14,	/* fail_func is in a shared mapping: a write
				 * would reach the file and its other users
				 */
	HD_FAIL_TRACED = 15,	/* fail_tid is held stopped by its tracer */
};

/*
 * Timings of one stop of the target, in nanoseconds (CLOCK_MONOTONIC).
 * pause_ns is about park_ns + check_ns + write_ns + release_ns; map_ns is
 * not part of it: the code is mapped before the stop and unmapped after.
 */
struct hd_timing {
	__u64 park_ns;		/* first stop request to every thread stopped */
	__u64 check_ns;		/* validation, and checking the threads stopped */
	__u64 map_ns;		/* mapping (apply) or unmapping (revert) the code */
	__u64 write_ns;		/* verifying and writing the text */
	__u64 release_ns;	/* release to every thread running again */
	__u64 pause_ns;		/* first stop request to every thread running */
};

/*
 * HD_IOC_APPLY: map the new code at code_addr; stop every thread of pid's
 * thread group at its next return to user mode (a thread blocked in the
 * kernel is held where it sleeps, and checked before the others are
 * stopped); check that none is executing or will return into an old
 * function, verify the expected bytes and write the jumps, then let the
 * threads go.  All or nothing: on any error the code is unmapped and the
 * target is left as it was.  Needs CAP_SYS_PTRACE and mem_fd, the caller's
 * open /proc/PID/mem of the target (the kernel's ptrace policy let it open
 * it: Documentation/security.rst).
 *
 * New writable data (the patch's new globals), when data_size is not 0, is
 * mapped private and read-write right after the code, at code_addr +
 * code_size rounded up to a page: forked children get their own copy, as
 * with the program's own globals.
 */
struct hd_apply {
	__u32 size;		/* in: sizeof(struct hd_apply) */
	__u32 flags;		/* in: HD_APPLY_* */
	__u32 pid;		/* in: target thread group, caller's pid ns */
	__u32 nr_funcs;		/* in: entries at funcs, 1..HD_MAX_FUNCS */
	__u64 funcs;		/* in: pointer to struct hd_func[nr_funcs] */
	__u32 func_size;	/* in: sizeof(struct hd_func) */
	__u32 attempts;		/* in: stops to try, HD_ATTEMPTS_* */
	__u64 code;		/* in: pointer to the new code */
	__u64 code_size;	/* in: 1..HD_MAX_CODE_SIZE */
	__u64 code_addr;	/* in: page-aligned address to map it at */
	__u32 retry_delay_ms;	/* in: HD_RETRY_DELAY_*_MS */
	__u32 timeout_ms;	/* in: wait for a stop, HD_TIMEOUT_*_MS */
	__u64 patch_id;		/* out: id for HD_IOC_REVERT, > 0 */
	__u32 fail_reason;	/* out: enum hd_fail */
	__u32 fail_tid;		/* out: thread concerned, or 0 */
	__u32 fail_func;	/* out: index into funcs, or ~0 */
	__u32 attempts_made;	/* out: stops made */
	__u32 nr_threads;	/* out: threads stopped in the last stop */
	__u32 __reserved;	/* in: must be 0 */
	struct hd_timing timing; /* out: the last stop */
	__u64 data;		/* in: pointer to the initial data, or 0 */
	__u64 data_size;	/* in: 0..HD_MAX_DATA_SIZE */
	__u64 precheck_ns;	/* out: the sleeping threads' check, before
				 * the stop: not in pause_ns
				 */
	__u64 pause_start_ns;	/* out: CLOCK_MONOTONIC when the last
				 * stop began, or 0
				 */
	__u64 fail_addr;	/* out: HD_FAIL_MEMORY's word, or 0 */
	__u64 scan_bytes;	/* out: memory the last stop scanned */
	__s32 mem_fd;		/* in: the target's /proc/PID/mem, open: the
				 * proof that the caller may debug it
				 */
	__u32 __reserved2;	/* in: must be 0 */
};

#define HD_APPLY_SIZE_VER0	144
#define HD_APPLY_SIZE_VER1	160	/* data, data_size */
#define HD_APPLY_SIZE_VER2	168	/* precheck_ns */
#define HD_APPLY_SIZE_VER3	176	/* pause_start_ns */
#define HD_APPLY_SIZE_VER4	192	/* fail_addr, scan_bytes */
#define HD_APPLY_SIZE_VER5	200	/* mem_fd: required from now on */

#define HD_IOC_APPLY		_IO(HD_IOC_MAGIC, 0x01)

/*
 * HD_IOC_REVERT: restore the bytes a patch replaced once no thread
 * executes or returns into its code (checked as for an apply, the memory
 * scan too).  Only the most recent patch of a target can be reverted
 * (patches stack).  The code is never unmapped: function pointers the new
 * code stored (callbacks, atexit, objects on the heap) may still lead
 * into it, so it stays mapped, read-only and executable, as a retired
 * patch (HD_PATCH_RETIRED in HD_IOC_LIST) until the process exits or
 * execs.  Needs CAP_SYS_PTRACE and mem_fd, as HD_IOC_APPLY.
 *
 * The stack scan is conservative: a stale return address left in a live
 * frame counts.  With HD_REVERT_FORCE, when the last attempt still finds a
 * thread that may execute or return into the code, the functions are
 * restored all the same (HD_REVERT_CODE_KEPT, kept_tid: that thread runs
 * on in the retired code).
 */
#define HD_REVERT_FORCE		(1U << 0)
#define HD_REVERT_THREAD_STACKS	(1U << 1)	/* as HD_APPLY_THREAD_STACKS */
#define HD_REVERT_FLAGS		(HD_REVERT_FORCE | HD_REVERT_THREAD_STACKS)

/* out_flags */
#define HD_REVERT_CODE_KEPT	(1U << 0)	/* the code was left mapped */

struct hd_revert {
	__u32 size;		/* in: sizeof(struct hd_revert) */
	__u32 flags;		/* in: HD_REVERT_* */
	__u32 pid;		/* in: target thread group */
	__u32 attempts;		/* in: as in struct hd_apply */
	__u64 patch_id;		/* in: patch to revert, 0 = the most recent */
	__u32 retry_delay_ms;	/* in: as in struct hd_apply */
	__u32 timeout_ms;	/* in: as in struct hd_apply */
	__u64 reverted_id;	/* out: the patch reverted */
	__u32 fail_reason;	/* out: enum hd_fail */
	__u32 fail_tid;		/* out: thread concerned, or 0 */
	__u32 fail_func;	/* out: index of the redirect concerned, or ~0 */
	__u32 attempts_made;	/* out: stops made */
	__u32 nr_threads;	/* out: threads stopped in the last stop */
	__u32 __reserved;	/* in: must be 0 */
	struct hd_timing timing; /* out: the last stop */
	__u32 out_flags;	/* out: HD_REVERT_CODE_KEPT */
	__u32 kept_tid;		/* out: a thread that may still use the code */
	__u64 precheck_ns;	/* out: as in struct hd_apply */
	__u64 pause_start_ns;	/* out: as in struct hd_apply */
	__u64 fail_addr;	/* out: as in struct hd_apply */
	__u64 scan_bytes;	/* out: as in struct hd_apply */
	__s32 mem_fd;		/* in: as in struct hd_apply */
	__u32 __reserved2;	/* in: must be 0 */
};

#define HD_REVERT_SIZE_VER0	112
#define HD_REVERT_SIZE_VER1	120	/* out_flags, kept_tid */
#define HD_REVERT_SIZE_VER2	128	/* precheck_ns */
#define HD_REVERT_SIZE_VER3	136	/* pause_start_ns */
#define HD_REVERT_SIZE_VER4	152	/* fail_addr, scan_bytes */
#define HD_REVERT_SIZE_VER5	160	/* mem_fd: required from now on */

#define HD_IOC_REVERT		_IO(HD_IOC_MAGIC, 0x02)

/* hd_patch_info flags */
#define HD_PATCH_RETIRED	(1U << 0)	/* reverted; its code still mapped */

/*
 * One patch, as HD_IOC_LIST reports it: applied, or retired (reverted,
 * with no redirects, its code and data still mapped: map_size bytes).
 */
struct hd_patch_info {
	__u64 patch_id;
	__u64 code_addr;	/* where its code is mapped */
	__u64 code_size;	/* bytes of code (the mapping is page-rounded) */
	__u64 applied_ns;	/* CLOCK_REALTIME of the apply */
	__u32 nr_funcs;		/* redirects, entries in funcs of HD_IOC_LIST */
	__u32 flags;		/* HD_PATCH_* */
	__u64 map_size;		/* bytes mapped: code and data, page-rounded */
};

#define HD_PATCH_INFO_SIZE_VER0	40
#define HD_PATCH_INFO_SIZE_VER1	48	/* flags, map_size */

/* One redirect of an applied patch, as HD_IOC_LIST reports it. */
struct hd_func_info {
	__u64 patch_id;
	__u64 old_addr;
	__u64 new_addr;
};

/*
 * HD_IOC_LIST: the patches applied to a target, oldest first, then the
 * retired ones, oldest first.  Fills up to
 * nr_patches / nr_funcs entries and returns the totals in the same fields,
 * so a caller can size its arrays with a first call with 0 entries.
 * Redirects are listed patch by patch, in each patch's order.
 */
struct hd_list {
	__u32 size;		/* in: sizeof(struct hd_list) */
	__u32 flags;		/* in: must be 0 */
	__u32 pid;		/* in: target thread group */
	__u32 nr_patches;	/* in: room at patches; out: patches applied */
	__u64 patches;		/* in: pointer to struct hd_patch_info[] */
	__u64 funcs;		/* in: pointer to struct hd_func_info[] */
	__u32 nr_funcs;		/* in: room at funcs; out: redirects in all */
	__u32 info_size;	/* in: sizeof(struct hd_patch_info) at
				 * patches, 0 for HD_PATCH_INFO_SIZE_VER0
				 */
	__s32 mem_fd;		/* in: as in struct hd_apply */
	__u32 __reserved;	/* in: must be 0 */
};

#define HD_LIST_SIZE_VER0	40
#define HD_LIST_SIZE_VER1	48	/* mem_fd: required from now on */

#define HD_IOC_LIST		_IO(HD_IOC_MAGIC, 0x03)

#endif /* _UAPI_LINUX_HOTDEPLOY_H */
