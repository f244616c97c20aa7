/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The .hdp patch file: an x86-64 ELF relocatable object (readelf -a
 * works) with hotdeploy's own sections.  Documentation/hdp-format.rst
 * describes every field; this header is the one place both the writer
 * (hdctl diff) and the strict reader (hdctl info, hdctl apply) use.
 */
#ifndef HD_HDP_H
#define HD_HDP_H

#include <stddef.h>
#include <stdint.h>
#include <gelf.h>

#include "base/error.h"
#include "elf/build.h"

#define HDP_VERSION		1

/* Notes in SHT_NOTE section .note.hotdeploy, owner "hotdeploy". */
#define HDP_NOTE_SECTION	".note.hotdeploy"
#define HDP_NOTE_OWNER		"hotdeploy"
#define HDP_NT_VERSION		1	/* desc: __u32 format version */
#define HDP_NT_BUILD_ID		2	/* desc: the target's GNU build-id */
#define HDP_NT_TARGET		3	/* desc: target path, NUL-terminated */

/* Section .hotdeploy.funcs, sh_entsize sizeof(struct hdp_func). */
#define HDP_FUNCS_SECTION	".hotdeploy.funcs"
#define HDP_FUNC_NEW		0x1	/* no old function: nothing redirected */
#define HDP_FUNC_STARTUP	0x2	/* the old one runs once, at start-up */
#define HDP_FUNC_EXIT		0x4	/* the old one runs only at exit */
#define HDP_FUNC_FLAGS		(HDP_FUNC_NEW | HDP_FUNC_STARTUP | HDP_FUNC_EXIT)

struct hdp_func {
	uint32_t sym;		/* .symtab index of the new code (defined) */
	uint32_t flags;		/* HDP_FUNC_* */
	uint32_t old_name;	/* .strtab offset: the old symbol's name */
	uint32_t reserved;	/* zero */
	uint64_t old_addr;	/* its st_value in the target (link-time) */
	uint64_t old_size;	/* its st_size in the target */
	uint64_t old_hash;	/* FNV-1a 64 of its bytes in the target file */
};

/*
 * Section .hotdeploy.syms, sh_entsize sizeof(struct hdp_sym): one entry
 * per undefined .symtab symbol, saying where apply finds it.  A symbol
 * defined in the .hdp is patch-local and has no entry.
 */
#define HDP_SYMS_SECTION	".hotdeploy.syms"
#define HDP_SYM_TARGET		1	/* in the target, at addr (link-time) */
#define HDP_SYM_SHLIB		2	/* in a loaded shared library, by name */
#define HDP_SYM_TLS		3	/* a thread-local of the target, at addr
					 * (st_value: offset in its TLS block)
					 */

struct hdp_sym {
	uint32_t sym;		/* .symtab index, st_shndx SHN_UNDEF */
	uint32_t kind;		/* HDP_SYM_* */
	uint64_t addr;		/* HDP_SYM_TARGET, _TLS: st_value in the target */
};

/* A parsed, validated .hdp: every pointer points into @image. */
struct hdp_file {
	void *elf;			/* Elf *, for the section contents */
	uint32_t version;
	uint8_t build_id[HD_BUILD_ID_MAX];
	size_t build_id_len;
	const char *target;
	const struct hdp_func *funcs;	/* validated */
	size_t nfuncs;
	const struct hdp_sym *syms;	/* validated */
	size_t nsyms;
	size_t nsymtab;			/* .symtab entries */
	size_t nrelocs;			/* in all SHT_RELA sections */
};

/*
 * Parse and check an in-memory .hdp (@buf must outlive @f).  Returns 0,
 * or -1 with @err saying what is wrong.
 */
int hdp_parse(const void *buf, size_t len, struct hdp_file *f,
	      struct hd_error *err);
void hdp_release(struct hdp_file *f);
/* A .symtab name, or NULL when @i is out of range. */
const char *hdp_sym_name(const struct hdp_file *f, size_t i);
const char *hdp_str(const struct hdp_file *f, uint32_t off);
/* .symtab entry @i; 0, or -1 when out of range. */
int hdp_get_sym(const struct hdp_file *f, size_t i, GElf_Sym *s);

uint64_t hdp_hash(const void *p, size_t n);

#endif /* HD_HDP_H */
