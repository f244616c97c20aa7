// SPDX-License-Identifier: GPL-2.0
/*
 * The objects loaded in a live process.  libdwfl finds them from
 * /proc/PID/maps with their build-ids, load biases and symbol tables
 * (separate debug files included); the dynamic linker's own list tells the
 * order in which it searches them.
 */
#include <errno.h>
#include <gelf.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "apply/procobj.h"

static char *debuginfo_path;

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

int hd_proc_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr,
				.iov_len = len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

static int add_module(Dwfl_Module *mod, void **userdata, const char *name,
		      Dwarf_Addr start, void *arg)
{
	struct hd_proc *proc = arg;
	struct hd_object *o, *no;
	const unsigned char *bits;
	GElf_Addr vaddr, bias;
	Dwarf_Addr end;
	int len;

	/* The vDSO and other pseudo objects cannot be patch targets. */
	if (!name || name[0] != '/')
		return DWARF_CB_OK;
	no = realloc(proc->obj, (proc->nobj + 1) * sizeof(*no));
	if (!no)
		return DWARF_CB_ABORT;
	proc->obj = no;
	o = &proc->obj[proc->nobj];
	memset(o, 0, sizeof(*o));
	o->mod = mod;
	dwfl_module_info(mod, NULL, NULL, &end, NULL, NULL, NULL, NULL);
	o->name = name;
	o->start = start;
	o->end = end;
	if (dwfl_module_getelf(mod, &bias))
		o->bias = bias;
	len = dwfl_module_build_id(mod, &bits, &vaddr);
	if (len > 0 && len <= HD_BUILD_ID_MAX) {
		memcpy(o->build_id, bits, len);
		o->build_id_len = len;
	}
	proc->nobj++;
	return DWARF_CB_OK;
}

/* The object the dynamic linker calls l_addr/l_ld: bias and dynamic section. */
static ssize_t object_at_bias(const struct hd_proc *proc, uint64_t bias,
			      uint64_t ld)
{
	size_t i;

	for (i = 0; i < proc->nobj; i++)
		if (proc->obj[i].bias == bias && ld >= proc->obj[i].start &&
		    ld < proc->obj[i].end)
			return i;
	return -1;
}

/* The runtime address of the main program's dynamic section, or 0. */
static uint64_t dynamic_section(const struct hd_object *main_obj)
{
	GElf_Addr bias;
	size_t phnum, k;
	GElf_Phdr ph;
	Elf *elf;

	elf = dwfl_module_getelf(main_obj->mod, &bias);
	if (!elf || elf_getphdrnum(elf, &phnum))
		return 0;
	for (k = 0; k < phnum; k++)
		if (gelf_getphdr(elf, k, &ph) && ph.p_type == PT_DYNAMIC)
			return ph.p_vaddr + bias;
	return 0;
}

/* The dynamic linker's struct r_debug, from DT_DEBUG; 0 when static. */
static int find_r_debug(pid_t pid, uint64_t dyn, uint64_t *rdebug)
{
	size_t k;
	int ret;

	*rdebug = 0;
	for (k = 0; dyn && k < 4096; k++) {
		Elf64_Dyn d;

		ret = hd_proc_read(pid, dyn + k * sizeof(d), &d, sizeof(d));
		if (ret)
			return ret;
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_DEBUG)
			*rdebug = d.d_un.d_ptr;
	}
	/* Dynamic, but the dynamic linker has not set up the program yet. */
	return dyn && !*rdebug ? -EAGAIN : 0;
}

/*
 * Put proc->obj in the dynamic linker's search order: the main program,
 * then its link_map list (preloads and DT_NEEDED, breadth first), then
 * anything the list does not name (dlopen'ed objects).
 */
static int order_by_link_map(struct hd_proc *proc, const char *exe)
{
	struct hd_object *sorted;
	uint64_t rdebug, lm;
	size_t i, n = 0, k;
	bool *taken;
	ssize_t m = -1;
	int ret;

	for (i = 0; i < proc->nobj; i++)
		if (!strcmp(proc->obj[i].name, exe))
			m = i;
	if (m < 0)
		return -ENOENT;
	ret = find_r_debug(proc->pid, dynamic_section(&proc->obj[m]), &rdebug);
	if (ret)
		return ret;

	sorted = calloc(proc->nobj, sizeof(*sorted));
	taken = calloc(proc->nobj, sizeof(*taken));
	if (!sorted || !taken) {
		ret = -ENOMEM;
		goto out;
	}
	sorted[n++] = proc->obj[m];
	taken[m] = true;
	if (rdebug) {
		struct r_debug rd;

		ret = hd_proc_read(proc->pid, rdebug, &rd, sizeof(rd));
		if (ret)
			goto out;
		lm = (uintptr_t)rd.r_map;
		for (k = 0; lm && k < 65536; k++) {
			struct link_map l;

			ret = hd_proc_read(proc->pid, lm, &l, sizeof(l));
			if (ret)
				goto out;
			m = object_at_bias(proc, l.l_addr, (uintptr_t)l.l_ld);
			if (m >= 0 && !taken[m]) {
				sorted[n++] = proc->obj[m];
				taken[m] = true;
			}
			lm = (uintptr_t)l.l_next;
		}
	}
	for (i = 0; i < proc->nobj; i++)
		if (!taken[i])
			sorted[n++] = proc->obj[i];
	free(proc->obj);
	proc->obj = sorted;
	sorted = NULL;
	ret = 0;
out:
	free(taken);
	free(sorted);
	return ret;
}

int hd_proc_open(pid_t pid, struct hd_proc *proc)
{
	char path[64], exe[4096];
	ssize_t len;
	int ret;

	memset(proc, 0, sizeof(*proc));
	proc->pid = pid;
	ret = hd_maps_read(pid, &proc->maps);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	len = readlink(path, exe, sizeof(exe) - 1);
	if (len < 0) {
		ret = -errno;
		goto err_maps;
	}
	exe[len] = '\0';
	if (len > 10 && !strcmp(exe + len - 10, " (deleted)"))
		exe[len - 10] = '\0';

	proc->dwfl = dwfl_begin(&proc_callbacks);
	if (!proc->dwfl) {
		ret = -ENOMEM;
		goto err_maps;
	}
	ret = dwfl_linux_proc_report(proc->dwfl, pid);
	if (ret) {
		ret = ret > 0 ? -ret : -EIO;
		goto err_dwfl;
	}
	if (dwfl_report_end(proc->dwfl, NULL, NULL)) {
		ret = -EIO;
		goto err_dwfl;
	}
	if (dwfl_getmodules(proc->dwfl, add_module, proc, 0) != 0) {
		ret = -ENOMEM;
		goto err_obj;
	}
	ret = order_by_link_map(proc, exe);
	if (ret)
		goto err_obj;
	return 0;

err_obj:
	free(proc->obj);
err_dwfl:
	dwfl_end(proc->dwfl);
err_maps:
	hd_maps_free(&proc->maps);
	memset(proc, 0, sizeof(*proc));
	return ret;
}

void hd_proc_close(struct hd_proc *proc)
{
	free(proc->obj);
	if (proc->dwfl)
		dwfl_end(proc->dwfl);
	hd_maps_free(&proc->maps);
	memset(proc, 0, sizeof(*proc));
}

const struct hd_object *hd_proc_find_build_id(const struct hd_proc *proc,
					      const uint8_t *id, size_t len)
{
	size_t i;

	for (i = 0; i < proc->nobj; i++)
		if (proc->obj[i].build_id_len == len &&
		    !memcmp(proc->obj[i].build_id, id, len))
			return &proc->obj[i];
	return NULL;
}

int hd_object_symbol(const struct hd_object *obj, const char *name,
		     uint64_t *addr, uint64_t *size)
{
	int i, n = dwfl_module_getsymtab(obj->mod);
	int found = 0;

	for (i = 1; i < n; i++) {
		const char *s;
		GElf_Addr a;
		GElf_Sym sym;

		s = dwfl_module_getsym_info(obj->mod, i, &sym, &a, NULL, NULL,
					    NULL);
		if (!s || strcmp(s, name) || sym.st_shndx == SHN_UNDEF)
			continue;
		if (found && a == *addr)
			continue;	/* .symtab and .dynsym agree */
		if (found++)
			return -ENOTUNIQ;
		*addr = a;
		if (size)
			*size = sym.st_size;
	}
	return found ? 0 : -ENOENT;
}

/* The name of version index @ndx in @elf's version definitions. */
static const char *verdef_name(Elf *elf, Elf_Scn *verdef, size_t strndx,
			       unsigned int ndx)
{
	Elf_Data *data = elf_getdata(verdef, NULL);
	size_t off = 0, guard;
	GElf_Verdaux aux;
	GElf_Verdef vd;

	for (guard = 0; data && guard < 65536; guard++) {
		if (!gelf_getverdef(data, off, &vd))
			return NULL;
		if (vd.vd_ndx == ndx) {
			if (!gelf_getverdaux(data, off + vd.vd_aux, &aux))
				return NULL;
			return elf_strptr(elf, strndx, aux.vda_name);
		}
		if (!vd.vd_next)
			return NULL;
		off += vd.vd_next;
	}
	return NULL;
}

#define IS_IFUNC	1

/* Look @name up in one object's .dynsym; IS_IFUNC gives the resolver. */
static int dynsym_lookup(const struct hd_object *obj, const char *name,
			 const char *version, uint64_t *addr,
			 const char **ifunc_version)
{
	Elf_Scn *scn = NULL, *dynsym = NULL, *versym = NULL, *verdef = NULL;
	Elf_Data *syms, *vers = NULL;
	size_t i, n, strndx = 0;
	GElf_Shdr sh, dsh;
	GElf_Addr bias;
	Elf *elf;

	elf = dwfl_module_getelf(obj->mod, &bias);
	if (!elf)
		return -ENOENT;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_DYNSYM)
			dynsym = scn;
		else if (sh.sh_type == SHT_GNU_versym)
			versym = scn;
		else if (sh.sh_type == SHT_GNU_verdef)
			verdef = scn;
	}
	if (!dynsym || !gelf_getshdr(dynsym, &dsh) || !dsh.sh_entsize)
		return -ENOENT;
	syms = elf_getdata(dynsym, NULL);
	if (!syms)
		return -ENOENT;
	if (versym)
		vers = elf_getdata(versym, NULL);
	if (verdef) {
		GElf_Shdr vsh;

		if (gelf_getshdr(verdef, &vsh))
			strndx = vsh.sh_link;
	}
	n = dsh.sh_size / dsh.sh_entsize;
	for (i = 1; i < n; i++) {
		GElf_Versym vs = 1;
		const char *s;
		GElf_Sym sym;
		int bind;

		if (!gelf_getsym(syms, i, &sym) || sym.st_shndx == SHN_UNDEF)
			continue;
		bind = GELF_ST_BIND(sym.st_info);
		if (bind != STB_GLOBAL && bind != STB_WEAK &&
		    bind != STB_GNU_UNIQUE)
			continue;
		s = elf_strptr(elf, dsh.sh_link, sym.st_name);
		if (!s || strcmp(s, name))
			continue;
		if (vers && !gelf_getversym(vers, i, &vs))
			continue;
		if (version) {
			const char *vn = verdef ?
				verdef_name(elf, verdef, strndx, vs & 0x7fff) :
				NULL;

			if (!vn || strcmp(vn, version))
				continue;
		} else if (vs & 0x8000) {
			continue;	/* hidden: not the default version */
		}
		if (GELF_ST_TYPE(sym.st_info) == STT_TLS)
			return -EOPNOTSUPP;
		*addr = sym.st_value + bias;
		if (GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC)
			return 0;
		/* @addr is the resolver; what it chose is in the process. */
		*ifunc_version = verdef ?
			verdef_name(elf, verdef, strndx, vs & 0x7fff) : NULL;
		return IS_IFUNC;
	}
	return -ENOENT;
}

/* The version an object's versym entry @ndx asks for (.gnu.version_r). */
static const char *verneed_name(Elf *elf, Elf_Scn *verneed, size_t strndx,
				unsigned int ndx)
{
	Elf_Data *data = elf_getdata(verneed, NULL);
	size_t off = 0, guard, aoff, k;
	GElf_Vernaux aux;
	GElf_Verneed vn;

	for (guard = 0; data && guard < 65536; guard++) {
		if (!gelf_getverneed(data, off, &vn))
			return NULL;
		aoff = off + vn.vn_aux;
		for (k = 0; k < vn.vn_cnt; k++) {
			if (!gelf_getvernaux(data, aoff, &aux))
				return NULL;
			if (aux.vna_other == ndx)
				return elf_strptr(elf, strndx, aux.vna_name);
			aoff += aux.vna_next;
		}
		if (!vn.vn_next)
			return NULL;
		off += vn.vn_next;
	}
	return NULL;
}

/* Does dynamic relocation @r of @obj ask for @name at @version? */
static bool imports(Elf *elf, const GElf_Shdr *rsh, const GElf_Rela *r,
		    const char *name, const char *version)
{
	Elf_Scn *dynsym = elf_getscn(elf, rsh->sh_link), *scn = NULL;
	Elf_Data *syms, *vers;
	const char *s, *want;
	GElf_Shdr dsh, sh;
	GElf_Versym vs;
	GElf_Sym sym;

	if (!dynsym || !gelf_getshdr(dynsym, &dsh))
		return false;
	syms = elf_getdata(dynsym, NULL);
	if (!syms || !gelf_getsym(syms, GELF_R_SYM(r->r_info), &sym))
		return false;
	s = elf_strptr(elf, dsh.sh_link, sym.st_name);
	if (!s || strcmp(s, name))
		return false;
	if (!version)
		return true;
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_GNU_versym)
			break;
	vers = scn ? elf_getdata(scn, NULL) : NULL;
	if (!vers || !gelf_getversym(vers, GELF_R_SYM(r->r_info), &vs))
		return true;	/* unversioned import: the default */
	scn = NULL;
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_GNU_verneed)
			break;
	want = scn ? verneed_name(elf, scn, sh.sh_link, vs & 0x7fff) : NULL;
	return !want || !strcmp(want, version);
}

/*
 * Only the target ran @def's resolver for ifunc @name, so read what the
 * dynamic linker stored: @def's own R_X86_64_IRELATIVE slot for that
 * resolver (filled at load time), else a GOT slot of an object that
 * imports @name and that already points into @def.
 */
static int ifunc_lookup(const struct hd_proc *proc,
			const struct hd_object *def, uint64_t resolver,
			const char *name, const char *version, uint64_t *addr)
{
	size_t pass, i, k;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < proc->nobj; i++) {
			const struct hd_object *o = &proc->obj[i];
			Elf_Scn *scn = NULL;
			GElf_Addr bias;
			GElf_Shdr sh;
			Elf *elf;

			if (pass == 0 && o != def)
				continue;
			elf = dwfl_module_getelf(o->mod, &bias);
			while (elf && (scn = elf_nextscn(elf, scn))) {
				Elf_Data *d;

				if (!gelf_getshdr(scn, &sh) ||
				    sh.sh_type != SHT_RELA ||
				    !(sh.sh_flags & SHF_ALLOC) || !sh.sh_entsize)
					continue;
				d = elf_getdata(scn, NULL);
				for (k = 0; d && k < sh.sh_size / sh.sh_entsize;
				     k++) {
					unsigned int t;
					uint64_t v;
					GElf_Rela r;

					if (!gelf_getrela(d, k, &r))
						break;
					t = GELF_R_TYPE(r.r_info);
					if (pass == 0 &&
					    (t != R_X86_64_IRELATIVE ||
					     r.r_addend + bias != resolver))
						continue;
					if (pass == 1 &&
					    ((t != R_X86_64_JUMP_SLOT &&
					      t != R_X86_64_GLOB_DAT) ||
					     !imports(elf, &sh, &r, name, version)))
						continue;
					if (hd_proc_read(proc->pid,
							 r.r_offset + bias, &v,
							 sizeof(v)))
						continue;
					/* A lazy slot still points home. */
					if (v < def->start || v >= def->end ||
					    v == resolver)
						continue;
					*addr = v;
					return 0;
				}
			}
		}
	}
	return -EOPNOTSUPP;
}

int hd_proc_dynamic_symbol(const struct hd_proc *proc,
			   const struct hd_object *skip, const char *name,
			   const char *version, uint64_t *addr,
			   const struct hd_object **where)
{
	size_t i;
	int ret;

	for (i = 0; i < proc->nobj; i++) {
		const char *ifunc_version = NULL;

		if (&proc->obj[i] == skip)
			continue;
		ret = dynsym_lookup(&proc->obj[i], name, version, addr,
				    &ifunc_version);
		if (ret == -ENOENT)
			continue;
		if (ret == IS_IFUNC)
			ret = ifunc_lookup(proc, &proc->obj[i], *addr, name,
					   version ?: ifunc_version, addr);
		if (!ret && where)
			*where = &proc->obj[i];
		return ret;
	}
	return -ENOENT;
}

int hd_object_file_bytes(const struct hd_object *obj, uint64_t addr,
			 void *buf, size_t len)
{
	Elf_Scn *scn = NULL;
	GElf_Addr bias;
	GElf_Shdr sh;
	Elf *elf;

	elf = dwfl_module_getelf(obj->mod, &bias);
	if (!elf)
		return -ENOENT;
	addr -= bias;
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_ALLOC) || addr < sh.sh_addr ||
		    addr - sh.sh_addr > sh.sh_size ||
		    len > sh.sh_size - (addr - sh.sh_addr))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size != sh.sh_size)
			return -EIO;
		memcpy(buf, (char *)d->d_buf + (addr - sh.sh_addr), len);
		return 0;
	}
	return -ENOENT;
}

void hd_build_id_hex(const uint8_t *id, size_t len, char *buf)
{
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(buf + 2 * i, "%02x", id[i]);
	buf[2 * len] = '\0';
}

const char *hd_proc_symbolize(const struct hd_proc *proc, uint64_t addr,
			      char *buf, size_t len)
{
	Dwfl_Module *mod = proc->dwfl ? dwfl_addrmodule(proc->dwfl, addr) :
					NULL;
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *name = NULL;

	if (mod)
		name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL,
					    NULL);
	if (!name)
		snprintf(buf, len, "%#llx", (unsigned long long)addr);
	else if (off)
		snprintf(buf, len, "%s+%#llx", name, (unsigned long long)off);
	else
		snprintf(buf, len, "%s", name);
	return buf;
}
