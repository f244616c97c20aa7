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
 * copy-on-write like the program's own.
 */
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmap_lock.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
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

/*
 * Mapping and unmapping run in a kernel thread that adopts the target's mm
 * (kthread_use_mm()), before the stop and after it, so that neither is
 * part of the pause: nothing leads into a new mapping until the jumps are
 * written, and a revert unmaps only code that no thread can reach any
 * more.  One worker serves every request, one at a time, on the CPUs the
 * caller may run on: where the operator runs hdctl, not on the target's
 * CPUs, whose threads it would preempt.
 */
static struct kthread_worker *hd_map_worker;
static DEFINE_MUTEX(hd_map_lock);	/* the worker's affinity, per request */

struct hd_map_cmd {
	struct kthread_work work;
	struct mm_struct *mm;
	int (*fn)(struct hd_map_cmd *c);
	struct file *file;
	unsigned long addr;
	unsigned long len;	/* code, or everything on unmap */
	unsigned long data_len;
	unsigned long deadline;	/* jiffies */
	int ret;
};

static void hd_map_work(struct kthread_work *work)
{
	struct hd_map_cmd *c = container_of(work, struct hd_map_cmd, work);

	/*
	 * In a kernel thread nothing can interrupt vm_mmap()'s wait for the
	 * mmap_lock: wait for it to be free first, within the caller's time.
	 */
	if (!hd_mm_wait_free(c->mm, c->deadline)) {
		c->ret = -ETIMEDOUT;
		return;
	}
	kthread_use_mm(c->mm);
	c->ret = c->fn(c);
	kthread_unuse_mm(c->mm);
}

/* Run @c->fn in the worker, in @c->mm; the caller holds mm_users. */
static int hd_map_run(struct hd_map_cmd *c, unsigned int timeout_ms)
{
	c->deadline = jiffies + msecs_to_jiffies(timeout_ms);
	kthread_init_work(&c->work, hd_map_work);
	mutex_lock(&hd_map_lock);
	/* Best effort: if it fails the worker runs where it may. */
	set_cpus_allowed_ptr(hd_map_worker->task, current->cpus_ptr);
	kthread_queue_work(hd_map_worker, &c->work);
	kthread_flush_work(&c->work);
	mutex_unlock(&hd_map_lock);
	return c->ret;
}

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

/* In the worker: current->mm is the target's. */
static int hd_map_in_target(struct hd_map_cmd *c)
{
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

/*
 * Whether [addr, addr + len) is still exactly our mapping of @file, each
 * page at its own offset.
 */
static bool hd_map_intact_locked(struct mm_struct *mm, struct file *file,
				 unsigned long addr, unsigned long len)
{
	unsigned long start = addr, end = addr + len;
	struct vm_area_struct *vma;

	hd_mmap_assert_locked(mm);
	while (addr < end) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr || vma->vm_file != file ||
		    vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT) !=
		    (addr - start) >> PAGE_SHIFT)
			return false;
		addr = vma->vm_end;
	}
	return true;
}

/*
 * In the worker.  Unmaps only what is still our mapping: a program that
 * unmapped or mapped over the code keeps what it put there.  The check and
 * vm_munmap() take the mmap_lock one after the other (nothing exported
 * unmaps under a lock the caller holds), so a program that replaced the
 * range in that instant would lose its mapping.
 */
static int hd_unmap_in_target(struct hd_map_cmd *c)
{
	bool intact;

	mmap_read_lock(c->mm);
	intact = hd_map_intact_locked(c->mm, c->file, c->addr, c->len);
	mmap_read_unlock(c->mm);
	if (!intact)
		return -ENOENT;
	return vm_munmap(c->addr, c->len);
}

/* Map the code, and the data if any.  0, -ETIMEDOUT (mmap_lock) or -errno. */
int hd_code_map(struct mm_struct *mm, struct file *file, unsigned long addr,
		unsigned long code_len, unsigned long data_len,
		unsigned int timeout_ms)
{
	struct hd_map_cmd c = { .mm = mm, .fn = hd_map_in_target,
				.file = file, .addr = addr, .len = code_len,
				.data_len = data_len };

	return hd_map_run(&c, timeout_ms);
}

int hd_code_unmap(struct mm_struct *mm, struct file *file, unsigned long addr,
		  unsigned long len, unsigned int timeout_ms)
{
	struct hd_map_cmd c = { .mm = mm, .fn = hd_unmap_in_target,
				.file = file, .addr = addr, .len = len };

	return hd_map_run(&c, timeout_ms);
}

/*
 * In the stop: the code and data are still mapped where they were put.  A
 * program cannot know the address, but it may unmap or map over anything.
 */
bool hd_code_intact(struct mm_struct *mm, struct file *file,
		    unsigned long addr, unsigned long len)
{
	bool intact;

	mmap_read_lock(mm);
	intact = hd_map_intact_locked(mm, file, addr, len);
	mmap_read_unlock(mm);
	return intact;
}

int hd_map_init(void)
{
	hd_map_worker = kthread_create_worker(0, "hotdeploy");
	return PTR_ERR_OR_ZERO(hd_map_worker);
}

void hd_map_exit(void)
{
	kthread_destroy_worker(hd_map_worker);
}
