// SPDX-License-Identifier: GPL-2.0
/*
 * A patch's unwind tables, registered by the process the first time it
 * enters the patch (apply/unwind.h).  Nothing runs in the process that
 * it did not call itself: the entry runs on the thread that called the
 * patched function, in that call, before the function's first
 * instruction, so no exception can reach new code before its tables
 * are known.
 */
#include <string.h>

#include "apply/procobj.h"
#include "apply/unwind.h"

/* apply/unwind_entry.S: the shared code, then its descriptor. */
extern const uint8_t hd_unwind_entry_code[], hd_unwind_entry_desc[];

#define DONE		0x80000000U
#define DESC_HEAD	24	/* state, __register_frame_info, count */

static size_t code_bytes(void)
{
	return hd_unwind_entry_desc - hd_unwind_entry_code;
}

/* Whether CIE @cie (@len bytes after its length field) has a personality. */
static bool cie_personality(const uint8_t *cie, size_t len)
{
	const uint8_t *aug = cie + 5;	/* CIE id, version */
	const uint8_t *end = memchr(aug, 0, len > 5 ? len - 5 : 0);

	return end && aug[0] == 'z' && memchr(aug, 'P', end - aug);
}

int hd_unwind_resolve(struct hd_unwind *u, const uint8_t *image,
		      const struct hd_proc *proc, struct hd_error *err)
{
	size_t i;

	for (i = 0; i < u->ntables; i++) {
		const uint8_t *t = image + u->table[i];
		uint64_t off = 0;

		while (off + 8 <= u->table_size[i]) {
			uint32_t len, id;

			memcpy(&len, t + off, 4);
			memcpy(&id, t + off + 4, 4);
			if (!len || len > u->table_size[i] - off - 4)
				break;
			if (!id && cie_personality(t + off + 4, len))
				u->exceptions = true;
			off += 4 + (uint64_t)len;
		}
	}
	if (!u->ntables ||
	    !hd_proc_dynamic_symbol(proc, NULL, "__register_frame_info", NULL,
				    &u->register_fn, NULL))
		return 0;
	u->register_fn = 0;
	if (!u->exceptions)
		return 0;
	return hd_fail(err, 0,
		       "process %d has no unwinder loaded (libgcc_s.so.1's __register_frame_info): the patch's exception tables could not be registered, and an exception through its code would abort",
		       (int)proc->pid);
}

void hd_unwind_size(struct hd_unwind *u, size_t nfuncs)
{
	u->code_size = 0;
	u->data_size = 0;
	if (!u->ntables)
		return;
	u->code_size = HD_UNWIND_ENTRY_SIZE * nfuncs + code_bytes() +
		       DESC_HEAD + 16 * u->ntables;
	u->data_size = 16 + HD_UNWIND_OBJECT_SIZE * u->ntables;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* rel32 from the end of a field at image offset @end to address @to. */
static uint32_t rel32(uint64_t addr, uint64_t end, uint64_t to)
{
	return (uint32_t)(to - (addr + end));
}

/*
 * An entry: while the tables are not registered, to the shared code
 * with the function in %r11, else straight to the function.
 *	cmpl	$DONE, state(%rip)
 *	jne	1f
 *	jmp	function
 * 1:	lea	function(%rip), %r11
 *	jmp	shared code
 */
static void write_entry(uint8_t *e, uint64_t addr, uint64_t at,
			uint64_t state, uint64_t fn, uint64_t code)
{
	memset(e, 0xcc, HD_UNWIND_ENTRY_SIZE);
	e[0] = 0x81;
	e[1] = 0x3d;
	put32(e + 2, rel32(addr, at + 10, state));
	put32(e + 6, DONE);
	e[10] = 0x75;
	e[11] = 0x05;
	e[12] = 0xe9;
	put32(e + 13, rel32(addr, at + 17, fn));
	e[17] = 0x4c;
	e[18] = 0x8d;
	e[19] = 0x1d;
	put32(e + 20, rel32(addr, at + 24, fn));
	e[24] = 0xe9;
	put32(e + 25, rel32(addr, at + 29, code));
}

void hd_unwind_write(const struct hd_unwind *u, uint8_t *image,
		     uint64_t addr, struct hd_func *funcs, size_t nfuncs)
{
	uint64_t code = u->code_off + HD_UNWIND_ENTRY_SIZE * nfuncs;
	uint64_t desc = code + code_bytes();
	uint64_t state = u->data_off;
	uint64_t objs = u->data_off + 16;
	size_t i;

	if (!u->ntables || !u->register_fn)
		return;
	memcpy(image + code, hd_unwind_entry_code, code_bytes());
	put64(image + desc, addr + state);
	put64(image + desc + 8, u->register_fn);
	put64(image + desc + 16, u->ntables);
	for (i = 0; i < u->ntables; i++) {
		put64(image + desc + DESC_HEAD + 16 * i, addr + u->table[i]);
		put64(image + desc + DESC_HEAD + 16 * i + 8,
		      addr + objs + HD_UNWIND_OBJECT_SIZE * i);
	}
	for (i = 0; i < nfuncs; i++) {
		uint64_t at = u->code_off + HD_UNWIND_ENTRY_SIZE * i;

		write_entry(image + at, addr, at, addr + state,
			    funcs[i].new_addr, addr + code);
		funcs[i].new_addr = addr + at;
	}
}
