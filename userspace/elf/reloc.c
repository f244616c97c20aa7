// SPDX-License-Identifier: GPL-2.0
/*
 * x86-64 relocations, as the psABI defines them, applied to patch code at
 * its final address.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "elf/reloc.h"

#define SLOT_SIZE	8
#define STUB_SIZE	16

static bool fits_s32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static bool is_got_type(uint32_t type)
{
	return type == R_X86_64_GOTPCREL || type == R_X86_64_GOTPCRELX ||
	       type == R_X86_64_REX_GOTPCRELX;
}

static bool is_call_type(uint32_t type)
{
	return type == R_X86_64_PLT32;
}

/* Types that take a slot or a pair of the patch's own GOT. */
static bool takes_entry(uint32_t type)
{
	return is_got_type(type) || is_call_type(type) ||
	       type == R_X86_64_GOTTPOFF || type == R_X86_64_TLSGD ||
	       type == R_X86_64_TLSLD;
}

unsigned int hd_reloc_width(uint32_t type)
{
	switch (type) {
	case R_X86_64_PC8:
		return 1;
	case R_X86_64_64:
	case R_X86_64_PC64:
		return 8;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_32:
	case R_X86_64_32S:
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
		return 4;
	case R_X86_64_DTPOFF64:
		return 8;
	}
	return hd_reloc_is_tls(type) ? 4 : 0;
}

bool hd_reloc_pc_relative(uint32_t type)
{
	switch (type) {
	case R_X86_64_PC8:
	case R_X86_64_PC16:
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_PC64:
		return true;
	}
	return hd_reloc_via_got(type) && type != R_X86_64_GOT32 &&
	       type != R_X86_64_GOT64 && type != R_X86_64_GOTOFF64 &&
	       type != R_X86_64_PLTOFF64;
}

bool hd_reloc_via_got(uint32_t type)
{
	switch (type) {
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
	case R_X86_64_GOTPC32:
	case R_X86_64_GOTOFF64:
	case R_X86_64_GOTPC64:
	case R_X86_64_GOTPCREL64:
	case R_X86_64_GOT32:
	case R_X86_64_GOT64:
	case R_X86_64_PLTOFF64:
		return true;
	}
	return false;
}

int hd_reloc_is_tls(uint32_t type)
{
	return type == R_X86_64_TPOFF32 || type == R_X86_64_GOTTPOFF ||
	       type == R_X86_64_TLSGD || type == R_X86_64_TLSLD ||
	       type == R_X86_64_DTPOFF32 || type == R_X86_64_DTPOFF64;
}

size_t hd_reloc_stub_entries(const struct hd_reloc *rel, size_t n)
{
	size_t i, j, count = 0;

	/* Thread-local entries are counted one each: a bound is enough. */
	for (i = 0; i < n; i++) {
		if (!takes_entry(rel[i].type))
			continue;
		for (j = 0; j < i && !hd_reloc_is_tls(rel[i].type); j++)
			if (takes_entry(rel[j].type) &&
			    !hd_reloc_is_tls(rel[j].type) &&
			    rel[j].value == rel[i].value)
				break;
		if (j == i)
			count++;
	}
	return count;
}

/* Entry i: slot at base + 24 * i, stub right after it. */
static uint64_t slot_off(const struct hd_stubs *s, size_t i)
{
	return s->base + HD_STUB_ENTRY_SIZE * i;
}

static int stub_entry(struct hd_stubs *s, uint8_t *image, uint64_t value,
		      bool want_stub)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->value[i] == value && s->kind[i] != HD_ENTRY_TLS_PAIR)
			break;
	if (i == s->n) {
		if (s->n == s->cap)
			return -ENOSPC;
		s->value[i] = value;
		s->kind[i] = HD_ENTRY_SLOT;
		memcpy(image + slot_off(s, i), &value, SLOT_SIZE);
		s->n++;
	}
	if (want_stub && !s->kind[i]) {
		/* jmp *-14(%rip): the slot just before the stub; int3 padding. */
		static const uint8_t jmp[6] = { 0xff, 0x25, 0xf2, 0xff, 0xff, 0xff };
		uint8_t *stub = image + slot_off(s, i) + SLOT_SIZE;

		memset(stub, 0xcc, STUB_SIZE);
		memcpy(stub, jmp, sizeof(jmp));
		s->kind[i] = HD_ENTRY_STUB;
	}
	return i;
}

/* The tls_index { module, offset } __tls_get_addr() reads, shared. */
static int pair_entry(struct hd_stubs *s, uint8_t *image, uint64_t module,
		      uint64_t offset)
{
	uint64_t have;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->kind[i] != HD_ENTRY_TLS_PAIR || s->value[i] != module)
			continue;
		memcpy(&have, image + slot_off(s, i) + SLOT_SIZE, sizeof(have));
		if (have == offset)
			return i;
	}
	if (s->n == s->cap)
		return -ENOSPC;
	s->value[i] = module;
	s->kind[i] = HD_ENTRY_TLS_PAIR;
	memcpy(image + slot_off(s, i), &module, SLOT_SIZE);
	memcpy(image + slot_off(s, i) + SLOT_SIZE, &offset, sizeof(offset));
	s->n++;
	return i;
}

/*
 * A thread-local's field: its offset from the thread pointer (local- and
 * initial-exec, static TLS only), its offset in its block (the dynamic
 * models' DTPOFF), or a tls_index for __tls_get_addr() (TLSGD, TLSLD).
 */
static int reloc_tls(uint8_t *image, uint64_t addr, const struct hd_reloc *r,
		     struct hd_stubs *stubs, struct hd_error *err)
{
	uint64_t p = addr + r->offset;
	int64_t v;
	int e;

	if ((r->type == R_X86_64_TPOFF32 || r->type == R_X86_64_GOTTPOFF) &&
	    !r->tls_static)
		return hd_fail(err, -EOPNOTSUPP,
			       "the new code reaches thread-local %s from the thread pointer (initial- or local-exec), but its object's thread-locals are not at a known place there",
			       r->name);
	if ((r->type == R_X86_64_TLSGD || r->type == R_X86_64_TLSLD) &&
	    !r->tls_module)
		return hd_fail(err, -EOPNOTSUPP,
			       "the new code calls __tls_get_addr for thread-local %s, but the TLS module id of its object is not known (its own code never asked for it)",
			       r->name);
	switch (r->type) {
	case R_X86_64_TPOFF32:
		v = (int64_t)(r->value - r->tls_offset) + r->addend;
		if (!fits_s32(v))
			goto range;
		put32(image + r->offset, v);
		return 0;
	case R_X86_64_GOTTPOFF:
		e = stub_entry(stubs, image, r->value - r->tls_offset, false);
		break;
	case R_X86_64_TLSGD:
		e = pair_entry(stubs, image, r->tls_module, r->value);
		break;
	case R_X86_64_TLSLD:
		e = pair_entry(stubs, image, r->tls_module, 0);
		break;
	case R_X86_64_DTPOFF32:
		v = (int64_t)r->value + r->addend;
		if (!fits_s32(v))
			goto range;
		put32(image + r->offset, v);
		return 0;
	case R_X86_64_DTPOFF64:
		put64(image + r->offset, r->value + r->addend);
		return 0;
	default:
		return hd_fail(err, -EOPNOTSUPP,
			       "relocation type %u for %s is not supported",
			       r->type, r->name);
	}
	if (e < 0)
		return hd_fail(err, -ENOSPC, "no room for a GOT entry for %s",
			       r->name);
	v = addr + slot_off(stubs, e) + r->addend - p;
	if (!fits_s32(v))
		goto range;
	put32(image + r->offset, v);
	return 0;
range:
	return hd_fail(err, -ERANGE, "thread-local %s: the field of relocation type %u overflows",
		       r->name, r->type);
}

/*
 * Code built for an executable addresses library data directly, as the
 * program's copy (R_X86_64_COPY) the linker would make; the running
 * program made none for this object, and the patch code is near its
 * program, not the library.
 */
static int far_data(const struct hd_reloc *r, uint64_t p, struct hd_error *err)
{
	return hd_fail(err, -ERANGE,
		       "the new code addresses %s directly, as a program addresses its copy of library data (a copy relocation, like stderr's or environ's), but the running program has no copy of %s and the library's is out of reach (%#llx from %#llx): this change needs a restart",
		       r->name, r->name, (unsigned long long)r->value,
		       (unsigned long long)p);
}

/* Fill the field of one relocation. */
static int reloc_one(uint8_t *image, size_t size, uint64_t addr,
		     const struct hd_reloc *r, struct hd_stubs *stubs,
		     struct hd_error *err)
{
	size_t width = hd_reloc_width(r->type) ?: 4;
	uint64_t p = addr + r->offset;
	int64_t v;
	int e;

	if (r->offset > size || size - r->offset < width)
		return hd_fail(err, -EINVAL,
			       "relocation for %s at +%#llx is outside the patch",
			       r->name, (unsigned long long)r->offset);
	if (hd_reloc_is_tls(r->type))
		return reloc_tls(image, addr, r, stubs, err);
	switch (r->type) {
	case R_X86_64_NONE:
		return 0;
	case R_X86_64_64:
		put64(image + r->offset, r->value + r->addend);
		return 0;
	case R_X86_64_PC64:
		put64(image + r->offset, r->value + r->addend - p);
		return 0;
	case R_X86_64_32:
		v = r->value + r->addend;
		if ((uint64_t)v > UINT32_MAX)
			goto range;
		put32(image + r->offset, v);
		return 0;
	case R_X86_64_32S:
		v = r->value + r->addend;
		if (!fits_s32(v))
			goto range;
		put32(image + r->offset, v);
		return 0;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
		v = r->value + r->addend - p;
		if (fits_s32(v)) {
			put32(image + r->offset, v);
			return 0;
		}
		if (r->type != R_X86_64_PLT32)
			return far_data(r, p, err);
		/* A call or jump out of reach: through a stub. */
		e = stub_entry(stubs, image, r->value, true);
		if (e < 0)
			goto nospc;
		v = addr + slot_off(stubs, e) + SLOT_SIZE + r->addend - p;
		if (!fits_s32(v))
			goto range;
		put32(image + r->offset, v);
		return 0;
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
		e = stub_entry(stubs, image, r->value, false);
		if (e < 0)
			goto nospc;
		v = addr + slot_off(stubs, e) + r->addend - p;
		if (!fits_s32(v))
			goto range;
		put32(image + r->offset, v);
		return 0;
	default:
		return hd_fail(err, -EOPNOTSUPP,
			       "relocation type %u for %s is not supported",
			       r->type, r->name);
	}
range:
	return hd_fail(err, -ERANGE,
		       "%s at %#llx is out of reach of the patch code at %#llx (relocation type %u)",
		       r->name, (unsigned long long)r->value,
		       (unsigned long long)p, r->type);
nospc:
	return hd_fail(err, -ENOSPC, "no room for a GOT slot for %s",
		       r->name);
}

int hd_reloc_apply(uint8_t *image, size_t size, uint64_t addr,
		   const struct hd_reloc *rel, size_t n,
		   struct hd_stubs *stubs, struct hd_error *err)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = reloc_one(image, size, addr, &rel[i], stubs, err);
		if (ret)
			return ret;
	}
	return 0;
}
