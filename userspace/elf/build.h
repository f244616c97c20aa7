/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The running build a patch is made for: its build-id, its symbols (from
 * its .symtab or its debug file under /usr/lib/debug/.build-id/) and the
 * bytes of its functions.
 */
#ifndef HD_ELF_BUILD_H
#define HD_ELF_BUILD_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* The longest build-id hotdeploy handles (a GNU build-id is 20 bytes). */
#define HD_BUILD_ID_MAX	64

struct hd_build {
	const char *path;
	int fd, symfd;
	Elf *elf;		/* the binary itself */
	Elf *symelf;		/* where .symtab is: elf or the debug file */
	Elf_Data *symdata;
	size_t nsyms;
	size_t strndx;
	uint8_t build_id[HD_BUILD_ID_MAX];
	size_t build_id_len;
};

/* 0, or a negative errno with @err set. */
int hd_build_open(struct hd_build *t, const char *path, struct hd_error *err);
void hd_build_close(struct hd_build *t);

/*
 * Find @name (its first @keylen bytes, then optionally ".N") in the
 * target.  @local: a file-local symbol, looked for among the symbols of
 * the source file @obj (an object name like "a.o"); otherwise a global.
 * Where several source files have @obj's name, the one symbol of @size
 * (when not 0) among them.  Returns 1 and *@out, 0 when not there,
 * -ENOTUNIQ when several symbols match (the caller says which name and
 * where).
 */
int hd_build_lookup(struct hd_build *t, const char *name, size_t keylen,
		    bool local, const char *obj, uint64_t size, GElf_Sym *out);

/* The file bytes at link-time address @addr, or NULL. */
const uint8_t *hd_build_bytes(struct hd_build *t, uint64_t addr,
			      uint64_t size);

#endif /* HD_ELF_BUILD_H */
