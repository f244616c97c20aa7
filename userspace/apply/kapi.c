// SPDX-License-Identifier: GPL-2.0
/*
 * The module's requests.  What each refusal means is apply/explain.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "apply/kapi.h"

int hd_kernel_version(int fd, struct hd_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	return ioctl(fd, HD_IOC_VERSION, v) ? -errno : 0;
}

int hd_proc_mem_open(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	return fd;
}

int hd_kernel_apply(int fd, int mem, struct hd_apply *a)
{
	a->size = sizeof(*a);
	a->mem_fd = mem;
	return ioctl(fd, HD_IOC_APPLY, a) ? -errno : 0;
}

int hd_kernel_revert(int fd, int mem, struct hd_revert *r)
{
	r->size = sizeof(*r);
	r->mem_fd = mem;
	return ioctl(fd, HD_IOC_REVERT, r) ? -errno : 0;
}

int hd_kernel_list(int fd, pid_t pid, struct hd_patch_info **patches,
		   __u32 *np, struct hd_func_info **funcs, __u32 *nf)
{
	struct hd_list l;
	int tries, mem;

	*patches = NULL;
	*funcs = NULL;
	mem = hd_proc_mem_open(pid);
	if (mem < 0)
		return mem;
	/* Sized by a first call; patches may come and go in between. */
	for (tries = 0; tries < 8; tries++) {
		__u32 want_p, want_f;

		memset(&l, 0, sizeof(l));
		l.size = sizeof(l);
		l.pid = pid;
		l.info_size = sizeof(**patches);
		l.mem_fd = mem;
		if (ioctl(fd, HD_IOC_LIST, &l))
			goto err;
		want_p = l.nr_patches;
		want_f = l.nr_funcs;
		free(*patches);
		free(*funcs);
		*patches = calloc(want_p + 1, sizeof(**patches));
		*funcs = calloc(want_f + 1, sizeof(**funcs));
		if (!*patches || !*funcs)
			goto nomem;
		l.patches = (uintptr_t)*patches;
		l.funcs = (uintptr_t)*funcs;
		if (ioctl(fd, HD_IOC_LIST, &l))
			goto err;
		if (l.nr_patches <= want_p && l.nr_funcs <= want_f) {
			*np = l.nr_patches;
			*nf = l.nr_funcs;
			close(mem);
			return 0;
		}
	}
	errno = EAGAIN;
err:
	tries = -errno;
	close(mem);
	free(*patches);
	free(*funcs);
	*patches = NULL;
	*funcs = NULL;
	return tries;
nomem:
	errno = ENOMEM;
	goto err;
}
