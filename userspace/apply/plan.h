/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The plan of an apply: where a patch's code goes in a live process, its
 * final (relocated) bytes, and the redirects the module is to write.
 */
#ifndef HD_APPLY_PLAN_H
#define HD_APPLY_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include <linux/hotdeploy.h>

#include "apply/unwind.h"
#include "base/error.h"

#define HD_PLAN_MAX_SECS	4096

struct hdp_file;
struct hd_proc;

struct hd_plan {
	uint8_t *image;		/* code and stubs, then data from data_off */
	size_t size;		/* page-rounded */
	size_t data_off;	/* page-rounded code size */
	uint64_t addr;		/* where the image goes in the process */
	uint64_t sec_off[HD_PLAN_MAX_SECS];
	unsigned char placed[HD_PLAN_MAX_SECS];	/* 1: code, 2: data */
	struct hd_func *funcs;	/* the redirects, for HD_IOC_APPLY */
	const char **names;	/* their old functions' names */
	__u32 nfuncs;
	struct hd_unwind unwind;	/* the patch's unwind tables */
};

/*
 * Resolve @f against @proc into @p (zeroed by the caller).  Returns 0, or
 * a negative number with @err set; hd_plan_free() either way.
 */
int hd_plan_make(const struct hdp_file *f, const struct hd_proc *proc,
		 struct hd_plan *p, struct hd_error *err);
void hd_plan_free(struct hd_plan *p);

#endif /* HD_APPLY_PLAN_H */
