/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86-64 relocation of patch code at its final address in the target.
 * hdctl lays the patch out, resolves every symbol to a runtime address,
 * and this writes the final bytes: the kernel only ever sees the result.
 */
#ifndef HD_RELOC_H
#define HD_RELOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* x86-64's jmp rel32, the redirect written over an old function. */
#define HD_X86_JMP_SIZE		5

struct hd_reloc {
	uint64_t offset;	/* where, in the image */
	uint32_t type;		/* R_X86_64_* */
	int64_t addend;
	uint64_t value;		/* S: the symbol's runtime address; for a
				 * thread-local, its offset in its block
				 */
	const char *name;	/* for messages */
	/* Thread-locals (hd_reloc_is_tls()): where the block is. */
	uint64_t tls_module;	/* its TLS module id, 0: not known */
	bool tls_static;	/* in static TLS: tls_offset is known */
	uint64_t tls_offset;	/* thread pointer - block start */
};

/*
 * Slots and stubs the patch brings along, at the end of its read-only,
 * executable image: an 8-byte slot holding an address for each symbol
 * reached through the GOT, and a 16-byte "jmp *slot(%rip)" stub for each
 * call whose target is beyond rel32 reach (shared libraries, usually).
 * A thread-local's GOT entries are slots too: its thread-pointer offset
 * (initial-exec), or the pair __tls_get_addr() reads (module id, offset)
 * in a slot and the 8 bytes after it.
 */
struct hd_stubs {
	uint64_t base;		/* image offset of the slot/stub area */
	size_t cap;		/* entries that fit there */
	size_t n;
	uint64_t *value;	/* [cap] the address each entry stands for */
	uint8_t *kind;		/* [cap] HD_ENTRY_*: what entry i holds */
};

#define HD_STUB_ENTRY_SIZE	24	/* 8-byte slot + 16-byte stub */
#define HD_ENTRY_SLOT		0	/* a slot only */
#define HD_ENTRY_STUB		1	/* a slot and its stub */
#define HD_ENTRY_TLS_PAIR	2	/* module id, then the offset */

/*
 * Bytes a relocation of @type fills in the code, for every type hdctl
 * understands; 0 for one it does not.  hd_reloc_apply() handles all of
 * them; the thread-local ones (hd_reloc_is_tls(): local-exec, initial-
 * exec, general and local dynamic) need the tls_ fields.
 */
unsigned int hd_reloc_width(uint32_t type);
/* The field holds a distance from itself (S + A - P, or GOT + A - P). */
bool hd_reloc_pc_relative(uint32_t type);
/* The field refers to the GOT or a GOT entry rather than to the symbol. */
bool hd_reloc_via_got(uint32_t type);
int hd_reloc_is_tls(uint32_t type);

/*
 * The worst-case number of stub entries @rel can need: one per distinct
 * value reached through the GOT or by a call.
 */
size_t hd_reloc_stub_entries(const struct hd_reloc *rel, size_t n);

/*
 * Apply @n relocations to @image (@size bytes, to live at @addr), using
 * @stubs for GOT slots and far calls.  Returns 0, or -ERANGE (a value
 * does not fit its field; @err says which), -EOPNOTSUPP (a relocation
 * type it does not handle), -EINVAL (an offset outside the image).
 */
int hd_reloc_apply(uint8_t *image, size_t size, uint64_t addr,
		   const struct hd_reloc *rel, size_t n,
		   struct hd_stubs *stubs, struct hd_error *err);

#endif /* HD_RELOC_H */
