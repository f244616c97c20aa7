// SPDX-License-Identifier: GPL-2.0
/*
 * New code, into the target.
 *
 * The caller's bytes are copied once, before the target is stopped, into a
 * private shmem file named "hotdeploy:ID": later changes to the caller's
 * buffer cannot reach the target, and the mapping shows up in
 * /proc/PID/maps as "/hotdeploy:ID (deleted)".  The file is mapped
 * MAP_PRIVATE, PROT_READ | PROT_EXEC: the code is never writable and
 * executable at once.  vm_mmap() only maps into current->mm, so the
 * mapping is done by the rendezvous' agent, a parked thread of the target.
 */
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "map.h"
#include "rendezvous.h"

struct file *hd_code_file(u64 id, const void __user *code, size_t size)
{
	char name[32];
	struct file *file;
	loff_t pos = 0;
	void *buf;
	int ret = 0;

	snprintf(name, sizeof(name), "hotdeploy:%llu", id);
	file = shmem_file_setup(name, size, VM_NORESERVE);
	if (IS_ERR(file))
		return file;
	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto err_file;
	}
	while (pos < size) {
		size_t chunk = min_t(size_t, size - pos, PAGE_SIZE);
		ssize_t n;

		if (copy_from_user(buf, code + pos, chunk)) {
			ret = -EFAULT;
			goto err_buf;
		}
		n = kernel_write(file, buf, chunk, &pos);
		if (n != chunk) {
			ret = n < 0 ? n : -EIO;
			goto err_buf;
		}
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err_buf;
		}
	}
	kfree(buf);
	return file;

err_buf:
	kfree(buf);
err_file:
	fput(file);
	return ERR_PTR(ret);
}

struct hd_map_cmd {
	struct file *file;
	unsigned long addr;
	unsigned long len;
};

/* Runs in the agent: current->mm is the target's. */
static int hd_map_in_target(void *arg)
{
	struct hd_map_cmd *c = arg;
	unsigned long addr;

	addr = vm_mmap(c->file, c->addr, c->len, PROT_READ | PROT_EXEC,
		       MAP_PRIVATE | MAP_FIXED_NOREPLACE, 0);
	if (IS_ERR_VALUE(addr))
		return (int)addr;
	if (addr != c->addr) {
		/* Kernels without MAP_FIXED_NOREPLACE treat it as a hint. */
		vm_munmap(addr, c->len);
		return -EEXIST;
	}
	return 0;
}

/* Whether [addr, addr + len) is still exactly our mapping of @file. */
static bool hd_map_intact(struct file *file, unsigned long addr,
			  unsigned long len)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	unsigned long end = addr + len;
	bool intact = true;

	mmap_read_lock(mm);
	while (addr < end) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr || vma->vm_file != file) {
			intact = false;
			break;
		}
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return intact;
}

/* Runs in the agent.  Never unmaps what the program put there itself. */
static int hd_unmap_in_target(void *arg)
{
	struct hd_map_cmd *c = arg;

	if (!hd_map_intact(c->file, c->addr, c->len))
		return -ENOENT;
	return vm_munmap(c->addr, c->len);
}

int hd_code_map(struct hd_rv *rv, struct file *file, unsigned long addr,
		unsigned long len)
{
	struct hd_map_cmd c = { .file = file, .addr = addr, .len = len };

	return hd_rv_call(rv, hd_map_in_target, &c);
}

int hd_code_unmap(struct hd_rv *rv, struct file *file, unsigned long addr,
		  unsigned long len)
{
	struct hd_map_cmd c = { .file = file, .addr = addr, .len = len };

	return hd_rv_call(rv, hd_unmap_in_target, &c);
}
