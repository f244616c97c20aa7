// SPDX-License-Identifier: GPL-2.0
/*
 * The plan of an apply: a .hdp resolved against a live process, down to
 * the final bytes the module maps and the redirects it writes.
 * Everything is decided here, before the process is stopped: which
 * object the patch is for (by build-id), where the code goes (a hole
 * within rel32 reach), every relocation, and the bytes each old function
 * must still have.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "apply/plan.h"
#include "apply/procobj.h"
#include "apply/tls.h"
#include "apply/unwind.h"
#include "elf/reloc.h"
#include "format/hdp.h"

/* The diff checks old functions against elf/'s jump, the module writes its own. */
_Static_assert(HD_X86_JMP_SIZE == HD_JMP_SIZE, "one jump size");

#define PAGE		4096ULL
#define REACH		((1ULL << 31) - PAGE)
#define GUARD		(1ULL << 20)

/* Place section @ndx at the end of a region, aligned as it asks. */
static int place(struct hd_plan *p, size_t ndx, const GElf_Shdr *sh,
		 size_t *end, int data, struct hd_error *err)
{
	uint64_t align = sh->sh_addralign > 1 ? sh->sh_addralign : 1;

	if (align > PAGE || (align & (align - 1)))
		return hd_fail(err, 0, "section %zu has an alignment of %" PRIu64,
			   ndx, (uint64_t)sh->sh_addralign);
	*end = (*end + align - 1) & ~(align - 1);
	p->sec_off[ndx] = *end;
	p->placed[ndx] = 1 + data;
	*end += sh->sh_size;
	if (*end > (data ? HD_MAX_DATA_SIZE : HD_MAX_CODE_SIZE))
		return hd_fail(err, 0, "the patch's %s exceeds %u bytes",
			   data ? "data" : "code",
			   data ? HD_MAX_DATA_SIZE : HD_MAX_CODE_SIZE);
	return 0;
}

/*
 * Lay out the allocated sections: code and constants in one region,
 * writable data (the patch's new globals) in another, mapped read-write
 * after the code.  Data offsets are relative to that region until
 * make_plan() knows where it starts.
 */
static int layout(Elf *elf, struct hd_plan *p, size_t *end, size_t *dend,
		  struct hd_error *err)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return hd_fail(err, 0, "no section names");
	*end = 0;
	*dend = 0;
	while ((scn = elf_nextscn(elf, scn))) {
		size_t ndx = elf_ndxscn(scn);
		const char *name;
		int data;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    !sh.sh_size)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (sh.sh_flags & SHF_TLS)
			return hd_fail(err, 0, "section %s holds thread-local data", name);
		if ((sh.sh_flags & SHF_WRITE) && (sh.sh_flags & SHF_EXECINSTR))
			return hd_fail(err, 0, "section %s is writable code", name);
		if (sh.sh_type != SHT_PROGBITS && sh.sh_type != SHT_NOBITS)
			continue;
		if (ndx >= HD_PLAN_MAX_SECS)
			return hd_fail(err, 0, "too many sections");
		data = (sh.sh_flags & SHF_WRITE) || sh.sh_type == SHT_NOBITS;
		if (place(p, ndx, &sh, data ? dend : end, data, err))
			return -1;
		if (name && !strcmp(name, ".eh_frame") && !data) {
			struct hd_unwind *u = &p->unwind;

			if (u->ntables == HD_UNWIND_MAX_TABLES)
				return hd_fail(err, 0, "more than %d unwind tables",
					       HD_UNWIND_MAX_TABLES);
			u->table[u->ntables] = p->sec_off[ndx];
			u->table_size[u->ntables++] = sh.sh_size;
		}
	}
	return 0;
}

static int copy_sections(Elf *elf, struct hd_plan *p)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		size_t ndx = elf_ndxscn(scn);
		Elf_Data *d;

		if (ndx >= HD_PLAN_MAX_SECS || !p->placed[ndx])
			continue;
		d = elf_getdata(scn, NULL);
		/* .bss (NOBITS) has no bytes: the image is zeroed. */
		if (d && d->d_buf && d->d_size)
			memcpy(p->image + p->sec_off[ndx], d->d_buf, d->d_size);
	}
	return 0;
}

/*
 * The runtime address of .symtab entry @i; for a thread-local of the
 * target (*@tls set), its offset in the target's TLS block.
 */
static int sym_value(const struct hdp_file *f, const struct hd_proc *proc,
		     const struct hd_object *obj, const struct hd_plan *p,
		     size_t i, uint64_t *val, bool *tls, struct hd_error *err)
{
	const char *name = hdp_sym_name(f, i);
	GElf_Sym s;
	size_t k;
	int ret;

	*tls = false;
	if (hdp_get_sym(f, i, &s))
		return hd_fail(err, 0, "symbol %zu out of range", i);
	if (s.st_shndx != SHN_UNDEF) {
		if (s.st_shndx >= HD_PLAN_MAX_SECS || !p->placed[s.st_shndx])
			return hd_fail(err, 0, "%s is in a section the patch does not carry",
				   name ? name : "a symbol");
		*val = p->addr + p->sec_off[s.st_shndx] + s.st_value;
		return 0;
	}
	for (k = 0; k < f->nsyms; k++) {
		if (f->syms[k].sym != i)
			continue;
		if (f->syms[k].kind == HDP_SYM_TARGET) {
			*val = obj->bias + f->syms[k].addr;
			return 0;
		}
		if (f->syms[k].kind == HDP_SYM_TLS) {
			*val = f->syms[k].addr;
			*tls = true;
			return 0;
		}
		ret = hd_proc_dynamic_symbol(proc, NULL, name, NULL, val, NULL);
		if (ret == -EOPNOTSUPP)
			return hd_fail(err, 0,
				   "%s is an ifunc (its library picks an implementation at run time) that process %d never called, so no GOT slot holds the one it would use, and hdctl does not run resolvers: a patch can call it once the program does (or a library's thread-local, which a patch cannot use)",
				   name, (int)proc->pid);
		if (ret)
			return hd_fail(err, 0, "%s is not defined by any object loaded in process %d: the new code needs it from a library the process has not loaded, or one the program carries privately (linked statically); nothing was changed, this change needs a restart",
				   name, (int)proc->pid);
		return 0;
	}
	return hd_fail(err, 0, "undefined symbol %s has no resolution in the patch",
		   name ? name : "?");
}

/*
 * Where thread-local @r's block is (@t: found once per plan; module ~0
 * until then).  A thread-local relocation must name one of the target's
 * thread-locals, and only those.
 */
static int tls_place(const struct hd_proc *proc, const struct hd_object *obj,
		     struct hd_reloc *r, bool tls, struct hd_tls *t,
		     struct hd_error *err)
{
	int ret;

	if (tls != !!hd_reloc_is_tls(r->type))
		return hd_fail(err, 0, "relocation type %u against %s%s: the patch is malformed",
			       r->type, tls ? "thread-local " : "", r->name);
	if (!tls)
		return 0;
	if (t->module == ~0ULL) {
		ret = hd_tls_of(proc, obj, t, err);
		if (ret == -ENOENT)
			return hd_fail(err, 0, "thread-local %s: %s has no thread-locals in process %d",
				       r->name, obj->name, (int)proc->pid);
		if (ret)
			return -1;
	}
	r->tls_module = t->module;
	r->tls_static = t->has_offset;
	r->tls_offset = t->offset;
	return 0;
}

/* Every relocation against the placed sections, with runtime values. */
static int collect_relocs(const struct hdp_file *f, const struct hd_proc *proc,
			  const struct hd_object *obj, struct hd_plan *p,
			  struct hd_reloc **out, size_t *n, struct hd_error *err)
{
	struct hd_tls t = { .module = ~0ULL };
	Elf *elf = f->elf;
	Elf_Scn *scn = NULL;
	struct hd_reloc *rel;
	bool tls;
	GElf_Shdr sh;
	size_t k = 0;

	rel = calloc(f->nrelocs + 1, sizeof(*rel));
	if (!rel)
		return hd_fail(err, 0, "out of memory");
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;
		size_t i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA ||
		    sh.sh_info >= HD_PLAN_MAX_SECS || !p->placed[sh.sh_info] ||
		    !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;
			size_t si;

			if (!gelf_getrela(d, i, &r) || k >= f->nrelocs)
				goto fail;
			si = GELF_R_SYM(r.r_info);
			rel[k].offset = p->sec_off[sh.sh_info] + r.r_offset;
			rel[k].type = GELF_R_TYPE(r.r_info);
			rel[k].addend = r.r_addend;
			rel[k].name = hdp_sym_name(f, si) ?: "?";
			if (!*rel[k].name)
				rel[k].name = "(section)";
			if (sym_value(f, proc, obj, p, si, &rel[k].value, &tls,
				      err) ||
			    tls_place(proc, obj, &rel[k], tls, &t, err))
				goto fail_quiet;
			k++;
		}
	}
	*out = rel;
	*n = k;
	return 0;
fail:
	hd_fail(err, 0, "malformed relocation");
fail_quiet:
	free(rel);
	return -1;
}

/*
 * A function an earlier patch redirected starts with that patch's jump
 * (patches stack); the rest must still be what the patch was made for.
 * Only a jump into a hotdeploy mapping counts: put the file's bytes back
 * in its place for the hash.
 */
static bool stacked(const struct hd_proc *proc, const struct hd_object *obj,
		    uint64_t addr, uint8_t *bytes)
{
	const struct hd_map *m;
	int32_t rel;

	if (bytes[0] != 0xe9)
		return false;
	memcpy(&rel, bytes + 1, sizeof(rel));
	m = hd_maps_find(&proc->maps, addr + HD_JMP_SIZE + rel);
	if (!m || strncmp(m->path, "/hotdeploy:", strlen("/hotdeploy:")))
		return false;
	return !hd_object_file_bytes(obj, addr, bytes, HD_JMP_SIZE);
}

/* Redirects: old code must be what the patch was made against. */
static int plan_funcs(const struct hdp_file *f, const struct hd_proc *proc,
		      const struct hd_object *obj, struct hd_plan *p,
		      struct hd_error *err)
{
	pid_t pid = proc->pid;
	size_t i;

	p->funcs = calloc(f->nfuncs + 1, sizeof(*p->funcs));
	p->names = calloc(f->nfuncs + 1, sizeof(*p->names));
	if (!p->funcs || !p->names)
		return hd_fail(err, 0, "out of memory");
	for (i = 0; i < f->nfuncs; i++) {
		const struct hdp_func *fn = &f->funcs[i];
		struct hd_func *k = &p->funcs[p->nfuncs];
		const char *name = hdp_str(f, fn->old_name);
		uint8_t *old;
		GElf_Sym s;

		if (fn->flags & HDP_FUNC_NEW)
			continue;
		if (hdp_get_sym(f, fn->sym, &s) || s.st_shndx >= HD_PLAN_MAX_SECS ||
		    !p->placed[s.st_shndx])
			return hd_fail(err, 0, "the new code of %s is missing", name);
		if (fn->old_size < HD_JMP_SIZE || fn->old_size > (64U << 20))
			return hd_fail(err, 0, "%s: implausible size %" PRIu64,
				   name, fn->old_size);
		k->old_addr = obj->bias + fn->old_addr;
		k->old_size = fn->old_size;
		k->new_addr = p->addr + p->sec_off[s.st_shndx] + s.st_value;
		old = malloc(fn->old_size);
		if (!old)
			return hd_fail(err, 0, "out of memory");
		if (hd_proc_read(pid, k->old_addr, old, fn->old_size)) {
			free(old);
			return hd_fail(err, 0, "cannot read %s at %#llx in process %d",
				   name, (unsigned long long)k->old_addr, (int)pid);
		}
		/* The kernel checks the bytes as they are now, jump or not. */
		k->expect_len = fn->old_size < HD_EXPECT_MAX ? fn->old_size :
							      HD_EXPECT_MAX;
		memcpy(k->expect, old, k->expect_len);
		if (hdp_hash(old, fn->old_size) != fn->old_hash &&
		    (!stacked(proc, obj, k->old_addr, old) ||
		     hdp_hash(old, fn->old_size) != fn->old_hash)) {
			free(old);
			return hd_fail(err, 0,
				   "%s in process %d is not the code the patch was made for (another build, or changed by something other than hotdeploy); nothing was changed",
				   name, (int)pid);
		}
		free(old);
		p->names[p->nfuncs++] = name;
	}
	if (!p->nfuncs)
		return hd_fail(err, 0, "the patch replaces no existing function");
	return 0;
}

int hd_plan_make(const struct hdp_file *f, const struct hd_proc *proc,
		 struct hd_plan *p, struct hd_error *err)
{
	pid_t pid = proc->pid;
	const struct hd_object *obj;
	struct hd_stubs stubs = { 0 };
	struct hd_reloc *rel = NULL;
	size_t end = 0, dend = 0, nrel = 0, cap, i;
	char hex[2 * HD_BUILD_ID_MAX + 1];
	int ret = -1;

	obj = hd_proc_find_build_id(proc, f->build_id, f->build_id_len);
	if (!obj) {
		hd_build_id_hex(f->build_id, f->build_id_len, hex);
		return hd_fail(err, 0,
			   "process %d has no object with build-id %s (%s): the patch is for another build",
			   (int)pid, hex, f->target);
	}
	if (layout(f->elf, p, &end, &dend, err))
		return -1;
	cap = f->nrelocs;
	stubs.base = (end + 15) & ~15ULL;
	/* The unwind entries after the stubs, their state after the data. */
	hd_unwind_size(&p->unwind, f->nfuncs);
	p->unwind.code_off = (stubs.base + cap * HD_STUB_ENTRY_SIZE + 15) &
			     ~15ULL;
	p->unwind.data_off = (dend + 15) & ~15ULL;
	p->data_off = (p->unwind.code_off + p->unwind.code_size + PAGE - 1) &
		      ~(PAGE - 1);
	if (!p->data_off)
		p->data_off = PAGE;
	dend = p->unwind.data_off + p->unwind.data_size;
	p->unwind.data_off += p->data_off;
	if (dend > HD_MAX_DATA_SIZE || p->data_off > HD_MAX_CODE_SIZE)
		return hd_fail(err, 0, "the patch exceeds %u bytes of code or data",
			       HD_MAX_CODE_SIZE);
	p->size = p->data_off + ((dend + PAGE - 1) & ~(PAGE - 1));
	for (i = 0; i < HD_PLAN_MAX_SECS; i++)
		if (p->placed[i] == 2)
			p->sec_off[i] += p->data_off;
	p->addr = hd_maps_find_hole(&proc->maps, obj->start, obj->end, p->size,
				    REACH, GUARD);
	if (!p->addr)
		return hd_fail(err, 0, "no free address range within 2 GiB of %s in process %d",
			   obj->name, (int)pid);
	p->image = calloc(1, p->size);
	stubs.value = calloc(cap + 1, sizeof(*stubs.value));
	stubs.kind = calloc(cap + 1, 1);
	stubs.cap = cap;
	if (!p->image || !stubs.value || !stubs.kind) {
		hd_fail(err, 0, "out of memory");
		goto out;
	}
	copy_sections(f->elf, p);
	/* Padding and stub slack trap rather than run into the unknown. */
	for (i = end; i < p->data_off; i++)
		p->image[i] = 0xcc;
	if (collect_relocs(f, proc, obj, p, &rel, &nrel, err))
		goto out;
	if (hd_reloc_apply(p->image, p->size, p->addr, rel, nrel, &stubs, err))
		goto out;
	if (hd_unwind_resolve(&p->unwind, p->image, proc, err))
		goto out;
	ret = plan_funcs(f, proc, obj, p, err);
	if (!ret)
		hd_unwind_write(&p->unwind, p->image, p->addr, p->funcs,
				p->nfuncs);
out:
	free(rel);
	free(stubs.value);
	free(stubs.kind);
	return ret;
}

void hd_plan_free(struct hd_plan *p)
{
	free(p->image);
	free(p->funcs);
	free(p->names);
	memset(p, 0, sizeof(*p));
}
