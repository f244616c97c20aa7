// SPDX-License-Identifier: GPL-2.0
/*
 * hdctl apply: resolve a .hdp against a live process and hand the final
 * bytes to the module.  Everything is decided here, before the process is
 * stopped: which object the patch is for (by build-id), where the code
 * goes (a hole within rel32 reach), every relocation, and the bytes each
 * old function must still have.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hdctl.h"
#include "hdp.h"
#include "image.h"
#include "kapi.h"
#include "procobj.h"
#include "reloc.h"

#define STATS_FMT \
	"pause: park %.1f µs, check %.1f µs, write %.1f µs, release %.1f µs; " \
	"before it: map %.1f µs, check of the threads asleep %.1f µs; attempts %u\n"
#define PAGE		4096ULL
#define REACH		((1ULL << 31) - PAGE)
#define GUARD		(1ULL << 20)
#define MAX_SECS	4096

void usage_apply(void)
{
	printf("Usage: hdctl [-j] apply FILE.hdp --pid PID [--retries N] [--retry-delay MS]\n"
	       "                   [--timeout MS] [--force] [--dry-run] [--stats]\n"
	       "                   [--save-image DIR]\n"
	       "Apply a patch made by 'hdctl diff' to running process PID: find\n"
	       "the patched object in it by build-id, place and relocate the new\n"
	       "code, check the old code is what the patch expects, then have the\n"
	       "module map the code, stop the process (threads asleep in the\n"
	       "kernel are held where they sleep), check no thread runs a function\n"
	       "being replaced and redirect the functions, all or nothing.\n"
	       "--force skips the stack check (never the IP check); --dry-run\n"
	       "stops before the module; --stats prints the pause's phases and\n"
	       "what was done before it;\n"
	       "--save-image writes the resolved code and redirects to DIR.\n");
}

struct plan {
	uint8_t *image;		/* code and stubs, then data from data_off */
	size_t size;		/* page-rounded */
	size_t data_off;	/* page-rounded code size */
	uint64_t addr;
	uint64_t sec_off[MAX_SECS];
	unsigned char placed[MAX_SECS];
	struct hd_func *funcs;
	const char **names;
	__u32 nfuncs;
};

static int bad(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Place section @ndx at the end of a region, aligned as it asks. */
static int place(struct plan *p, size_t ndx, const GElf_Shdr *sh,
		 size_t *end, int data, char *err, size_t len)
{
	uint64_t align = sh->sh_addralign > 1 ? sh->sh_addralign : 1;

	if (align > PAGE || (align & (align - 1)))
		return bad(err, len, "section %zu has an alignment of %" PRIu64,
			   ndx, (uint64_t)sh->sh_addralign);
	*end = (*end + align - 1) & ~(align - 1);
	p->sec_off[ndx] = *end;
	p->placed[ndx] = 1 + data;
	*end += sh->sh_size;
	if (*end > (data ? HD_MAX_DATA_SIZE : HD_MAX_CODE_SIZE))
		return bad(err, len, "the patch's %s exceeds %u bytes",
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
static int layout(Elf *elf, struct plan *p, size_t *end, size_t *dend,
		  char *err, size_t len)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return bad(err, len, "no section names");
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
		if (name && !strcmp(name, ".eh_frame"))
			continue;	/* the patch's code is not unwound */
		if (sh.sh_flags & SHF_TLS)
			return bad(err, len, "section %s holds thread-local data", name);
		if ((sh.sh_flags & SHF_WRITE) && (sh.sh_flags & SHF_EXECINSTR))
			return bad(err, len, "section %s is writable code", name);
		if (sh.sh_type != SHT_PROGBITS && sh.sh_type != SHT_NOBITS)
			continue;
		if (ndx >= MAX_SECS)
			return bad(err, len, "too many sections");
		data = (sh.sh_flags & SHF_WRITE) || sh.sh_type == SHT_NOBITS;
		if (place(p, ndx, &sh, data ? dend : end, data, err, len))
			return -1;
	}
	return 0;
}

static int copy_sections(Elf *elf, struct plan *p)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		size_t ndx = elf_ndxscn(scn);
		Elf_Data *d;

		if (ndx >= MAX_SECS || !p->placed[ndx])
			continue;
		d = elf_getdata(scn, NULL);
		/* .bss (NOBITS) has no bytes: the image is zeroed. */
		if (d && d->d_buf && d->d_size)
			memcpy(p->image + p->sec_off[ndx], d->d_buf, d->d_size);
	}
	return 0;
}

/* The runtime address of .symtab entry @i. */
static int sym_value(const struct hdp_file *f, const struct hd_proc *proc,
		     const struct hd_object *obj, const struct plan *p,
		     size_t i, uint64_t *val, char *err, size_t len)
{
	const char *name = hdp_sym_name(f, i);
	GElf_Sym s;
	size_t k;
	int ret;

	if (hdp_get_sym(f, i, &s))
		return bad(err, len, "symbol %zu out of range", i);
	if (s.st_shndx != SHN_UNDEF) {
		if (s.st_shndx >= MAX_SECS || !p->placed[s.st_shndx])
			return bad(err, len, "%s is in a section the patch does not carry",
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
		ret = hd_proc_dynamic_symbol(proc, NULL, name, NULL, val, NULL);
		if (ret == -EOPNOTSUPP)
			return bad(err, len,
				   "%s is thread-local, or an ifunc that process %d has not resolved; a patch can only call it if the program does",
				   name, (int)proc->pid);
		if (ret)
			return bad(err, len, "%s is not defined by any object loaded in process %d",
				   name, (int)proc->pid);
		return 0;
	}
	return bad(err, len, "undefined symbol %s has no resolution in the patch",
		   name ? name : "?");
}

/* Every relocation against the placed sections, with runtime values. */
static int collect_relocs(const struct hdp_file *f, const struct hd_proc *proc,
			  const struct hd_object *obj, struct plan *p,
			  struct hd_reloc **out, size_t *n, char *err,
			  size_t len)
{
	Elf *elf = f->elf;
	Elf_Scn *scn = NULL;
	struct hd_reloc *rel;
	GElf_Shdr sh;
	size_t k = 0;

	rel = calloc(f->nrelocs + 1, sizeof(*rel));
	if (!rel)
		return bad(err, len, "out of memory");
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;
		size_t i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA ||
		    sh.sh_info >= MAX_SECS || !p->placed[sh.sh_info] ||
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
			if (sym_value(f, proc, obj, p, si, &rel[k].value, err,
				      len))
				goto fail_quiet;
			k++;
		}
	}
	*out = rel;
	*n = k;
	return 0;
fail:
	bad(err, len, "malformed relocation");
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
		      const struct hd_object *obj, struct plan *p, char *err,
		      size_t len)
{
	pid_t pid = proc->pid;
	size_t i;

	p->funcs = calloc(f->nfuncs + 1, sizeof(*p->funcs));
	p->names = calloc(f->nfuncs + 1, sizeof(*p->names));
	if (!p->funcs || !p->names)
		return bad(err, len, "out of memory");
	for (i = 0; i < f->nfuncs; i++) {
		const struct hdp_func *fn = &f->funcs[i];
		struct hd_func *k = &p->funcs[p->nfuncs];
		const char *name = hdp_str(f, fn->old_name);
		uint8_t *old;
		GElf_Sym s;

		if (fn->flags & HDP_FUNC_NEW)
			continue;
		if (hdp_get_sym(f, fn->sym, &s) || s.st_shndx >= MAX_SECS ||
		    !p->placed[s.st_shndx])
			return bad(err, len, "the new code of %s is missing", name);
		if (fn->old_size < HD_JMP_SIZE || fn->old_size > (64U << 20))
			return bad(err, len, "%s: implausible size %" PRIu64,
				   name, fn->old_size);
		k->old_addr = obj->bias + fn->old_addr;
		k->old_size = fn->old_size;
		k->new_addr = p->addr + p->sec_off[s.st_shndx] + s.st_value;
		old = malloc(fn->old_size);
		if (!old)
			return bad(err, len, "out of memory");
		if (hd_proc_read(pid, k->old_addr, old, fn->old_size)) {
			free(old);
			return bad(err, len, "cannot read %s at %#llx in process %d",
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
			return bad(err, len,
				   "%s in process %d is not the code the patch was made for (another build, or changed by something other than hotdeploy); nothing was changed",
				   name, (int)pid);
		}
		free(old);
		p->names[p->nfuncs++] = name;
	}
	if (!p->nfuncs)
		return bad(err, len, "the patch replaces no existing function");
	return 0;
}

static int make_plan(const struct hdp_file *f, pid_t pid, struct hd_proc *proc,
		     struct plan *p, char *err, size_t len)
{
	const struct hd_object *obj;
	struct hd_stubs stubs = { 0 };
	struct hd_reloc *rel = NULL;
	size_t end = 0, dend = 0, nrel = 0, cap, i;
	char hex[2 * HDP_MAX_BUILD_ID + 1];
	int ret = -1;

	obj = hd_proc_find_build_id(proc, f->build_id, f->build_id_len);
	if (!obj) {
		hd_build_id_hex(f->build_id, f->build_id_len, hex);
		return bad(err, len,
			   "process %d has no object with build-id %s (%s): the patch is for another build",
			   (int)pid, hex, f->target);
	}
	if (layout(f->elf, p, &end, &dend, err, len))
		return -1;
	cap = f->nrelocs;
	stubs.base = (end + 15) & ~15ULL;
	p->data_off = (stubs.base + cap * HD_STUB_ENTRY_SIZE + PAGE - 1) &
		      ~(PAGE - 1);
	if (!p->data_off)
		p->data_off = PAGE;
	p->size = p->data_off + ((dend + PAGE - 1) & ~(PAGE - 1));
	for (i = 0; i < MAX_SECS; i++)
		if (p->placed[i] == 2)
			p->sec_off[i] += p->data_off;
	p->addr = hd_maps_find_hole(&proc->maps, obj->start, obj->end, p->size,
				    REACH, GUARD);
	if (!p->addr)
		return bad(err, len, "no free address range within 2 GiB of %s in process %d",
			   obj->name, (int)pid);
	p->image = calloc(1, p->size);
	stubs.value = calloc(cap + 1, sizeof(*stubs.value));
	stubs.has_stub = calloc(cap + 1, 1);
	stubs.cap = cap;
	if (!p->image || !stubs.value || !stubs.has_stub) {
		bad(err, len, "out of memory");
		goto out;
	}
	copy_sections(f->elf, p);
	/* Padding and stub slack trap rather than run into the unknown. */
	for (i = end; i < p->data_off; i++)
		p->image[i] = 0xcc;
	if (collect_relocs(f, proc, obj, p, &rel, &nrel, err, len))
		goto out;
	if (hd_reloc_apply(p->image, p->size, p->addr, rel, nrel, &stubs, err,
			   len))
		goto out;
	ret = plan_funcs(f, proc, obj, p, err, len);
out:
	free(rel);
	free(stubs.value);
	free(stubs.has_stub);
	return ret;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* @req: CLOCK_MONOTONIC when the request went to the module and came back. */
static void report(pid_t pid, const struct hd_apply *a, const struct plan *p,
		   int stats, const uint64_t req[2])
{
	const struct hd_timing *t = &a->timing;

	if (hd_opts.json) {
		struct json_object *o = json_object_new_object();
		struct json_object *fn = json_object_new_array();
		__u32 i;

		json_object_object_add(o, "pid", json_object_new_int(pid));
		json_object_object_add(o, "patch", json_object_new_int64(a->patch_id));
		json_object_object_add(o, "code_addr", json_object_new_int64(p->addr));
		for (i = 0; i < p->nfuncs; i++)
			json_object_array_add(fn, json_object_new_string(p->names[i]));
		json_object_object_add(o, "functions", fn);
		json_object_object_add(o, "threads", json_object_new_int(a->nr_threads));
		json_object_object_add(o, "attempts", json_object_new_int(a->attempts_made));
		json_object_object_add(o, "park_ns", json_object_new_int64(t->park_ns));
		json_object_object_add(o, "check_ns", json_object_new_int64(t->check_ns));
		json_object_object_add(o, "map_ns", json_object_new_int64(t->map_ns));
		json_object_object_add(o, "write_ns", json_object_new_int64(t->write_ns));
		json_object_object_add(o, "release_ns", json_object_new_int64(t->release_ns));
		json_object_object_add(o, "pause_ns", json_object_new_int64(t->pause_ns));
		json_object_object_add(o, "pause_start_ns",
				       json_object_new_int64(a->pause_start_ns));
		json_object_object_add(o, "precheck_ns", json_object_new_int64(a->precheck_ns));
		json_object_object_add(o, "request_start_ns", json_object_new_int64(req[0]));
		json_object_object_add(o, "request_end_ns", json_object_new_int64(req[1]));
		hd_json_print(o);
		return;
	}
	printf("applied patch %llu to pid %d: %u function%s, %u thread%s paused %.1f µs\n",
	       (unsigned long long)a->patch_id, (int)pid, p->nfuncs,
	       p->nfuncs == 1 ? "" : "s", a->nr_threads,
	       a->nr_threads == 1 ? "" : "s", t->pause_ns / 1000.0);
	if (stats)
		printf(STATS_FMT, t->park_ns / 1e3, t->check_ns / 1e3,
		       t->write_ns / 1e3, t->release_ns / 1e3, t->map_ns / 1e3,
		       a->precheck_ns / 1e3, a->attempts_made);
}

int cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "retries", required_argument, NULL, 'r' },
		{ "retry-delay", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "stats", no_argument, NULL, 's' },
		{ "save-image", required_argument, NULL, 'i' },
		{ 0 }
	};
	const char *save_dir = NULL;
	struct hd_apply a = { 0 };
	uint64_t req[2];
	struct plan p = { 0 };
	struct hd_proc proc;
	struct hdp_file f;
	int c, fd = -1, dry = 0, stats = 0, ret = HD_EXIT_FAIL, err;
	const char *path;
	char msg[512];
	pid_t pid = 0;
	size_t len;
	void *buf;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pid = atoi(optarg);
			break;
		case 'r':
			a.attempts = atoi(optarg) + 1;
			break;
		case 'd':
			a.retry_delay_ms = atoi(optarg);
			break;
		case 't':
			a.timeout_ms = atoi(optarg);
			break;
		case 'f':
			a.flags |= HD_APPLY_FORCE;
			break;
		case 'n':
			dry = 1;
			break;
		case 's':
			stats = 1;
			break;
		case 'i':
			save_dir = optarg;
			break;
		default:
			usage_apply();
			return HD_EXIT_USAGE;
		}
	}
	if (pid <= 0 || optind != argc - 1) {
		usage_apply();
		return HD_EXIT_USAGE;
	}
	path = argv[optind];
	buf = hd_slurp(path, &len);
	if (!buf)
		return HD_EXIT_FAIL;
	if (hdp_parse(buf, len, &f, msg, sizeof(msg))) {
		hd_err("%s: %s", path, msg);
		goto out_buf;
	}
	err = hd_proc_open(pid, &proc);
	if (err) {
		hd_err("apply: process %d: %s", (int)pid,
		       err == -ESRCH ? "no such process" :
		       err == -EACCES || err == -EPERM ?
		       "permission denied: needs root with CAP_SYS_PTRACE" :
		       strerror(-err));
		goto out_hdp;
	}
	if (make_plan(&f, pid, &proc, &p, msg, sizeof(msg))) {
		hd_err("apply: %s", msg);
		goto out_proc;
	}
	if (save_dir && hd_image_save(save_dir, pid, p.addr, p.image, p.size,
				      p.funcs, p.names, p.nfuncs, msg,
				      sizeof(msg))) {
		hd_err("apply: %s", msg);
		goto out_proc;
	}
	if (dry) {
		printf("would apply %s to pid %d: %u function%s, code at %#llx",
		       path, (int)pid, p.nfuncs, p.nfuncs == 1 ? "" : "s",
		       (unsigned long long)p.addr);
		printf(" (%zu bytes), data %zu bytes\n", p.data_off,
		       p.size - p.data_off);
		ret = HD_EXIT_OK;
		goto out_proc;
	}
	fd = hd_dev_open();
	if (fd < 0)
		goto out_proc;
	a.pid = pid;
	a.nr_funcs = p.nfuncs;
	a.funcs = (uintptr_t)p.funcs;
	a.func_size = sizeof(*p.funcs);
	a.code = (uintptr_t)p.image;
	a.code_size = p.data_off;
	a.code_addr = p.addr;
	if (p.size > p.data_off) {
		a.data = (uintptr_t)(p.image + p.data_off);
		a.data_size = p.size - p.data_off;
	}
	req[0] = monotonic_ns();
	err = hd_kernel_apply(fd, &a);
	req[1] = monotonic_ns();
	if (err == -E2BIG && a.data_size) {
		hd_err("apply: the loaded hotdeploy.ko cannot map a patch's new data (it predates ABI feature 'data'); load this version's module");
		goto out_fd;
	}
	if (err) {
		struct hd_refusal why = {
			.op = "apply", .pid = pid, .err = err,
			.reason = a.fail_reason, .tid = a.fail_tid,
			.attempts = a.attempts_made,
			.delay_ms = a.retry_delay_ms ?: 100,
			.timeout_ms = a.timeout_ms ?: 2000,
		};

		if (a.fail_func < p.nfuncs)
			why.func = p.names[a.fail_func];
		hd_explain(&why, msg, sizeof(msg));
		hd_err("%s", msg);
		goto out_fd;
	}
	report(pid, &a, &p, stats, req);
	ret = HD_EXIT_OK;
out_fd:
	close(fd);
out_proc:
	free(p.image);
	free(p.funcs);
	free(p.names);
	hd_proc_close(&proc);
out_hdp:
	hdp_release(&f);
out_buf:
	free(buf);
	return ret;
}
