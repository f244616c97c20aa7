/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels the module builds on: 5.10 (Debian 11),
 * 6.1 (Debian 12), 6.12 (Debian 13 and bookworm-backports, PREEMPT_RT
 * too).  Only here, keyed on the release that changed an API.  The code
 * uses the newer spelling where the older kernels can be given it, an hd_
 * name where the spellings clash, and whatever exists on all of them
 * everywhere else.
 */
#ifndef _HD_COMPAT_H
#define _HD_COMPAT_H

#include <linux/highmem.h>
#include <linux/mm.h>		/* 5.10's mmap_lock.h needs it first */
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/version.h>

/* 6.12 moved the unaligned accessors out of asm/. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/*
 * 5.11 added kmap_local_page().  Before it, kmap_atomic() also disables
 * preemption and page faults; every mapping here only copies or compares
 * bytes, so neither matters.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 11, 0)
#define kmap_local_page(page)	kmap_atomic(page)
#define kunmap_local(addr)	kunmap_atomic(addr)
#endif

/* 5.12 added krealloc_array(). */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 12, 0)
static inline void *__must_check krealloc_array(void *p, size_t n,
						size_t size, gfp_t flags)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return krealloc(p, bytes, flags);
}
#endif

/* 5.14 renamed task_struct.state to __state, to catch unlocked readers. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 14, 0)
#define hd_task_state(t)	READ_ONCE((t)->__state)
#else
#define hd_task_state(t)	READ_ONCE((t)->state)
#endif

/*
 * 6.5 dropped the vmas argument of the remote GUP calls.  @mm's mmap_lock
 * is held by the caller on every kernel (no @locked).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define hd_get_user_pages_remote(mm, start, nr, flags, pages) \
	get_user_pages_remote(mm, start, nr, flags, pages, NULL)
#define hd_pin_user_pages_remote(mm, start, nr, flags, pages) \
	pin_user_pages_remote(mm, start, nr, flags, pages, NULL)
#else
#define hd_get_user_pages_remote(mm, start, nr, flags, pages) \
	get_user_pages_remote(mm, start, nr, flags, pages, NULL, NULL)
#define hd_pin_user_pages_remote(mm, start, nr, flags, pages) \
	pin_user_pages_remote(mm, start, nr, flags, pages, NULL, NULL)
#endif

/*
 * 6.3 removed zap_page_range(); zap_page_range_single(), the same for a
 * range inside one mapping, is exported from then on (not before).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define hd_zap_page_range(vma, addr, size) \
	zap_page_range_single(vma, addr, size, NULL)
#else
#define hd_zap_page_range(vma, addr, size) zap_page_range(vma, addr, size)
#endif

/*
 * mmap_assert_locked() reports through dump_mm() under CONFIG_DEBUG_VM,
 * which no kernel here exports: the module would not load on a debug
 * kernel.  lockdep checks the same rwsem, on every kernel.
 */
#define hd_mmap_assert_locked(mm)	lockdep_assert_held(&(mm)->mmap_lock)

#endif /* _HD_COMPAT_H */
