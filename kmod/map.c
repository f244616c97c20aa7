// SPDX-License-Identifier: GPL-2.0
/*
 * New code, into the target.
 *
 * The caller's bytes are copied once, before the target is stopped, into a
 * private shmem file named "hotdeploy:ID": later changes to the caller's
 * buffer cannot reach the target, and the mapping shows up in
 * /proc/PID/maps as "/hotdeploy:ID (deleted)".  The code is mapped
 * MAP_PRIVATE, PROT_READ | PROT_EXEC, and the patch's new data, if any,
 * from the next page of the same file MAP_PRIVATE, PROT_READ | PROT_WRITE:
 * nothing is ever writable and executable at once, and the data is
 * copy-on-write like the program's own.  vm_mmap() only maps into
 * current->mm, so the mapping is done by the rendezvous' agent, a parked
 * thread of the target.
 */
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "map.h"
#include "rendezvous.h"

/* Copy @size bytes from the caller into @file at *@pos, a page at a time. */
static int hd_file_fill(struct file *file, void *buf, const void __user *src,
			size_t size, loff_t *pos)
{
	size_t done = 0;

	while (done < size) {
		size_t chunk = min_t(size_t, size - done, PAGE_SIZE);
		ssize_t n;

		if (copy_from_user(buf, src + done, chunk))
			return -EFAULT;
		n = kernel_write(file, buf, chunk, pos);
		if (n != chunk)
			return n < 0 ? n : -EIO;
		if (fatal_signal_pending(current))
			return -EINTR;
		done += chunk;
	}
	return 0;
}

struct file *hd_code_file(u64 id, const void __user *code, size_t code_size,
			  const void __user *data, size_t data_size)
{
	loff_t data_off = PAGE_ALIGN(code_size), pos = 0;
	struct file *file;
	char name[32];
	void *buf;
	int ret;

	snprintf(name, sizeof(name), "hotdeploy:%llu", id);
	file = shmem_file_setup(name, data_off + data_size, VM_NORESERVE);
	if (IS_ERR(file))
		return file;
	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto err_file;
	}
	ret = hd_file_fill(file, buf, code, code_size, &pos);
	if (ret)
		goto err_buf;
	pos = data_off;
	ret = hd_file_fill(file, buf, data, data_size, &pos);
	if (ret)
		goto err_buf;
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
	unsigned long len;	/* code, or everything on unmap */
	unsigned long data_len;
};

static int hd_map_one(struct file *file, unsigned long addr,
		      unsigned long len, unsigned long prot, unsigned long off)
{
	unsigned long got;

	got = vm_mmap(file, addr, len, prot, MAP_PRIVATE | MAP_FIXED_NOREPLACE,
		      off);
	if (IS_ERR_VALUE(got))
		return (int)got;
	if (got != addr) {
		/* Kernels without MAP_FIXED_NOREPLACE treat it as a hint. */
		vm_munmap(got, len);
		return -EEXIST;
	}
	return 0;
}

/* Runs in the agent: current->mm is the target's. */
static int hd_map_in_target(void *arg)
{
	struct hd_map_cmd *c = arg;
	int ret;

	ret = hd_map_one(c->file, c->addr, c->len, PROT_READ | PROT_EXEC, 0);
	if (ret || !c->data_len)
		return ret;
	ret = hd_map_one(c->file, c->addr + c->len, c->data_len,
			 PROT_READ | PROT_WRITE, c->len);
	if (ret)
		vm_munmap(c->addr, c->len);
	return ret;
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
		unsigned long code_len, unsigned long data_len)
{
	struct hd_map_cmd c = { .file = file, .addr = addr, .len = code_len,
				.data_len = data_len };

	return hd_rv_call(rv, hd_map_in_target, &c);
}

int hd_code_unmap(struct hd_rv *rv, struct file *file, unsigned long addr,
		  unsigned long len)
{
	struct hd_map_cmd c = { .file = file, .addr = addr, .len = len };

	return hd_rv_call(rv, hd_unmap_in_target, &c);
}
