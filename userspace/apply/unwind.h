/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A patch's unwind tables in a live process.  The .eh_frame sections of
 * a .hdp (the FDEs of its functions) are placed with its code; nothing
 * in the process knows them until they are registered with the
 * process's own unwinder (libgcc's __register_frame_info()).  The process
 * does that itself, the first time a thread enters any of the patch's
 * functions: each redirect goes to an entry that registers the tables
 * once, then jumps to the function (apply/unwind_entry.S).
 */
#ifndef HD_APPLY_UNWIND_H
#define HD_APPLY_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/hotdeploy.h>

#include "base/error.h"

#define HD_UNWIND_MAX_TABLES	1024
#define HD_UNWIND_ENTRY_SIZE	32
/* libgcc's struct object is 48 bytes; room for what a later one adds. */
#define HD_UNWIND_OBJECT_SIZE	128

struct hd_proc;

struct hd_unwind {
	size_t ntables;
	uint64_t table[HD_UNWIND_MAX_TABLES];	/* image offsets */
	uint64_t table_size[HD_UNWIND_MAX_TABLES];
	bool exceptions;	/* a CIE names a personality routine */
	uint64_t register_fn;	/* __register_frame_info, 0: none loaded */
	/* Where apply puts the entries (code) and the state (data). */
	uint64_t code_off, code_size;
	uint64_t data_off, data_size;
};

/*
 * Whether the tables need a personality routine, and the process's
 * unwinder: 0, or -1 with @err set when the patch has exception tables
 * and the process no unwinder to register them with.
 */
int hd_unwind_resolve(struct hd_unwind *u, const uint8_t *image,
		      const struct hd_proc *proc, struct hd_error *err);
/* Code and data bytes the entries for @nfuncs redirects need. */
void hd_unwind_size(struct hd_unwind *u, size_t nfuncs);
/*
 * With an unwinder to register with: write the entries into @image (to
 * live at @addr; code_off and data_off are image offsets), and point
 * each redirect of @funcs at its entry.
 */
void hd_unwind_write(const struct hd_unwind *u, uint8_t *image,
		     uint64_t addr, struct hd_func *funcs, size_t nfuncs);

#endif /* HD_APPLY_UNWIND_H */
