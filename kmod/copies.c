// SPDX-License-Identifier: GPL-2.0
/*
 * Dropping the target's private copies of the text pages that got a jump.
 *
 * Writing a jump into a page of a private file mapping gives the process
 * its own copy of the page, as PTRACE_POKETEXT does (made before the stop,
 * by hd_swap_prefault()).  After a revert, and after an apply that failed,
 * hd_copies_drop() drops every copy that holds the file's bytes again, so
 * that the process shares the page cache's page once more, as before the
 * patch, and the next patch starts from it.  (Under emulation, QEMU's TCG,
 * that matters: every store into a page that has run costs a search of the
 * translations made from it, and a new copy has none.)
 *
 * A copy is only dropped when it equals the file's page byte for byte,
 * seen under the mmap_lock held for writing in a mapping that is not
 * writable, where nothing can change it: after the drop the process reads
 * exactly what it read before.  The file's page was just read, so a thread
 * running that code takes a minor fault, not a major one.  Locked, shared,
 * writable and userfaultfd mappings are left alone.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/slab.h>
#include <linux/userfaultfd_k.h>

#include "compat.h"
#include "copies.h"
#include "text.h"

/* A mapping whose private copies may be dropped. */
static bool hd_copies_vma_ok(struct vm_area_struct *vma, unsigned long addr)
{
	return vma && vma->vm_start <= addr && vma->vm_file &&
	       (vma->vm_flags & VM_EXEC) &&
	       !(vma->vm_flags & (VM_WRITE | VM_SHARED | VM_LOCKED |
				  VM_PFNMAP | VM_IO | VM_HUGETLB)) &&
	       !userfaultfd_armed(vma);
}

static loff_t hd_copies_pos(struct vm_area_struct *vma, unsigned long addr)
{
	return ((loff_t)vma->vm_pgoff << PAGE_SHIFT) + (addr - vma->vm_start);
}

/*
 * Drop the private copy of the page at @addr if it holds what the file
 * holds.  @buf is a page.  Best effort: whatever fails, the copy stays.
 */
static void hd_copies_drop_one(struct mm_struct *mm, unsigned long addr,
			       void *buf)
{
	struct vm_area_struct *vma;
	struct file *file;
	struct page *page;
	loff_t pos, at;
	bool same;
	ssize_t n;
	u8 *kaddr;

	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (!hd_copies_vma_ok(vma, addr)) {
		mmap_read_unlock(mm);
		return;
	}
	file = get_file(vma->vm_file);
	pos = hd_copies_pos(vma, addr);
	mmap_read_unlock(mm);

	/* Read outside the lock: the file's page may have to come from disk. */
	at = pos;
	n = kernel_read(file, buf, PAGE_SIZE, &at);
	if (n < 0)
		goto out;
	memset(buf + n, 0, PAGE_SIZE - n);	/* past the end: zeros */

	if (mmap_write_lock_killable(mm))
		goto out;
	vma = find_vma(mm, addr);
	if (!hd_copies_vma_ok(vma, addr) || vma->vm_file != file ||
	    hd_copies_pos(vma, addr) != pos)
		goto unlock;
	if (hd_get_user_pages_remote(mm, addr, 1, FOLL_FORCE, &page) != 1)
		goto unlock;
	same = false;
	if (PageAnon(page)) {
		kaddr = kmap_local_page(page);
		same = !memcmp(kaddr, buf, PAGE_SIZE);
		kunmap_local(kaddr);
	}
	put_page(page);
	if (same)
		hd_zap_page_range(vma, addr, PAGE_SIZE);
unlock:
	mmap_write_unlock(mm);
out:
	fput(file);
}

/* After the threads run again: share what equals the file once more. */
void hd_copies_drop(struct mm_struct *mm, const struct hd_swap *sw)
{
	const unsigned long *pg;
	unsigned int nr, i;
	void *buf;

	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return;		/* the copies stay, as they are */
	pg = hd_swap_pages(sw, &nr);
	for (i = 0; i < nr; i++)
		hd_copies_drop_one(mm, pg[i], buf);
	kfree(buf);
}
