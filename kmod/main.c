// SPDX-License-Identifier: GPL-2.0
/*
 * hotdeploy: live patching of running user-space processes.
 *
 * The misc device /dev/hotdeploy and its ioctl dispatch.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/rcupdate.h>

#include <linux/hotdeploy.h>

#include "map.h"
#include "patch.h"
#include "state.h"
#include "uapi.h"

#define HD_FEATURES	(HD_FEATURE_VERSION | HD_FEATURE_APPLY | \
			 HD_FEATURE_REVERT | HD_FEATURE_LIST | \
			 HD_FEATURE_DATA | HD_FEATURE_REVERT_FORCE | \
			 HD_FEATURE_SCAN_MEMORY | HD_FEATURE_RETIRE | \
			 HD_FEATURE_MEM_PROOF)

static long hd_ioctl_version(void __user *uarg)
{
	struct hd_version args;
	u32 usize;
	int ret;

	ret = hd_copy_args_in(&args, sizeof(args), HD_VERSION_SIZE_VER0,
			      uarg, &usize);
	if (ret)
		return ret;
	if (args.flags || args.__reserved)
		return -EINVAL;

	args.abi_version = HD_ABI_VERSION;
	args.features = HD_FEATURES;
	return hd_copy_args_out(uarg, usize, &args, sizeof(args));
}

static long hd_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case HD_IOC_VERSION:
		return hd_ioctl_version(uarg);
	case HD_IOC_APPLY:
		return hd_ioctl_apply(uarg);
	case HD_IOC_REVERT:
		return hd_ioctl_revert(uarg);
	case HD_IOC_LIST:
		return hd_ioctl_list(uarg);
	default:
		return -ENOTTY;
	}
}

/*
 * Everything this device does amounts to ptrace-level control of another
 * process, so holding the descriptor requires CAP_SYS_PTRACE in the initial
 * user namespace, on top of the node's 0600 mode.
 */
static int hd_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_PTRACE))
		return -EPERM;
	return nonseekable_open(inode, file);
}

static const struct file_operations hd_fops = {
	.owner		= THIS_MODULE,
	.open		= hd_open,
	.unlocked_ioctl	= hd_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	/* No .llseek: after nonseekable_open() lseek fails with ESPIPE. */
};

static struct miscdevice hd_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= HD_DEVICE_NAME,
	.fops	= &hd_fops,
	.mode	= 0600,
};

static int __init hd_init(void)
{
	int ret;

	ret = hd_map_init();
	if (ret)
		return ret;
	ret = misc_register(&hd_misc);
	if (ret)
		hd_map_exit();
	return ret;
}

static void __exit hd_exit(void)
{
	misc_deregister(&hd_misc);
	hd_state_exit();
	hd_map_exit();
	/*
	 * A thread that dropped a stop's last reference in hd_park() is
	 * still on its way out of the module's text; on a preemptible
	 * kernel it may be preempted there, past the RCU read section that
	 * free_module() waits for.  Tasks RCU waits until every task has
	 * scheduled voluntarily, which none does in that tail.  Without
	 * CONFIG_TASKS_RCU (Debian 11) the kernel does not preempt it.
	 */
#ifdef CONFIG_TASKS_RCU
	synchronize_rcu_tasks();
#endif
}

module_init(hd_init);
module_exit(hd_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Live patching of running user-space processes");
MODULE_AUTHOR("The hotdeploy developers");
MODULE_VERSION("0.1");
