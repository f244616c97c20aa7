/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the thread-local variables of a loaded object live in a process:
 * its TLS module id (for __tls_get_addr) and, when it is in the static
 * TLS block, the offset of its block below the thread pointer.
 */
#ifndef HD_APPLY_TLS_H
#define HD_APPLY_TLS_H

#include <stdbool.h>
#include <stdint.h>

#include "apply/procobj.h"
#include "base/error.h"

struct hd_tls {
	uint64_t module;	/* its dtv index; 0 when not known */
	bool has_offset;	/* offset known: the block is in static TLS */
	uint64_t offset;	/* tpoff(x) = x - offset, x its st_value */
};

/*
 * @obj's TLS in @proc: for the main program, from its PT_TLS as the
 * dynamic linker lays it out (module 1, first below the thread pointer);
 * for a library, from the GOT entries the dynamic linker filled for its
 * own code (R_X86_64_DTPMOD64, R_X86_64_TPOFF64).  0, or -ENOENT when
 * @obj has no thread-locals, or another negative errno with @err set.
 */
int hd_tls_of(const struct hd_proc *proc, const struct hd_object *obj,
	      struct hd_tls *tls, struct hd_error *err);

#endif /* HD_APPLY_TLS_H */
