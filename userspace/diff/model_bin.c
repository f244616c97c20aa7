// SPDX-License-Identifier: GPL-2.0
/*
 * A binary or shared library linked with -Wl,--emit-relocs, split back
 * into the model of diffobj.h, as if every function and data object had
 * been compiled into its own section:
 *
 *  - executable sections are cut at the function symbols (st_value,
 *    st_size), data sections at the object symbols; what code refers to
 *    in data without a symbol (string literals in the merged .rodata,
 *    constants, jump tables) becomes a piece of its own, from the place
 *    referred to up to the next such place, and at least to the end of
 *    a NUL-terminated string (the linker merges string tails);
 *  - every relocation the link kept is moved onto the piece it patches,
 *    and one against a section or a label is redirected to the function,
 *    object or piece its target lies in: for a rip-relative field that
 *    target is the end of its instruction plus the field, so every
 *    function is decoded (capstone);
 *  - the assembler resolves a call or jump to a static function of the
 *    same section itself and keeps no relocation for it; those fields are
 *    found by the decoding and get a relocation here, so that moved code
 *    compares equal and carried code reaches its callee;
 *  - relocated fields are zeroed, as in an object file.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff/model.h"
#include "elf/reloc.h"
#include "format/hdp.h"

enum piece_kind {
	P_FUNC,		/* a function symbol's code */
	P_DATA,		/* an object symbol's bytes */
	P_ANON,		/* unnamed data some relocation refers to */
	P_ARRAY,	/* .init_array and the like, whole */
	P_UNWIND,	/* .eh_frame, .gcc_except_table: whole */
};

struct piece {
	size_t bsec;		/* the binary's section */
	uint64_t addr, size;
	enum piece_kind kind;
	size_t bsym;		/* P_FUNC, P_DATA: the binary's symbol */
	size_t msec;		/* its model section */
	size_t msym;		/* the model symbol references resolve to */
	uint8_t *bytes;		/* the model section's contents */
	bool tls_relaxed;	/* the linker rewrote a dynamic TLS access */
	GElf_Rela *relas;
	size_t nrelas, caprelas;
};

/* A pc-relative field found by decoding. */
struct rref {
	uint64_t field, end, target;
	size_t fsec;		/* the function's section and address */
	uint64_t faddr;
	uint8_t size;
	bool call;		/* a call or unconditional jump */
	bool covered;		/* an emitted relocation fills it */
};

struct bin {
	struct obj *o;
	size_t nbsecs;
	GElf_Shdr *bsh;
	const char **bname;
	const uint8_t **bdata;	/* NULL for SHT_NOBITS */
	bool *modeled;		/* data sections pieces are cut from */
	Elf *elf;
	size_t nbsyms;
	GElf_Sym *bsyms;
	const char **bsymname;	/* without a version suffix */
	const char **bunit;
	bool *copied;		/* a library's object the program has a copy of */
	uint64_t tls_base;
	struct piece *pieces;	/* sorted by place, once split */
	uint64_t *maxend;	/* the furthest end of pieces [0..i] of a section */
	size_t npieces, cappieces;
	struct rref *refs;
	size_t nrefs, caprefs;
	uint64_t *cuts;		/* pairs: section, address */
	size_t ncuts, capcuts;
	uint64_t *fields;	/* pairs: section, address of a data relocation */
	size_t nfields, capfields;
	size_t *symmap;		/* binary symbol -> model symbol, 0: none */
	struct dsym *msyms;
	size_t nmsyms, capmsyms;
};

/* Says nothing: obj_load_bin() names a failure nobody explained. */
static int oom(void)
{
	return -ENOMEM;
}

/* Make room for one more element of @n in @*v (of @cap). */
static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? 2 * *cap : 64;
	p = realloc(*v, c * size);
	if (!p)
		return oom();
	*v = p;
	*cap = c;
	return 0;
}

static bool is_array_section(const struct bin *b, size_t i)
{
	static const char *const names[] = {
		".init_array", ".fini_array", ".preinit_array", ".ctors",
		".dtors",
	};
	size_t k, n;

	if (b->bsh[i].sh_type == SHT_INIT_ARRAY ||
	    b->bsh[i].sh_type == SHT_FINI_ARRAY ||
	    b->bsh[i].sh_type == SHT_PREINIT_ARRAY)
		return true;
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		n = strlen(names[k]);
		if (!strncmp(b->bname[i], names[k], n) &&
		    (!b->bname[i][n] || b->bname[i][n] == '.'))
			return true;
	}
	return false;
}

/*
 * The unwind tables: one piece each, whole, so that a patch can carry
 * its functions' records (diff/unwind.c).  Their pc-relative fields
 * count from themselves (DWARF's pcrel encoding).
 */
static bool is_unwind_section(const struct bin *b, size_t i)
{
	return (b->bsh[i].sh_type == SHT_PROGBITS ||
		b->bsh[i].sh_type == SHT_X86_64_UNWIND) &&
	       (!strcmp(b->bname[i], ".eh_frame") ||
		!strcmp(b->bname[i], ".gcc_except_table"));
}

/* Data sections whose contents are the program's own. */
static bool is_program_data(const struct bin *b, size_t i)
{
	static const char *const linker[] = {
		".interp", ".eh_frame_hdr", ".got", ".got.plt", ".note.ABI-tag",
	};
	const GElf_Shdr *sh = &b->bsh[i];
	size_t k;

	if (!(sh->sh_flags & SHF_ALLOC) || (sh->sh_flags & SHF_EXECINSTR))
		return false;
	if (is_array_section(b, i) || is_unwind_section(b, i))
		return true;
	if (sh->sh_type != SHT_PROGBITS && sh->sh_type != SHT_NOBITS)
		return false;
	for (k = 0; k < sizeof(linker) / sizeof(linker[0]); k++)
		if (!strcmp(b->bname[i], linker[k]))
			return false;
	return true;
}

static bool is_code(const struct bin *b, size_t i)
{
	return i && i < b->nbsecs && b->bsh[i].sh_type == SHT_PROGBITS &&
	       (b->bsh[i].sh_flags & (SHF_ALLOC | SHF_EXECINSTR)) ==
	       (SHF_ALLOC | SHF_EXECINSTR);
}

static int read_sections(struct bin *b, Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrnum(elf, &b->nbsecs) || elf_getshdrstrndx(elf, &shstrndx)) {
		hd_fail(b->o->err, 0, "%s: %s", b->o->path, elf_errmsg(-1));
		return -1;
	}
	b->bsh = calloc(b->nbsecs, sizeof(*b->bsh));
	b->bname = calloc(b->nbsecs, sizeof(*b->bname));
	b->bdata = calloc(b->nbsecs, sizeof(*b->bdata));
	b->modeled = calloc(b->nbsecs, sizeof(*b->modeled));
	if (!b->bsh || !b->bname || !b->bdata || !b->modeled)
		return oom();
	b->bname[0] = "";
	while ((scn = elf_nextscn(elf, scn))) {
		size_t i = elf_ndxscn(scn);
		Elf_Data *d;

		if (!gelf_getshdr(scn, &b->bsh[i]))
			goto bad;
		b->bname[i] = elf_strptr(elf, shstrndx, b->bsh[i].sh_name);
		if (!b->bname[i])
			goto bad;
		if (b->bsh[i].sh_type == SHT_NOBITS)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			goto bad;
		if (b->bsh[i].sh_type == SHT_PROGBITS ||
		    b->bsh[i].sh_type == SHT_X86_64_UNWIND ||
		    b->bsh[i].sh_type == SHT_INIT_ARRAY ||
		    b->bsh[i].sh_type == SHT_FINI_ARRAY ||
		    b->bsh[i].sh_type == SHT_PREINIT_ARRAY) {
			if (d->d_size != b->bsh[i].sh_size)
				goto bad;
			b->bdata[i] = d->d_buf;
		}
	}
	for (size_t i = 1; i < b->nbsecs; i++)
		b->modeled[i] = is_program_data(b, i);
	return 0;
bad:
	hd_fail(b->o->err, 0, "%s: unreadable section: %s", b->o->path, elf_errmsg(-1));
	return -1;
}

/* Whether the link kept relocations for the code (--emit-relocs). */
static bool has_emitted_relocs(const struct bin *b)
{
	size_t i;

	for (i = 1; i < b->nbsecs; i++)
		if (b->bsh[i].sh_type == SHT_RELA &&
		    !(b->bsh[i].sh_flags & SHF_ALLOC) && is_code(b, b->bsh[i].sh_info))
			return true;
	return false;
}

static int read_symbols(struct bin *b, Elf *elf)
{
	const char *unit = NULL;
	Elf_Data *d = NULL;
	size_t i, strndx = 0;

	for (i = 1; i < b->nbsecs && !d; i++) {
		if (b->bsh[i].sh_type != SHT_SYMTAB || !b->bsh[i].sh_entsize)
			continue;
		d = elf_getdata(elf_getscn(elf, i), NULL);
		b->nbsyms = b->bsh[i].sh_size / b->bsh[i].sh_entsize;
		strndx = b->bsh[i].sh_link;
	}
	if (!d) {
		hd_fail(b->o->err, 0, "%s has no symbol table (.symtab): diff the builds before they are stripped",
			b->o->path);
		return -1;
	}
	b->bsyms = calloc(b->nbsyms, sizeof(*b->bsyms));
	b->bsymname = calloc(b->nbsyms, sizeof(*b->bsymname));
	b->bunit = calloc(b->nbsyms, sizeof(*b->bunit));
	b->symmap = calloc(b->nbsyms, sizeof(*b->symmap));
	if (!b->bsyms || !b->bsymname || !b->bunit || !b->symmap)
		return oom();
	b->bsymname[0] = "";
	for (i = 1; i < b->nbsyms; i++) {
		const char *n, *at;

		if (!gelf_getsym(d, i, &b->bsyms[i]))
			goto bad;
		n = elf_strptr(elf, strndx, b->bsyms[i].st_name);
		if (!n)
			goto bad;
		/* printf@GLIBC_2.2.5, foo@@VERS_1: the name apply looks up. */
		at = strchr(n, '@');
		if (at) {
			n = obj_strdup(b->o, n);
			if (!n)
				return oom();
			*strchr(n, '@') = '\0';
		}
		b->bsymname[i] = n;
		/* A linked .symtab lists each object's locals after its name. */
		if (GELF_ST_TYPE(b->bsyms[i].st_info) == STT_FILE)
			unit = *n ? n : NULL;
		else if (GELF_ST_BIND(b->bsyms[i].st_info) == STB_LOCAL)
			b->bunit[i] = unit;
	}
	return 0;
bad:
	hd_fail(b->o->err, 0, "%s: unreadable symbol %zu", b->o->path, i);
	return -1;
}

static void read_tls_base(struct bin *b, Elf *elf)
{
	size_t i, n;

	if (elf_getphdrnum(elf, &n))
		return;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_TLS)
			b->tls_base = ph.p_vaddr;
	}
}

static bool in_list(const uint64_t *v, size_t n, uint64_t x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/*
 * The program's copies of library data (R_X86_64_COPY in its dynamic
 * relocations: stderr, environ, optarg).  They are the library's objects,
 * moved here by the dynamic linker, not the program's: code refers to
 * them by name like to any library symbol, and a patch resolves them as
 * the process does (the running program's copy, or the library's own
 * object), never to fresh zeroes of its own.
 */
static int read_copies(struct bin *b, Elf *elf)
{
	uint64_t *at = NULL;
	size_t i, j, n = 0, cap = 0;

	b->copied = calloc(b->nbsyms, sizeof(*b->copied));
	if (!b->copied)
		return oom();
	for (i = 1; i < b->nbsecs; i++) {
		const GElf_Shdr *sh = &b->bsh[i];
		Elf_Data *d;

		if (sh->sh_type != SHT_RELA || !(sh->sh_flags & SHF_ALLOC) ||
		    !sh->sh_entsize)
			continue;
		d = elf_getdata(elf_getscn(elf, i), NULL);
		for (j = 0; d && j < sh->sh_size / sh->sh_entsize; j++) {
			GElf_Rela r;

			if (!gelf_getrela(d, j, &r) ||
			    GELF_R_TYPE(r.r_info) != R_X86_64_COPY)
				continue;
			if (grow((void **)&at, &cap, n, sizeof(*at))) {
				free(at);
				return -1;
			}
			at[n++] = r.r_offset;
		}
	}
	for (i = 1; i < b->nbsyms && n; i++) {
		const GElf_Sym *sym = &b->bsyms[i];

		if (sym->st_shndx != SHN_UNDEF && sym->st_shndx < b->nbsecs &&
		    GELF_ST_TYPE(sym->st_info) == STT_OBJECT &&
		    GELF_ST_BIND(sym->st_info) != STB_LOCAL &&
		    GELF_ST_VISIBILITY(sym->st_other) == STV_DEFAULT &&
		    sym->st_size &&	/* not a marker there: __TMC_END__ */
		    in_list(at, n, sym->st_value))
			b->copied[i] = true;
	}
	free(at);
	return 0;
}

/* The address a symbol stands for (thread-locals: in the TLS image). */
static uint64_t sym_addr(const struct bin *b, size_t i)
{
	const GElf_Sym *s = &b->bsyms[i];

	if (GELF_ST_TYPE(s->st_info) == STT_TLS)
		return b->tls_base + s->st_value;
	return s->st_value;
}

static int add_piece(struct bin *b, size_t bsec, uint64_t addr,
		     uint64_t size, enum piece_kind kind, size_t bsym)
{
	struct piece *p;

	if (grow((void **)&b->pieces, &b->cappieces, b->npieces, sizeof(*p)))
		return -1;
	p = &b->pieces[b->npieces++];
	memset(p, 0, sizeof(*p));
	p->bsec = bsec;
	p->addr = addr;
	p->size = size;
	p->kind = kind;
	p->bsym = bsym;
	return 0;
}

static int by_place(const void *x, const void *y)
{
	const struct piece *a = x, *b = y;

	if (a->bsec != b->bsec)
		return a->bsec < b->bsec ? -1 : 1;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if (a->size != b->size)
		return a->size < b->size ? -1 : 1;
	return (int)a->kind - (int)b->kind;
}

/* Sort the pieces and note how far back an overlapping one can start. */
static int index_pieces(struct bin *b)
{
	size_t i;

	if (b->npieces)
		qsort(b->pieces, b->npieces, sizeof(*b->pieces), by_place);
	free(b->maxend);
	b->maxend = calloc(b->npieces + 1, sizeof(*b->maxend));
	if (!b->maxend)
		return oom();
	for (i = 0; i < b->npieces; i++) {
		const struct piece *p = &b->pieces[i];
		uint64_t end = p->addr + p->size;

		if (i && p[-1].bsec == p->bsec && b->maxend[i - 1] > end)
			end = b->maxend[i - 1];
		b->maxend[i] = end;
	}
	return 0;
}

/*
 * The pieces of section @sec holding [@addr, @addr + @width) (with
 * @width 0: @addr up to one past the end), innermost first, in @out.
 */
static size_t pieces_at(const struct bin *b, size_t sec, uint64_t addr,
			size_t width, struct piece **out, size_t max)
{
	size_t lo = 0, hi = b->npieces, n = 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct piece *p = &b->pieces[mid];

		if (p->bsec < sec || (p->bsec == sec && p->addr <= addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo-- && n < max) {
		struct piece *p = &b->pieces[lo];

		if (p->bsec != sec || b->maxend[lo] < addr + width)
			break;
		if (addr + width <= p->addr + p->size)
			out[n++] = p;
	}
	return n;
}

/* The next function symbol's address after @addr in @sec, or its end. */
static uint64_t next_func(const struct bin *b, size_t sec, uint64_t addr)
{
	uint64_t end = b->bsh[sec].sh_addr + b->bsh[sec].sh_size;
	size_t i;

	for (i = 1; i < b->nbsyms; i++) {
		const GElf_Sym *s = &b->bsyms[i];

		if (s->st_shndx == sec && s->st_value > addr && s->st_value < end &&
		    (GELF_ST_TYPE(s->st_info) == STT_FUNC ||
		     GELF_ST_TYPE(s->st_info) == STT_GNU_IFUNC))
			end = s->st_value;
	}
	return end;
}

/*
 * The assembler's local labels (gcc's .LC0, clang's .L.str, which clang
 * types as an object) stand for places, not for variables.
 */
static bool is_label(const struct bin *b, size_t i)
{
	return !*b->bsymname[i] ||
	       (GELF_ST_BIND(b->bsyms[i].st_info) == STB_LOCAL &&
		!strncmp(b->bsymname[i], ".L", 2));
}

/* Functions, named data objects and the init/fini arrays. */
static int named_pieces(struct bin *b)
{
	size_t i;

	for (i = 1; i < b->nbsyms; i++) {
		const GElf_Sym *s = &b->bsyms[i];
		int type = GELF_ST_TYPE(s->st_info);
		size_t sec = s->st_shndx;
		uint64_t addr = sym_addr(b, i), size = s->st_size;
		const GElf_Shdr *sh;

		if (!sec || sec >= b->nbsecs || is_label(b, i) || b->copied[i])
			continue;
		sh = &b->bsh[sec];
		if ((type == STT_FUNC || type == STT_GNU_IFUNC) && is_code(b, sec)) {
			if (addr < sh->sh_addr || addr >= sh->sh_addr + sh->sh_size)
				continue;
			/* No size (crt's assembly): up to the next function. */
			if (!size)
				size = next_func(b, sec, addr) - addr;
			if (addr + size > sh->sh_addr + sh->sh_size) {
				hd_fail(b->o->err, 0, "%s: function %s lies outside %s",
					b->o->path, b->bsymname[i], b->bname[sec]);
				return -1;
			}
			if (add_piece(b, sec, addr, size, P_FUNC, i))
				return -1;
		} else if ((type == STT_OBJECT || type == STT_TLS) &&
			   b->modeled[sec] && !is_array_section(b, sec) &&
			   !is_unwind_section(b, sec)) {
			if (addr < sh->sh_addr ||
			    addr + size > sh->sh_addr + sh->sh_size) {
				hd_fail(b->o->err, 0, "%s: %s lies outside %s", b->o->path,
					b->bsymname[i], b->bname[sec]);
				return -1;
			}
			if (add_piece(b, sec, addr, size, P_DATA, i))
				return -1;
		}
	}
	for (i = 1; i < b->nbsecs; i++)
		if (b->modeled[i] && is_array_section(b, i) &&
		    add_piece(b, i, b->bsh[i].sh_addr, b->bsh[i].sh_size,
			      P_ARRAY, 0))
			return -1;
	for (i = 1; i < b->nbsecs; i++)
		if (b->modeled[i] && is_unwind_section(b, i) &&
		    add_piece(b, i, b->bsh[i].sh_addr, b->bsh[i].sh_size,
			      P_UNWIND, 0))
			return -1;
	return 0;
}

/*
 * One piece per place: symbols of one function (aliases) or of one
 * object share it; the longest extent wins, a global names it.
 */
static int merge_aliases(struct bin *b)
{
	size_t i, n = 0;

	if (b->npieces)
		qsort(b->pieces, b->npieces, sizeof(*b->pieces), by_place);
	for (i = 0; i < b->npieces; i++) {
		struct piece *p = &b->pieces[i], *q = n ? &b->pieces[n - 1] : NULL;

		if (q && q->bsec == p->bsec && q->addr == p->addr &&
		    q->kind == p->kind &&
		    (p->kind == P_FUNC || q->size == p->size)) {
			if (p->size > q->size)
				q->size = p->size;
			if (GELF_ST_BIND(b->bsyms[q->bsym].st_info) == STB_LOCAL &&
			    GELF_ST_BIND(b->bsyms[p->bsym].st_info) != STB_LOCAL)
				q->bsym = p->bsym;
			continue;
		}
		b->pieces[n++] = *p;
	}
	b->npieces = n;
	return index_pieces(b);
}

/* The function holding @addr in code section @sec. */
static struct piece *func_at(const struct bin *b, size_t sec, uint64_t addr)
{
	struct piece *v[16];
	size_t n, i;

	n = pieces_at(b, sec, addr, 1, v, 16);
	for (i = 0; i < n; i++)
		if (v[i]->kind == P_FUNC)
			return v[i];
	return NULL;
}

/* The code section holding @addr, or 0. */
static size_t code_section_at(const struct bin *b, uint64_t addr)
{
	size_t i;

	for (i = 1; i < b->nbsecs; i++)
		if (is_code(b, i) && addr >= b->bsh[i].sh_addr &&
		    addr < b->bsh[i].sh_addr + b->bsh[i].sh_size)
			return i;
	return 0;
}

static int add_ref(struct bin *b, const cs_insn *insn, const struct piece *f,
		   uint8_t off, uint8_t size, uint64_t target, bool call)
{
	struct rref *r;

	if (grow((void **)&b->refs, &b->caprefs, b->nrefs, sizeof(*r)))
		return -1;
	r = &b->refs[b->nrefs++];
	r->field = insn->address + off;
	r->end = insn->address + insn->size;
	r->target = target;
	r->fsec = f->bsec;
	r->faddr = f->addr;
	r->size = size;
	r->call = call;
	r->covered = false;
	return 0;
}

/* Every pc-relative field of every function: branches and rip operands. */
static int decode(struct bin *b)
{
	cs_insn *insn;
	size_t i;
	csh cs;
	int ret = -1;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		hd_fail(b->o->err, 0, "cannot start the x86-64 decoder (capstone)");
		return -1;
	}
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(cs);
	if (!insn) {
		oom();
		goto out;
	}
	for (i = 0; i < b->npieces; i++) {
		const struct piece *p = &b->pieces[i];
		const uint8_t *code;
		uint64_t addr;
		size_t left;

		if (p->kind != P_FUNC)
			continue;
		code = b->bdata[p->bsec] + (p->addr - b->bsh[p->bsec].sh_addr);
		addr = p->addr;
		left = p->size;
		while (left) {
			const cs_x86 *x;
			bool branch;
			uint8_t k;

			if (!cs_disasm_iter(cs, &code, &left, &addr, insn)) {
				hd_fail(b->o->err, 0, "%s: %s+%#llx: an instruction the decoder does not know",
					b->o->path, b->bsymname[p->bsym],
					(unsigned long long)(addr - p->addr));
				goto out;
			}
			x = &insn->detail->x86;
			branch = cs_insn_group(cs, insn, CS_GRP_JUMP) ||
				 cs_insn_group(cs, insn, CS_GRP_CALL);
			for (k = 0; k < x->op_count; k++) {
				const cs_x86_op *op = &x->operands[k];

				if (op->type == X86_OP_MEM && op->mem.base == X86_REG_RIP &&
				    x->encoding.disp_offset &&
				    add_ref(b, insn, p, x->encoding.disp_offset,
					    x->encoding.disp_size,
					    insn->address + insn->size + op->mem.disp,
					    false))
					goto out;
				if (op->type == X86_OP_IMM && branch &&
				    x->encoding.imm_offset &&
				    add_ref(b, insn, p, x->encoding.imm_offset,
					    x->encoding.imm_size, op->imm,
					    insn->id == X86_INS_CALL ||
					    insn->id == X86_INS_JMP))
					goto out;
			}
		}
	}
	ret = 0;
out:
	if (insn)
		cs_free(insn, 1);
	cs_close(&cs);
	return ret;
}

static int by_field(const void *x, const void *y)
{
	const struct rref *a = x, *b = y;

	return a->field < b->field ? -1 : a->field > b->field;
}

static struct rref *ref_at(const struct bin *b, uint64_t field)
{
	struct rref key = { .field = field };

	if (!b->nrefs)
		return NULL;
	return bsearch(&key, b->refs, b->nrefs, sizeof(key), by_field);
}

/* A relocation's symbol refers to a place, not to a named entity. */
static bool by_place_ref(const struct bin *b, size_t sym)
{
	const GElf_Sym *s = &b->bsyms[sym];

	return s->st_shndx != SHN_UNDEF && !b->symmap[sym] && !b->copied[sym] &&
	       GELF_ST_TYPE(s->st_info) != STT_TLS;
}

/*
 * Where a relocation inside @loc points: an address in its symbol's
 * section.  In code a rip-relative field counts from the end of its
 * instruction; in data a pc-relative entry from its table's start.
 * Returns 0, or 1 when that cannot be told.
 */
static int reloc_dest(const struct bin *b, const struct piece *loc,
		      const GElf_Rela *r, uint64_t *dest)
{
	size_t sym = GELF_R_SYM(r->r_info);
	uint64_t s = b->bsyms[sym].st_value;
	const struct rref *ref;
	uint64_t t1, t2;

	*dest = s + r->r_addend;
	if (!hd_reloc_pc_relative(GELF_R_TYPE(r->r_info)) ||
	    hd_reloc_via_got(GELF_R_TYPE(r->r_info)))
		return 0;
	if (loc->kind == P_FUNC) {
		ref = ref_at(b, r->r_offset);
		if (!ref)
			return 1;
		*dest = s + r->r_addend + (ref->end - r->r_offset);
		return 0;
	}
	if (loc->kind == P_UNWIND)
		return 0;
	/*
	 * Compilers write pc-relative data as tables of "target - table"
	 * (jump tables, clang's relative lookup tables), never relative to
	 * the entry itself.
	 */
	t1 = s + r->r_addend;
	t2 = t1 - (r->r_offset - loc->addr);
	*dest = t2;
	if (loc->kind == P_ANON || loc->kind == P_DATA || t1 == t2)
		return 0;
	return 1;
}

static int add_pair(uint64_t **v, size_t *n, size_t *cap, size_t sec,
		    uint64_t addr)
{
	if (grow((void **)v, cap, *n + 1, 2 * sizeof(**v)))
		return -1;
	(*v)[2 * *n] = sec;
	(*v)[2 * *n + 1] = addr;
	(*n)++;
	return 0;
}

static int add_cut(struct bin *b, size_t sec, uint64_t addr)
{
	return add_pair(&b->cuts, &b->ncuts, &b->capcuts, sec, addr);
}

/* The named data piece @addr is in, or a symbol of no size at @addr. */
static struct piece *data_at(const struct bin *b, size_t sec, uint64_t addr)
{
	struct piece *v[64];
	size_t n, i;

	n = pieces_at(b, sec, addr, 0, v, 64);
	for (i = 0; i < n; i++)
		if ((v[i]->kind == P_DATA || v[i]->kind == P_ARRAY) &&
		    (addr < v[i]->addr + v[i]->size ||
		     (!v[i]->size && addr == v[i]->addr)))
			return v[i];
	return NULL;
}

/* A named data piece that ends at @addr (a loop's end pointer?). */
static struct piece *data_ending_at(const struct bin *b, size_t sec,
				    uint64_t addr)
{
	struct piece *v[64];
	size_t n, i;

	n = pieces_at(b, sec, addr, 0, v, 64);
	for (i = 0; i < n; i++)
		if (v[i]->kind == P_DATA && v[i]->size &&
		    addr == v[i]->addr + v[i]->size)
			return v[i];
	return NULL;
}

/*
 * Whether a relocation through symbol @sym to @dest is ambiguous: made
 * through a section symbol, it points just past a named object, and no
 * label says something else starts there.  It may be that object's end
 * (a loop bound, which must stay the target's) or unnamed data placed
 * after it (a jump table, which a patch must carry): never guess.
 */
static bool ambiguous_end(const struct bin *b, size_t sym, uint64_t dest)
{
	size_t sec = b->bsyms[sym].st_shndx, i;

	const struct piece *x = data_ending_at(b, sec, dest);

	/*
	 * The assembler refers to a global through its own symbol; only a
	 * static object is reached through its section.
	 */
	if (GELF_ST_TYPE(b->bsyms[sym].st_info) != STT_SECTION || !x ||
	    GELF_ST_BIND(b->bsyms[x->bsym].st_info) != STB_LOCAL)
		return false;
	for (i = 1; i < b->nbsyms; i++)
		if (b->bsyms[i].st_shndx == sec && b->bsyms[i].st_value == dest &&
		    GELF_ST_TYPE(b->bsyms[i].st_info) != STT_SECTION &&
		    *b->bsymname[i])
			return false;
	return true;
}

/* Call @fn for every emitted relocation that lies in a piece. */
typedef int (*reloc_fn)(struct bin *b, struct piece *loc, const GElf_Rela *r);

static int each_reloc(struct bin *b, reloc_fn fn, bool every_piece)
{
	Elf_Data *d;
	size_t i, j;

	for (i = 1; i < b->nbsecs; i++) {
		const GElf_Shdr *sh = &b->bsh[i];
		size_t to = sh->sh_info;

		if (sh->sh_type != SHT_RELA || (sh->sh_flags & SHF_ALLOC) ||
		    !sh->sh_entsize || !to || to >= b->nbsecs ||
		    (!is_code(b, to) && !b->modeled[to]))
			continue;
		d = elf_getdata(elf_getscn(b->elf, i), NULL);
		for (j = 0; d && j < sh->sh_size / sh->sh_entsize; j++) {
			struct piece *v[64];
			GElf_Rela r;
			size_t n, k, w;

			if (!gelf_getrela(d, j, &r)) {
				hd_fail(b->o->err, 0, "%s: %s: unreadable relocation %zu",
					b->o->path, b->bname[i], j);
				return -1;
			}
			if (GELF_R_TYPE(r.r_info) == R_X86_64_NONE)
				continue;
			if (!GELF_R_SYM(r.r_info) ||
			    GELF_R_SYM(r.r_info) >= b->nbsyms) {
				hd_fail(b->o->err, 0, "%s: %s: relocation %zu has no symbol",
					b->o->path, b->bname[i], j);
				return -1;
			}
			w = hd_reloc_width(GELF_R_TYPE(r.r_info));
			if (!w) {
				if (is_code(b, to) && !func_at(b, to, r.r_offset))
					continue;
				hd_fail(b->o->err, 0, "%s: relocation type %u at %#llx not understood",
					b->o->path, (unsigned int)GELF_R_TYPE(r.r_info),
					(unsigned long long)r.r_offset);
				return -1;
			}
			n = pieces_at(b, to, r.r_offset, w, v, every_piece ? 64 : 1);
			for (k = 0; k < n; k++)
				if (fn(b, v[k], &r))
					return -1;
		}
	}
	return 0;
}

/* Collect a cut where a relocation points into unnamed data. */
static int note_cut(struct bin *b, struct piece *loc, const GElf_Rela *r)
{
	size_t sym = GELF_R_SYM(r->r_info), sec;
	const GElf_Shdr *sh;
	uint64_t dest;

	if (!by_place_ref(b, sym) || hd_reloc_via_got(GELF_R_TYPE(r->r_info)))
		return 0;
	sec = b->bsyms[sym].st_shndx;
	if (sec >= b->nbsecs || !b->modeled[sec] || is_unwind_section(b, sec))
		return 0;
	if (reloc_dest(b, loc, r, &dest))
		return 0;
	sh = &b->bsh[sec];
	if (dest < sh->sh_addr || dest > sh->sh_addr + sh->sh_size ||
	    data_at(b, sec, dest))
		return 0;
	return add_cut(b, sec, dest);
}

static int by_cut(const void *x, const void *y)
{
	const uint64_t *a = x, *b = y;

	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* The start of the first named data piece after @addr in @sec. */
static uint64_t next_named(const struct bin *b, size_t sec, uint64_t addr,
			   uint64_t end)
{
	size_t lo = 0, hi = b->npieces;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct piece *p = &b->pieces[mid];

		if (p->bsec < sec || (p->bsec == sec && p->addr <= addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < b->npieces && b->pieces[lo].bsec == sec; lo++) {
		const struct piece *p = &b->pieces[lo];

		if (p->addr >= end)
			break;
		if (p->kind != P_ANON && p->size)
			return p->addr;
	}
	return end;
}

/* Where relocations patch data: no string has one. */
static int note_fields(struct bin *b)
{
	Elf_Data *d;
	size_t i, j;

	for (i = 1; i < b->nbsecs; i++) {
		const GElf_Shdr *sh = &b->bsh[i];
		size_t to = sh->sh_info;

		if (sh->sh_type != SHT_RELA || (sh->sh_flags & SHF_ALLOC) ||
		    !sh->sh_entsize || !to || to >= b->nbsecs ||
		    !b->modeled[to])
			continue;
		d = elf_getdata(elf_getscn(b->elf, i), NULL);
		for (j = 0; d && j < sh->sh_size / sh->sh_entsize; j++) {
			GElf_Rela r;

			if (gelf_getrela(d, j, &r) &&
			    add_pair(&b->fields, &b->nfields, &b->capfields, to,
				     r.r_offset))
				return -1;
		}
	}
	if (b->nfields)
		qsort(b->fields, b->nfields, 2 * sizeof(*b->fields), by_cut);
	return 0;
}

/* Whether a data relocation patches [@from, @to) of section @sec. */
static bool has_field(const struct bin *b, size_t sec, uint64_t from,
		      uint64_t to)
{
	size_t lo = 0, hi = b->nfields;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const uint64_t *f = &b->fields[2 * mid];

		if (f[0] < sec || (f[0] == sec && f[1] < from))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < b->nfields && b->fields[2 * lo] == sec &&
	       b->fields[2 * lo + 1] < to;
}

/* Unnamed data pieces, one per distinct place referred to. */
static int anon_pieces(struct bin *b)
{
	size_t i, n = 0;

	/* Start again from the named pieces and every cut so far. */
	for (i = 0; i < b->npieces; i++)
		if (b->pieces[i].kind != P_ANON)
			b->pieces[n++] = b->pieces[i];
	b->npieces = n;
	if (index_pieces(b))
		return -1;
	if (b->ncuts)
		qsort(b->cuts, b->ncuts, 2 * sizeof(*b->cuts), by_cut);
	for (i = 0, n = 0; i < b->ncuts; i++)
		if (!n || b->cuts[2 * i] != b->cuts[2 * n - 2] ||
		    b->cuts[2 * i + 1] != b->cuts[2 * n - 1]) {
			b->cuts[2 * n] = b->cuts[2 * i];
			b->cuts[2 * n + 1] = b->cuts[2 * i + 1];
			n++;
		}
	b->ncuts = n;
	for (i = 0; i < b->ncuts; i++) {
		size_t sec = b->cuts[2 * i];
		uint64_t at = b->cuts[2 * i + 1];
		const GElf_Shdr *sh = &b->bsh[sec];
		uint64_t secend = sh->sh_addr + sh->sh_size, end, named;
		const uint8_t *d = b->bdata[sec];

		end = i + 1 < b->ncuts && b->cuts[2 * i + 2] == sec ?
		      b->cuts[2 * i + 3] : secend;
		named = next_named(b, sec, at, secend);
		/*
		 * A string runs to its NUL, over any tail merged into it;
		 * what holds a relocation (a jump table) is no string.
		 */
		if (d) {
			const uint8_t *nul = memchr(d + (at - sh->sh_addr), 0,
						    secend - at);
			uint64_t nulend = nul ? (nul + 1 - d) + sh->sh_addr : 0;

			if (nulend > end && !has_field(b, sec, at, nulend))
				end = nulend;
		}
		if (end > named)
			end = named;
		if (add_piece(b, sec, at, end - at, P_ANON, 0))
			return -1;
	}
	return index_pieces(b);
}

static long add_msym(struct bin *b, const char *name, const char *unit,
		     const GElf_Sym *s)
{
	struct dsym *m;

	if (grow((void **)&b->msyms, &b->capmsyms, b->nmsyms, sizeof(*m)))
		return -1;
	m = &b->msyms[b->nmsyms];
	memset(m, 0, sizeof(*m));
	m->name = name;
	m->unit = unit;
	m->sym = *s;
	return b->nmsyms++;
}

/* Model section 1 + @i, from piece @i. */
static int piece_section(struct bin *b, size_t i)
{
	struct piece *p = &b->pieces[i];
	struct obj *o = b->o;
	const GElf_Shdr *bsh = &b->bsh[p->bsec];
	struct dsec *s = &o->secs[i + 1];
	uint64_t align = bsh->sh_addralign ? bsh->sh_addralign : 1;
	const char *sname = b->bname[p->bsec];
	char *name;

	p->msec = i + 1;
	if (p->kind == P_FUNC || p->kind == P_DATA) {
		const char *n = b->bsymname[p->bsym];

		name = obj_alloc(o, strlen(sname) + strlen(n) + 2);
		if (!name)
			return oom();
		sprintf(name, "%s.%s", sname, n);
	} else {
		name = (char *)sname;
	}
	if (p->kind == P_FUNC)
		align = 16;
	while (align > 1 && p->addr % align)
		align >>= 1;
	s->name = name;
	s->sh.sh_type = bsh->sh_type == SHT_NOBITS ? SHT_NOBITS :
			SHT_PROGBITS;
	s->sh.sh_flags = bsh->sh_flags & (SHF_ALLOC | SHF_WRITE |
					  SHF_EXECINSTR | SHF_TLS);
	s->sh.sh_addralign = align;
	s->sh.sh_size = p->size;
	if (s->sh.sh_type == SHT_PROGBITS) {
		p->bytes = obj_alloc(o, p->size);
		if (!p->bytes)
			return oom();
		if (p->size)
			memcpy(p->bytes, b->bdata[p->bsec] +
			       (p->addr - bsh->sh_addr), p->size);
		s->data = p->bytes;
	}
	/*
	 * Unnamed data is compared up to its last non-zero byte and
	 * a NUL: the zeros after a string are alignment padding that
	 * moves with what follows.  The whole extent is carried.
	 */
	if (p->kind == P_ANON && p->bytes) {
		uint64_t n = p->size;

		while (n && !b->bdata[p->bsec][p->addr - bsh->sh_addr + n - 1])
			n--;
		s->cmpsize = n < p->size ? n + 1 : p->size;
		if (!s->cmpsize)
			s->cmpsize = p->size;
	}
	if (p->kind == P_ANON || p->kind == P_ARRAY || p->kind == P_UNWIND) {
		GElf_Sym ss = { .st_info = GELF_ST_INFO(STB_LOCAL, STT_SECTION),
				.st_shndx = p->msec };
		long m = add_msym(b, "", NULL, &ss);

		if (m < 0)
			return -1;
		p->msym = m;
	}
	return 0;
}

/* Every symbol naming a function or an object, aliases too. */
static int model_symbols(struct bin *b)
{
	size_t i;

	for (i = 1; i < b->nbsyms; i++) {
		const GElf_Sym *bs = &b->bsyms[i];
		int type = GELF_ST_TYPE(bs->st_info);
		struct piece *p = NULL;
		GElf_Sym ms;
		long m;

		if (!bs->st_shndx || bs->st_shndx >= b->nbsecs ||
		    is_label(b, i) || b->copied[i])
			continue;
		if (type == STT_FUNC || type == STT_GNU_IFUNC) {
			if (!is_code(b, bs->st_shndx))
				continue;
			p = func_at(b, bs->st_shndx, bs->st_value);
		} else if (type == STT_OBJECT || type == STT_TLS) {
			p = data_at(b, bs->st_shndx, sym_addr(b, i));
		}
		if (!p || p->addr != sym_addr(b, i) ||
		    (p->kind == P_DATA && p->size != bs->st_size) ||
		    (p->kind != P_FUNC && p->kind != P_DATA))
			continue;
		ms = *bs;
		ms.st_shndx = p->msec;
		ms.st_value = sym_addr(b, i) - p->addr;
		ms.st_size = p->size;
		m = add_msym(b, b->bsymname[i], b->bunit[i], &ms);
		if (m < 0)
			return -1;
		b->symmap[i] = m;
		if (!p->msym || p->bsym == i)
			p->msym = m;
	}
	return 0;
}

/* Model sections and the symbols defined in them. */
static int model_sections(struct bin *b)
{
	struct obj *o = b->o;
	size_t i;

	o->nsecs = b->npieces + 1;
	o->secs = obj_alloc(o, o->nsecs * sizeof(*o->secs));
	if (!o->secs || add_msym(b, "", NULL, &(GElf_Sym){ 0 }) < 0)
		return oom();
	for (i = 0; i < b->npieces; i++)
		if (piece_section(b, i))
			return -1;
	return model_symbols(b);
}

/* A model symbol for what has no piece: refused if a patch needs it. */
static long outside_sym_of(struct bin *b, const char *name, const char *unit)
{
	GElf_Sym s = { .st_info = GELF_ST_INFO(STB_GLOBAL, STT_NOTYPE),
		       .st_shndx = SHN_ABS };
	const char *copy;
	size_t i;

	for (i = 1; i < b->nmsyms; i++)
		if (b->msyms[i].sym.st_shndx == SHN_ABS &&
		    !strcmp(b->msyms[i].name, name) &&
		    obj_same_unit(b->msyms[i].unit, unit))
			return i;
	copy = obj_strdup(b->o, name);
	if (!copy)
		return oom();
	return add_msym(b, copy, unit, &s);
}

static long outside_sym(struct bin *b, const char *name)
{
	return outside_sym_of(b, name, NULL);
}

static long undef_sym(struct bin *b, size_t sym)
{
	GElf_Sym s = b->bsyms[sym];
	size_t i;
	long m;

	if (b->symmap[sym])
		return b->symmap[sym];
	for (i = 1; i < b->nmsyms; i++)
		if (b->msyms[i].sym.st_shndx == SHN_UNDEF &&
		    !strcmp(b->msyms[i].name, b->bsymname[sym]))
			break;
	if (i < b->nmsyms) {
		b->symmap[sym] = i;
		return i;
	}
	/* Also a copy of library data (read_copies()): undefined here. */
	s.st_shndx = SHN_UNDEF;
	s.st_value = 0;
	s.st_size = 0;
	m = add_msym(b, b->bsymname[sym], NULL, &s);
	if (m > 0)
		b->symmap[sym] = m;
	return m;
}

/* The piece place @dest of section @sec stands for, with its symbol. */
static struct piece *dest_piece(const struct bin *b, size_t sec, uint64_t dest)
{
	struct piece *v[64];
	size_t n, i;

	if (is_code(b, sec))
		return func_at(b, sec, dest);
	if (sec >= b->nbsecs || !b->modeled[sec])
		return NULL;
	n = pieces_at(b, sec, dest, 0, v, 64);
	for (i = 0; i < n; i++)
		if ((v[i]->kind == P_ANON && v[i]->addr == dest) ||
		    v[i]->kind == P_UNWIND)
			return v[i];
	return data_at(b, sec, dest);
}

static int add_rela(struct piece *p, uint64_t addr, uint32_t type,
		    long sym, int64_t addend)
{
	GElf_Rela *r;
	unsigned int w = hd_reloc_width(type);

	if (grow((void **)&p->relas, &p->caprelas, p->nrelas, sizeof(*r)))
		return -1;
	r = &p->relas[p->nrelas++];
	r->r_offset = addr - p->addr;
	r->r_info = GELF_R_INFO(sym, type);
	r->r_addend = addend;
	/* As in an object file: the field is the relocation's to fill. */
	if (p->bytes && w && r->r_offset + w <= p->size)
		memset(p->bytes + r->r_offset, 0, w);
	return 0;
}

/*
 * A hash of [@addr, @addr + @size) of section @sec without the fields
 * relocations fill: a jump table's entries change whenever the code
 * before them moves, its layout does not.  0 on OOM (which compares
 * unequal to any real hash but by chance).
 */
static uint64_t masked_hash(const struct bin *b, size_t sec, uint64_t addr,
			    uint64_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	uint64_t h;
	size_t i, j;

	if (!copy)
		return 0;
	memcpy(copy, b->bdata[sec] + (addr - b->bsh[sec].sh_addr), size);
	for (i = 1; i < b->nbsecs && has_field(b, sec, addr, addr + size); i++) {
		const GElf_Shdr *sh = &b->bsh[i];
		Elf_Data *d;

		if (sh->sh_type != SHT_RELA || (sh->sh_flags & SHF_ALLOC) ||
		    sh->sh_info != sec || !sh->sh_entsize)
			continue;
		d = elf_getdata(elf_getscn(b->elf, i), NULL);
		for (j = 0; d && j < sh->sh_size / sh->sh_entsize; j++) {
			uint64_t w, k;
			GElf_Rela r;

			if (!gelf_getrela(d, j, &r) || r.r_offset < addr ||
			    r.r_offset >= addr + size)
				continue;
			w = hd_reloc_width(GELF_R_TYPE(r.r_info));
			for (k = 0; k < w && r.r_offset + k < addr + size; k++)
				copy[r.r_offset - addr + k] = 0;
		}
	}
	h = hdp_hash(copy, size);
	free(copy);
	return h;
}

/*
 * The unnamed piece at @dest, which an ambiguous reference may mean: its
 * size and hash (0, 0 when there is none), so that such a reference
 * compares unequal when what follows the object changed.
 */
static uint64_t following(const struct bin *b, size_t sec, uint64_t dest,
			  size_t *len)
{
	const struct piece *p = dest_piece(b, sec, dest);

	*len = 0;
	if (!p || p->kind != P_ANON || !b->bdata[sec])
		return 0;
	*len = p->size;
	return masked_hash(b, sec, dest, p->size);
}

/*
 * The static linker rewrites thread-local accesses it can resolve better
 * (initial-exec to local-exec, general and local dynamic to either) but
 * --emit-relocs keeps the relocations of the original sequence, which no
 * longer describe the code.
 */
enum tls_form {
	TLS_AS_WRITTEN,		/* the instruction the relocation is for */
	TLS_IE_TO_LE,		/* GOTTPOFF now an immediate: TPOFF32 */
	TLS_REWRITTEN,		/* another sequence than the relocation's */
};

static enum tls_form tls_form(const struct bin *b, const struct piece *loc,
			      const GElf_Rela *r)
{
	static const uint8_t gd[] = { 0x66, 0x48, 0x8d, 0x3d };
	uint64_t off = r->r_offset - loc->addr;
	const uint8_t *p;
	uint8_t op, m;

	if (GELF_R_TYPE(r->r_info) != R_X86_64_GOTTPOFF &&
	    GELF_R_TYPE(r->r_info) != R_X86_64_TLSGD &&
	    GELF_R_TYPE(r->r_info) != R_X86_64_TLSLD)
		return TLS_AS_WRITTEN;
	/* The opcode and ModRM bytes (and for TLSGD its prefixes) before it. */
	if (loc->kind != P_FUNC || !b->bdata[loc->bsec] ||
	    off < (GELF_R_TYPE(r->r_info) == R_X86_64_TLSGD ? 4U : 3U))
		return TLS_REWRITTEN;
	p = b->bdata[loc->bsec] + (r->r_offset - b->bsh[loc->bsec].sh_addr);
	op = p[-2];
	m = p[-1];
	switch (GELF_R_TYPE(r->r_info)) {
	case R_X86_64_GOTTPOFF:
		/* mov or add foo@gottpoff(%rip), %reg */
		if ((op == 0x8b || op == 0x03) && (m & 0xc7) == 0x05)
			return TLS_AS_WRITTEN;
		/* mov $foo@tpoff, add $foo@tpoff or lea foo@tpoff(%reg) */
		if (((op == 0xc7 || op == 0x81) && (m & 0xc0) == 0xc0) ||
		    (op == 0x8d && (m & 0xc0) == 0x80))
			return TLS_IE_TO_LE;
		return TLS_REWRITTEN;
	case R_X86_64_TLSGD:
		return memcmp(p - 4, gd, 4) ? TLS_REWRITTEN : TLS_AS_WRITTEN;
	case R_X86_64_TLSLD:
		return memcmp(p - 3, gd + 1, 3) ? TLS_REWRITTEN : TLS_AS_WRITTEN;
	}
	return TLS_AS_WRITTEN;
}

/* Mark the functions whose dynamic TLS sequences the linker rewrote. */
static int note_tls(struct bin *b, struct piece *loc, const GElf_Rela *r)
{
	uint32_t type = GELF_R_TYPE(r->r_info);

	if ((type == R_X86_64_TLSGD || type == R_X86_64_TLSLD) &&
	    tls_form(b, loc, r) == TLS_REWRITTEN)
		loc->tls_relaxed = true;
	return 0;
}

/*
 * Whether relocation @r of @loc belongs to a sequence the linker
 * rewrote, and so describes code no longer there: the relocations of a
 * rewritten dynamic access (its own, the __tls_get_addr call's, the
 * DTPOFF ones after it, all of the function's when one was rewritten).
 * An initial-exec access made local-exec becomes TPOFF32 instead.
 */
static bool tls_rewritten(struct bin *b, const struct piece *loc,
			  const GElf_Rela *r, uint32_t *type, int64_t *addend)
{
	size_t sym = GELF_R_SYM(r->r_info);

	if (loc->kind != P_FUNC)
		return false;
	if (loc->tls_relaxed &&
	    (*type == R_X86_64_TLSGD || *type == R_X86_64_TLSLD ||
	     *type == R_X86_64_DTPOFF32 || *type == R_X86_64_DTPOFF64 ||
	     !strcmp(b->bsymname[sym], "__tls_get_addr")))
		return true;
	if (!hd_reloc_is_tls(*type))
		return false;
	switch (tls_form(b, loc, r)) {
	case TLS_IE_TO_LE:
		*type = R_X86_64_TPOFF32;
		*addend = 0;
		return false;
	case TLS_REWRITTEN:
		return true;
	default:
		return false;
	}
}

/* Move one emitted relocation onto @loc, its symbol into the model. */
static int convert(struct bin *b, struct piece *loc, const GElf_Rela *r)
{
	size_t sym = GELF_R_SYM(r->r_info), sec = b->bsyms[sym].st_shndx;
	uint32_t type = GELF_R_TYPE(r->r_info);
	int64_t addend = r->r_addend;
	uint64_t dest, hash;
	struct piece *to;
	struct rref *ref;
	char amb[300];
	size_t len;
	long m;

	if (loc->kind == P_FUNC) {
		ref = ref_at(b, r->r_offset);
		if (ref)
			ref->covered = true;
	}
	if (tls_rewritten(b, loc, r, &type, &addend)) {
		snprintf(amb, sizeof(amb),
			 "a thread-local access in %s that the static linker rewrote (relaxed: --emit-relocs does not describe it; diff the objects)",
			 b->bsymname[loc->bsym]);
		m = outside_sym(b, amb);
	} else if (sec == SHN_UNDEF || b->copied[sym]) {
		m = undef_sym(b, sym);
	} else if (b->symmap[sym]) {
		m = b->symmap[sym];
	} else if (sec >= b->nbsecs || hd_reloc_via_got(type) ||
		   GELF_ST_TYPE(b->bsyms[sym].st_info) == STT_TLS) {
		m = outside_sym(b, *b->bsymname[sym] ? b->bsymname[sym] :
				sec < b->nbsecs ? b->bname[sec] : "?");
	} else if (!reloc_dest(b, loc, r, &dest) && ambiguous_end(b, sym, dest)) {
		to = data_ending_at(b, sec, dest);
		hash = following(b, sec, dest, &len);
		snprintf(amb, sizeof(amb), HD_END_OF_FMT, b->bsymname[to->bsym],
			 len, (unsigned long long)hash);
		m = outside_sym_of(b, amb, b->bunit[to->bsym]);
		addend = (int64_t)(b->bsyms[sym].st_value + r->r_addend -
				   to->addr - to->size);
	} else {
		to = reloc_dest(b, loc, r, &dest) ? NULL :
		     dest_piece(b, sec, dest);
		if (to) {
			m = to->msym;
			addend = (int64_t)(b->bsyms[sym].st_value + r->r_addend -
					   to->addr);
		} else {
			m = outside_sym(b, *b->bsymname[sym] ? b->bsymname[sym] :
					b->bname[sec]);
			if (GELF_ST_TYPE(b->bsyms[sym].st_info) == STT_SECTION)
				addend += b->bsyms[sym].st_value - b->bsh[sec].sh_addr;
		}
	}
	if (m <= 0)
		return -1;
	return add_rela(loc, r->r_offset, type, m, addend);
}

/* Relocations for the fields the assembler resolved on its own. */
static int synthesize(struct bin *b)
{
	size_t i;

	for (i = 0; i < b->nrefs; i++) {
		struct rref *ref = &b->refs[i];
		struct piece *from = func_at(b, ref->fsec, ref->faddr), *to;
		size_t sec;
		uint32_t type;
		long m;

		if (!from)
			return -1;
		if (ref->covered || (ref->target >= from->addr &&
				     ref->target < from->addr + from->size))
			continue;
		sec = code_section_at(b, ref->target);
		to = sec ? func_at(b, sec, ref->target) : NULL;
		if (ref->size == 1)
			type = R_X86_64_PC8;
		else if (ref->size == 4)
			type = ref->call ? R_X86_64_PLT32 : R_X86_64_PC32;
		else
			continue;
		if (to)
			m = to->msym;
		else
			m = outside_sym(b, sec ? b->bname[sec] : "an address outside the code");
		if (m <= 0 ||
		    add_rela(from, ref->field, type, m,
			     (int64_t)(ref->target - (to ? to->addr : 0)) -
			     (int64_t)(ref->end - ref->field)))
			return -1;
	}
	return 0;
}

static int finish(struct bin *b)
{
	struct obj *o = b->o;
	size_t i;

	for (i = 0; i < b->npieces; i++) {
		struct piece *p = &b->pieces[i];
		struct dsec *s = &o->secs[p->msec];

		if (!p->nrelas)
			continue;
		s->relas = obj_alloc(o, p->nrelas * sizeof(*s->relas));
		if (!s->relas)
			return oom();
		memcpy(s->relas, p->relas, p->nrelas * sizeof(*s->relas));
		s->nrelas = p->nrelas;
	}
	o->syms = obj_alloc(o, b->nmsyms * sizeof(*o->syms));
	if (!o->syms)
		return oom();
	memcpy(o->syms, b->msyms, b->nmsyms * sizeof(*o->syms));
	o->nsyms = b->nmsyms;
	return 0;
}

static void bin_free(struct bin *b)
{
	size_t i;

	for (i = 0; i < b->npieces; i++)
		free(b->pieces[i].relas);
	free(b->pieces);
	free(b->maxend);
	free(b->refs);
	free(b->cuts);
	free(b->fields);
	free(b->symmap);
	free(b->msyms);
	free(b->bsyms);
	free(b->bsymname);
	free(b->bunit);
	free(b->copied);
	free(b->bsh);
	free(b->bname);
	free(b->bdata);
	free(b->modeled);
}

static int split(struct bin *b, Elf *elf)
{
	size_t n;

	if (read_sections(b, elf) || read_symbols(b, elf))
		return -1;
	if (!has_emitted_relocs(b)) {
		hd_fail(b->o->err, 0, "%s has no relocations; link it with -Wl,--emit-relocs",
			b->o->path);
		return -1;
	}
	read_tls_base(b, elf);
	if (read_copies(b, elf) || named_pieces(b) || merge_aliases(b) || decode(b))
		return -1;
	if (b->nrefs)
		qsort(b->refs, b->nrefs, sizeof(*b->refs), by_field);
	if (note_fields(b))
		return -1;
	/*
	 * Unnamed data may point at more (clang's table of string offsets):
	 * cut again where the new pieces point, until nothing is new.
	 */
	do {
		n = b->ncuts;
		if (each_reloc(b, note_cut, true) || anon_pieces(b))
			return -1;
	} while (b->ncuts != n);
	if (model_sections(b) || each_reloc(b, note_tls, true) ||
	    each_reloc(b, convert, true) ||
	    synthesize(b) || finish(b))
		return -1;
	return 0;
}

int obj_load_bin(struct obj *o, const char *path, struct hd_error *err)
{
	struct bin b = { .o = o };
	GElf_Ehdr eh;
	int ret;

	memset(o, 0, sizeof(*o));
	o->err = err;
	o->path = path;
	o->linked = true;
	o->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (o->fd < 0) {
		hd_fail(err, 0, "%s: %s", path, strerror(errno));
		return -1;
	}
	o->elf = elf_begin(o->fd, ELF_C_READ, NULL);
	if (!o->elf || elf_kind(o->elf) != ELF_K_ELF || !gelf_getehdr(o->elf, &eh)) {
		hd_fail(err, 0, "%s: not an ELF file", path);
		obj_close(o);
		return -1;
	}
	if ((eh.e_type != ET_EXEC && eh.e_type != ET_DYN) ||
	    eh.e_machine != EM_X86_64) {
		hd_fail(err, 0, "%s: not an x86-64 executable or shared library", path);
		obj_close(o);
		return -1;
	}
	b.elf = o->elf;
	ret = split(&b, o->elf);
	bin_free(&b);
	if (ret && !err->code)
		hd_fail(err, -ENOMEM, "out of memory");
	if (ret)
		obj_close(o);
	return ret;
}
