/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ELF objects loaded in a live process (main executable, shared
 * libraries), found through libdwfl: build-ids, load addresses, symbols.
 */
#ifndef HD_PROCOBJ_H
#define HD_PROCOBJ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <elfutils/libdwfl.h>

#include "apply/procmaps.h"
#include "elf/build.h"

struct hd_object {
	Dwfl_Module *mod;
	const char *name;	/* path, as /proc/PID/maps names it */
	uint64_t start;		/* lowest and highest address it occupies */
	uint64_t end;
	uint64_t bias;		/* load bias: runtime address - ELF address */
	uint8_t build_id[HD_BUILD_ID_MAX];
	size_t build_id_len;
};

struct hd_proc {
	pid_t pid;
	Dwfl *dwfl;
	struct hd_maps maps;
	struct hd_object *obj;	/* in load order */
	size_t nobj;
};

/* Returns 0 or -errno; on error @proc holds nothing. */
int hd_proc_open(pid_t pid, struct hd_proc *proc);
void hd_proc_close(struct hd_proc *proc);

/* The loaded object with this build-id, or NULL. */
const struct hd_object *hd_proc_find_build_id(const struct hd_proc *proc,
					      const uint8_t *id, size_t len);

/*
 * The runtime address of @name in @obj's symbol table (.symtab, or the one
 * in its separate debug file, or .dynsym).  -ENOENT if absent, -ENOTUNIQ
 * if several symbols have the name (static functions in different files).
 */
int hd_object_symbol(const struct hd_object *obj, const char *name,
		     uint64_t *addr, uint64_t *size);

/*
 * Resolve a dynamic symbol the way the target's dynamic linker would:
 * the first object in load order, other than @skip, that defines @name
 * (with @version when not NULL, otherwise its default version).
 * For an ifunc, the address its resolver chose in the target, read from
 * the GOT slot the target's dynamic linker filled.  Returns 0, -ENOENT, or
 * -EOPNOTSUPP for a TLS symbol or an ifunc no slot in the process holds.
 */
int hd_proc_dynamic_symbol(const struct hd_proc *proc,
			   const struct hd_object *skip, const char *name,
			   const char *version, uint64_t *addr,
			   const struct hd_object **where);

/*
 * The @len bytes at runtime address @addr of @obj as its file holds them
 * (what the process had before anything wrote to its text): 0 or -errno.
 */
int hd_object_file_bytes(const struct hd_object *obj, uint64_t addr,
			 void *buf, size_t len);

/* Read @len bytes at @addr in process @pid: 0 or -errno. */
int hd_proc_read(pid_t pid, uint64_t addr, void *buf, size_t len);

/* "name", "name+0x10" or "0x7f..." for an address in the process. */
const char *hd_proc_symbolize(const struct hd_proc *proc, uint64_t addr,
			      char *buf, size_t len);

/* printf-style hex of a build-id into @buf (2 * len + 1 bytes). */
void hd_build_id_hex(const uint8_t *id, size_t len, char *buf);

#endif /* HD_PROCOBJ_H */
