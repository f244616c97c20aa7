// SPDX-License-Identifier: GPL-2.0
/* The target build of a patch: build-id, symbols and function bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf/build.h"

static int read_build_id(struct hd_build *t, struct hd_error *err)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(t->elf, scn))) {
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		while (d && off < d->d_size &&
		       (off = gelf_getnote(d, off, &nh, &noff, &doff))) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)d->d_buf + noff, "GNU", 4) ||
			    !nh.n_descsz || nh.n_descsz > sizeof(t->build_id))
				continue;
			memcpy(t->build_id, (char *)d->d_buf + doff, nh.n_descsz);
			t->build_id_len = nh.n_descsz;
			return 0;
		}
	}
	return hd_fail(err, -ENOENT, "%s: no GNU build-id; link it with -Wl,--build-id",
		       t->path);
}

static int find_symtab(struct hd_build *t, Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB ||
		    !sh.sh_entsize)
			continue;
		t->symdata = elf_getdata(scn, NULL);
		if (!t->symdata)
			return -1;
		t->symelf = elf;
		t->nsyms = sh.sh_size / sh.sh_entsize;
		t->strndx = sh.sh_link;
		return 0;
	}
	return -1;
}

/* The separate debug file, by build-id, when the binary is stripped. */
static int open_debug(struct hd_build *t)
{
	char path[64 + 2 * sizeof(t->build_id)];
	size_t i, n;
	Elf *elf;

	n = snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%02x/",
		     t->build_id[0]);
	for (i = 1; i < t->build_id_len; i++)
		n += snprintf(path + n, sizeof(path) - n, "%02x", t->build_id[i]);
	snprintf(path + n, sizeof(path) - n, ".debug");
	t->symfd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->symfd < 0)
		return -1;
	elf = elf_begin(t->symfd, ELF_C_READ, NULL);
	if (!elf || find_symtab(t, elf)) {
		if (elf)
			elf_end(elf);
		return -1;
	}
	return 0;
}

int hd_build_open(struct hd_build *t, const char *path, struct hd_error *err)
{
	GElf_Ehdr eh;

	memset(t, 0, sizeof(*t));
	t->path = path;
	t->symfd = -1;
	t->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->fd < 0)
		return hd_fail(err, -errno, "%s: %s", path, strerror(errno));
	elf_version(EV_CURRENT);
	t->elf = elf_begin(t->fd, ELF_C_READ, NULL);
	if (!t->elf || !gelf_getehdr(t->elf, &eh) ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) ||
	    eh.e_machine != EM_X86_64) {
		hd_fail(err, -ENOEXEC, "%s: not an x86-64 executable or shared library",
			path);
		goto fail;
	}
	if (read_build_id(t, err))
		goto fail;
	if (find_symtab(t, t->elf) && open_debug(t)) {
		hd_fail(err, -ENOENT,
			"%s: no symbol table, and no debug file under /usr/lib/debug/.build-id/",
			path);
		goto fail;
	}
	return 0;
fail:
	hd_build_close(t);
	return -1;
}

void hd_build_close(struct hd_build *t)
{
	if (t->symelf && t->symelf != t->elf)
		elf_end(t->symelf);
	if (t->elf)
		elf_end(t->elf);
	if (t->symfd >= 0)
		close(t->symfd);
	if (t->fd >= 0)
		close(t->fd);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->symfd = -1;
}

/* Whether STT_FILE name @file is the source of object @obj ("a.c", "a.o"). */
static bool same_unit(const char *file, const char *obj)
{
	const char *fb = strrchr(file, '/'), *ob = strrchr(obj, '/');
	size_t fl, ol;

	fb = fb ? fb + 1 : file;
	ob = ob ? ob + 1 : obj;
	fl = strcspn(fb, ".");
	ol = strcspn(ob, ".");
	return fl == ol && !memcmp(fb, ob, fl);
}

static bool name_matches(const char *s, const char *name, size_t keylen)
{
	if (strncmp(s, name, keylen))
		return false;
	if (!s[keylen] || !strcmp(s + keylen, name + keylen))
		return true;
	/* A linked .symtab may name a symbol with its version, foo@@V1. */
	if (s[keylen] == '@' && !name[keylen])
		return true;
	/* The compiler's ".N" on a static local may differ between builds. */
	return s[keylen] == '.' && s[keylen + 1] &&
	       strspn(s + keylen + 1, "0123456789") == strlen(s + keylen + 1);
}

int hd_build_lookup(struct hd_build *t, const char *name, size_t keylen,
		    bool local, const char *obj, uint64_t size, GElf_Sym *out)
{
	int found = 0, sized = 0;
	bool in_unit = false;
	GElf_Sym by_size;
	size_t i;

	for (i = 1; i < t->nsyms; i++) {
		GElf_Sym s;
		const char *n;

		if (!gelf_getsym(t->symdata, i, &s))
			continue;
		n = elf_strptr(t->symelf, t->strndx, s.st_name);
		if (!n)
			continue;
		if (GELF_ST_TYPE(s.st_info) == STT_FILE) {
			in_unit = same_unit(n, obj);
			continue;
		}
		if (s.st_shndx == SHN_UNDEF ||
		    (GELF_ST_BIND(s.st_info) == STB_LOCAL) != local ||
		    (local && !in_unit) || !name_matches(n, name, keylen))
			continue;
		if (!found++)
			*out = s;
		if (size && s.st_size == size && !sized++)
			by_size = s;
	}
	if (found < 2)
		return found;
	/* Two files of one name (src/sds.c, deps/hiredis/sds.c): by size. */
	if (local && sized == 1) {
		*out = by_size;
		return 1;
	}
	return -ENOTUNIQ;
}

const uint8_t *hd_build_bytes(struct hd_build *t, uint64_t addr,
			      uint64_t size)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(t->elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_ALLOC) || addr < sh.sh_addr ||
		    addr - sh.sh_addr > sh.sh_size ||
		    size > sh.sh_size - (addr - sh.sh_addr))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || d->d_size != sh.sh_size)
			return NULL;
		return (const uint8_t *)d->d_buf + (addr - sh.sh_addr);
	}
	return NULL;
}
