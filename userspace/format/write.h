/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The emit stage of hdctl diff: an in-memory model of the .hdp (sections,
 * symbols, relocations, the function and resolution tables) that the
 * include stage fills and hd_emit_write() turns into the ELF file.
 */
#ifndef HD_EMIT_H
#define HD_EMIT_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct hd_emit;

struct hd_emit *hd_emit_new(const uint8_t *build_id, size_t build_id_len,
			    const char *target);
void hd_emit_free(struct hd_emit *em);

/* Each returns an id (>= 0), or -1 when out of memory. */
long hd_emit_section(struct hd_emit *em, const char *name, uint32_t type,
		     uint64_t flags, uint64_t align, const void *buf,
		     uint64_t size);
long hd_emit_defined(struct hd_emit *em, const char *name, int bind,
		     int type, long sec, uint64_t value, uint64_t size);
/* The section symbol of section @sec. */
long hd_emit_secsym(struct hd_emit *em, long sec);
/* An undefined symbol resolved at apply time (HDP_SYM_*), deduplicated. */
long hd_emit_undef(struct hd_emit *em, const char *name, uint32_t kind,
		   uint64_t addr);
int hd_emit_rela(struct hd_emit *em, long sec, uint64_t off, uint32_t type,
		 int64_t addend, long sym);
/*
 * A function of the patch: new (@old_addr 0) or replacing the one at
 * @old_addr.  0, or -EEXIST when another function of the patch already
 * replaces @old_addr with other code (aliases split apart), -1 on OOM.
 */
int hd_emit_func(struct hd_emit *em, long sym, uint32_t flags,
		 const char *old_name, uint64_t old_addr, uint64_t old_size,
		 uint64_t old_hash);
size_t hd_emit_nfuncs(const struct hd_emit *em);

/* Write the .hdp to @path.  0, or a negative errno with @err set. */
int hd_emit_write(struct hd_emit *em, const char *path, struct hd_error *err);

#endif /* HD_EMIT_H */
