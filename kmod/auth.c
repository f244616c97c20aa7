// SPDX-License-Identifier: GPL-2.0
/*
 * Who may patch a process, and the record of what was done.
 *
 * Patching writes into another process as a debugger does, so the system's
 * policy for debuggers decides: CAP_SYS_PTRACE, Yama's ptrace_scope,
 * SELinux, AppArmor.  Modules cannot ask it (ptrace_may_access() is not
 * exported), but the kernel asks it whenever /proc/PID/mem is opened
 * (PTRACE_MODE_ATTACH_FSCREDS, for reading and writing alike), and the
 * open file keeps the mm it was opened for.  So every request carries such
 * a file, open, as its proof; a request for another process, or for an
 * image the target has since replaced by exec, does not match.
 * Documentation/security.rst.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/audit.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/sched/task.h>
#include <linux/string.h>

#include "auth.h"

/* Whether @f is a /proc/PID/mem (or /proc/PID/task/TID/mem) file. */
static bool hd_is_proc_mem(struct file *f)
{
	struct dentry *d = f->f_path.dentry;

	return d->d_sb->s_magic == PROC_SUPER_MAGIC &&
	       !strcmp(d->d_name.name, "mem");
}

/*
 * @mem_fd, in a request of @usize bytes (the field exists from @ver on),
 * must be the caller's open /proc/PID/mem of the process whose address
 * space is @mm.  0, -EPERM with no proof, -EBADF, or -EACCES for a file
 * that proves nothing about this process.
 */
int hd_auth_check(u32 usize, u32 ver, s32 mem_fd, struct mm_struct *mm)
{
	struct file *f;
	int ret = -EACCES;

	if (usize < ver)
		return -EPERM;
	f = fget(mem_fd);
	if (!f)
		return -EBADF;
	if (hd_is_proc_mem(f) && f->private_data == mm)
		ret = 0;
	fput(f);
	return ret;
}

/*
 * One line in the kernel log and one audit record per apply, revert and
 * refusal: who asked, which process, what, and how it ended.  The command
 * name is the target's to choose, so the audit record has it in hex.
 */
void hd_audit(const char *op, struct task_struct *leader, u64 patch_id,
	      u32 nr_funcs, int result)
{
	char comm[TASK_COMM_LEN], by[TASK_COMM_LEN];
	struct audit_buffer *ab;
	pid_t pid = task_tgid_nr(leader);

	get_task_comm(comm, leader);
	get_task_comm(by, current);
	pr_info("%s pid %d (%s) by pid %d (%s) uid %u: patch %llu, %u function%s, %s (%d)\n",
		op, pid, comm, task_tgid_nr(current), by,
		from_kuid(&init_user_ns, current_uid()), patch_id, nr_funcs,
		nr_funcs == 1 ? "" : "s", result ? "refused" : "done", result);
	if (!audit_enabled)
		return;
	ab = audit_log_start(audit_context(), GFP_KERNEL, AUDIT_KERNEL_OTHER);
	if (!ab)
		return;
	audit_log_format(ab, "op=hotdeploy_%s pid=%d comm=%*phN", op, pid,
			 (int)strnlen(comm, sizeof(comm)), comm);
	audit_log_format(ab, " patch=%llu funcs=%u by_pid=%d by_uid=%u res=%d errno=%d",
			 patch_id, nr_funcs, task_tgid_nr(current),
			 from_kuid(&init_user_ns, current_uid()), !result,
			 -result);
	audit_log_end(ab);
}
