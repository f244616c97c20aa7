// SPDX-License-Identifier: GPL-2.0
/*
 * Relocation proved by running the result: a small C function is compiled
 * at test time (gcc and clang, -O0/-O2, PIC and not), its .text and
 * .rodata are relocated to an address far from this process's code and
 * libc (so calls need stubs and data needs GOT slots), and it is called.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "apply/procmaps.h"
#include "elf/reloc.h"

/* What the compiled code refers to, living in this test. */
int reloc_test_counter = 40;
int reloc_test_helper(int x)
{
	return x * 10;
}

static const char source[] =
	"#include <string.h>\n"
	"extern int reloc_test_counter;\n"
	"extern int reloc_test_helper(int);\n"
	"static const char msg[] = \"relocated\";\n"
	"static int (*const fp)(int) = reloc_test_helper;\n"
	"int patched(int x)\n"
	"{\n"
	"	reloc_test_counter += x;\n"
	"	return reloc_test_helper(x) + fp(1) + (int)strlen(msg) +\n"
	"	       reloc_test_counter;\n"
	"}\n";

#define MAX_SECS	64
#define IMAGE_SIZE	65536

struct layout {
	uint64_t sec_off[MAX_SECS];	/* image offset of each placed section */
	int placed[MAX_SECS];
	size_t end;
};

/* Compile @source with @cc @flags into @obj; 0 on success. */
static int compile(const char *cc, const char *flags, char *obj, size_t len)
{
	char dir[] = "/tmp/hd-reloc-XXXXXX", cmd[512], src[256];
	FILE *f;

	if (!mkdtemp(dir))
		return -1;
	snprintf(src, sizeof(src), "%s/p.c", dir);
	snprintf(obj, len, "%s/p.o", dir);
	f = fopen(src, "w");
	if (!f)
		return -1;
	fputs(source, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s %s -ffunction-sections -fdata-sections -c -o %s %s",
		 cc, flags, obj, src);
	return system(cmd);
}

static uint64_t resolve(const char *name)
{
	if (!strcmp(name, "reloc_test_counter"))
		return (uintptr_t)&reloc_test_counter;
	if (!strcmp(name, "reloc_test_helper"))
		return (uintptr_t)&reloc_test_helper;
	return (uintptr_t)dlsym(RTLD_DEFAULT, name);
}

/*
 * A minimal linker for the test: place every allocated PROGBITS section,
 * turn ELF relocations into hd_relocs with runtime values, apply, run.
 */
static int link_and_run(struct __test_metadata *_metadata, const char *obj,
			bool far, int arg, int *result,
			struct hd_error *err)
{
	struct hd_reloc rel[256];
	uint64_t slots[256];
	uint8_t kind[256];
	struct hd_stubs stubs = { .value = slots, .kind = kind };
	uint64_t patched_off = UINT64_MAX, addr;
	struct layout lay = { 0 };
	Elf_Scn *scn = NULL, *symscn = NULL;
	size_t nrel = 0, shstrndx, i, strndx = 0;
	Elf_Data *symdata = NULL;
	uint8_t *image, *map;
	int ret;
	GElf_Shdr sh;
	Elf *elf;
	int fd;

	elf_version(EV_CURRENT);
	fd = open(obj, O_RDONLY);
	ASSERT_LE(0, fd);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	ASSERT_NE(NULL, elf);
	ASSERT_EQ(0, elf_getshdrstrndx(elf, &shstrndx));
	image = calloc(1, IMAGE_SIZE);
	ASSERT_NE(NULL, image);

	while ((scn = elf_nextscn(elf, scn))) {
		size_t ndx = elf_ndxscn(scn);
		Elf_Data *d;

		ASSERT_NE(NULL, gelf_getshdr(scn, &sh));
		if (sh.sh_type == SHT_SYMTAB) {
			symscn = scn;
			strndx = sh.sh_link;
			symdata = elf_getdata(scn, NULL);
		}
		if (!(sh.sh_flags & SHF_ALLOC) || ndx >= MAX_SECS ||
		    (sh.sh_type != SHT_PROGBITS && sh.sh_type != SHT_NOBITS))
			continue;
		if (sh.sh_addralign > 1)
			lay.end = (lay.end + sh.sh_addralign - 1) &
				  ~(sh.sh_addralign - 1);
		lay.sec_off[ndx] = lay.end;
		lay.placed[ndx] = 1;
		d = elf_getdata(scn, NULL);
		if (sh.sh_type == SHT_PROGBITS && d && d->d_size)
			memcpy(image + lay.end, d->d_buf, d->d_size);
		lay.end += sh.sh_size;
		ASSERT_LT(lay.end, IMAGE_SIZE / 2);
	}
	ASSERT_NE(NULL, symscn);

	scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;

		ASSERT_NE(NULL, gelf_getshdr(scn, &sh));
		if (sh.sh_type != SHT_RELA || sh.sh_info >= MAX_SECS ||
		    !lay.placed[sh.sh_info])
			continue;
		d = elf_getdata(scn, NULL);
		for (i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela ra;
			GElf_Sym sym;
			const char *name;

			ASSERT_NE(NULL, gelf_getrela(d, i, &ra));
			ASSERT_NE(NULL, gelf_getsym(symdata,
						    GELF_R_SYM(ra.r_info),
						    &sym));
			name = elf_strptr(elf, strndx, sym.st_name);
			ASSERT_LT(nrel, 256U);
			rel[nrel].offset = lay.sec_off[sh.sh_info] + ra.r_offset;
			rel[nrel].type = GELF_R_TYPE(ra.r_info);
			rel[nrel].addend = ra.r_addend;
			rel[nrel].name = name && *name ? name : "(section)";
			if (sym.st_shndx != SHN_UNDEF) {
				ASSERT_TRUE(sym.st_shndx < MAX_SECS &&
					    lay.placed[sym.st_shndx]);
				/* value gets the image address below */
				rel[nrel].value = lay.sec_off[sym.st_shndx] +
						  sym.st_value;
				rel[nrel].name = name && *name ? name :
						 "(local)";
				kind[nrel] = 2;	/* mark: image-relative */
			} else {
				rel[nrel].value = resolve(name);
				ASSERT_NE(0ULL, rel[nrel].value) TH_LOG("%s", name);
				kind[nrel] = 0;
			}
			nrel++;
		}
	}
	ASSERT_NE(NULL, gelf_getshdr(symscn, &sh));
	for (i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
		GElf_Sym sym;
		const char *name;

		ASSERT_NE(NULL, gelf_getsym(symdata, i, &sym));
		name = elf_strptr(elf, strndx, sym.st_name);
		if (name && !strcmp(name, "patched"))
			patched_off = lay.sec_off[sym.st_shndx] + sym.st_value;
	}
	ASSERT_NE(UINT64_MAX, patched_off);

	if (far) {
		/* Far from everything: 64 GiB above this test's own code. */
		addr = ((uintptr_t)&reloc_test_helper + (64ULL << 30)) &
		       ~0xfffULL;
	} else {
		/* Within rel32 reach of this test's code and data. */
		struct hd_maps maps;
		uint64_t lo = (uintptr_t)&reloc_test_helper;
		uint64_t hi = (uintptr_t)&reloc_test_counter + 4;

		ASSERT_EQ(0, hd_maps_read(getpid(), &maps));
		addr = hd_maps_find_hole(&maps, lo < hi ? lo : hi,
					 lo < hi ? hi : lo, IMAGE_SIZE,
					 (2ULL << 30) - IMAGE_SIZE, 1 << 20);
		hd_maps_free(&maps);
		ASSERT_NE(0ULL, addr);
	}
	map = mmap((void *)(uintptr_t)addr, IMAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	for (i = 0; i < nrel; i++) {
		if (kind[i] == 2)
			rel[i].value += addr;
	}
	stubs.base = (lay.end + 15) & ~15ULL;
	stubs.cap = hd_reloc_stub_entries(rel, nrel);
	ASSERT_LE(stubs.base + stubs.cap * HD_STUB_ENTRY_SIZE,
		  (uint64_t)IMAGE_SIZE);
	ret = hd_reloc_apply(image, IMAGE_SIZE, addr, rel, nrel, &stubs, err);
	if (!ret) {
		memcpy(map, image, IMAGE_SIZE);
		ASSERT_EQ(0, mprotect(map, IMAGE_SIZE, PROT_READ | PROT_EXEC));
		*result = ((int (*)(int))(map + patched_off))(arg);
	}
	munmap(map, IMAGE_SIZE);
	free(image);
	elf_end(elf);
	close(fd);
	return ret;
}

FIXTURE(build) {
	char obj[256];
};

/*
 * Code that reaches external data through the GOT (PIC; clang's default
 * PIE too) runs anywhere; gcc's PIE and non-PIC code address the target's
 * data directly and must be placed within rel32 reach of it.
 */
FIXTURE_VARIANT(build) {
	const char *cc;
	const char *flags;
	bool pic;
};

FIXTURE_VARIANT_ADD(build, gcc_O0_pie) { "gcc", "-O0", false };
FIXTURE_VARIANT_ADD(build, gcc_O2_pie) { "gcc", "-O2", false };
FIXTURE_VARIANT_ADD(build, gcc_O2_nopic) { "gcc", "-O2 -fno-pic", false };
FIXTURE_VARIANT_ADD(build, gcc_O2_pic) { "gcc", "-O2 -fPIC", true };
FIXTURE_VARIANT_ADD(build, clang_O0_pie) { "clang", "-O0", true };
FIXTURE_VARIANT_ADD(build, clang_O2_pic) { "clang", "-O2 -fPIC", true };

FIXTURE_SETUP(build)
{
	ASSERT_EQ(0, compile(variant->cc, variant->flags, self->obj,
			     sizeof(self->obj)));
}

FIXTURE_TEARDOWN(build)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf \"$(dirname %s)\"", self->obj);
	system(cmd);
}

TEST_F(build, relocated_code_calls_and_updates_data)
{
	struct hd_error err = { 0 };
	int result = 0;

	reloc_test_counter = 40;
	ASSERT_EQ(0, link_and_run(_metadata, self->obj, variant->pic, 3,
				  &result, &err)) TH_LOG("%s", err.msg);
	/* helper(3) + fp(1) + strlen("relocated") + (40 + 3) */
	EXPECT_EQ(30 + 10 + 9 + 43, result);
	EXPECT_EQ(43, reloc_test_counter);
}

/* Placed far away, position-dependent code must be refused, not broken. */
TEST_F(build, far_from_data_refused_unless_pic)
{
	struct hd_error err = { 0 };
	int result = 0, ret;

	reloc_test_counter = 40;
	ret = link_and_run(_metadata, self->obj, true, 3, &result, &err);
	if (variant->pic) {
		EXPECT_EQ(0, ret) TH_LOG("%s", err.msg);
		EXPECT_EQ(30 + 10 + 9 + 43, result);
	} else {
		EXPECT_EQ(-ERANGE, ret);
		EXPECT_NE(NULL, strstr(err.msg, "reloc_test_counter")) TH_LOG("%s", err.msg);
		EXPECT_EQ(40, reloc_test_counter);
	}
}

TEST(out_of_reach_data_is_refused)
{
	struct hd_reloc r = {
		.offset = 0, .type = R_X86_64_PC32, .value = 1ULL << 40,
		.name = "far_data",
	};
	struct hd_stubs stubs = { 0 };
	uint8_t image[16] = { 0 };
	struct hd_error err;

	EXPECT_EQ(-ERANGE, hd_reloc_apply(image, sizeof(image), 0x400000, &r,
					  1, &stubs, &err));
	EXPECT_NE(NULL, strstr(err.msg, "far_data"));
}

TEST(offset_outside_the_image_is_refused)
{
	struct hd_reloc r = {
		.offset = 14, .type = R_X86_64_64, .value = 1, .name = "x",
	};
	struct hd_stubs stubs = { 0 };
	uint8_t image[16] = { 0 };
	struct hd_error err;

	EXPECT_EQ(-EINVAL, hd_reloc_apply(image, sizeof(image), 0x400000, &r,
					  1, &stubs, &err));
	r.offset = UINT64_MAX - 2;
	EXPECT_EQ(-EINVAL, hd_reloc_apply(image, sizeof(image), 0x400000, &r,
					  1, &stubs, &err));
}

TEST(unknown_type_is_refused)
{
	struct hd_reloc r = {
		.offset = 0, .type = R_X86_64_GOTPC32_TLSDESC, .value = 1,
		.name = "tls",
	};
	struct hd_stubs stubs = { 0 };
	uint8_t image[16] = { 0 };
	struct hd_error err;

	EXPECT_EQ(-EOPNOTSUPP, hd_reloc_apply(image, sizeof(image), 0x400000,
					      &r, 1, &stubs, &err));
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * Thread-locals: local-exec writes x - offset; initial-exec a slot that
 * holds it; TLSGD and TLSLD a (module, offset) pair, shared when equal;
 * DTPOFF the offset in the block.  The slots are after the code.
 */
TEST(thread_locals_in_static_tls_and_by_module)
{
	struct hd_reloc r[] = {
		{ .offset = 0, .type = R_X86_64_TPOFF32, .value = 8, .name = "le",
		  .tls_module = 1, .tls_static = true, .tls_offset = 0x20 },
		{ .offset = 4, .type = R_X86_64_GOTTPOFF, .value = 16, .addend = -4,
		  .name = "ie", .tls_module = 1, .tls_static = true,
		  .tls_offset = 0x20 },
		{ .offset = 8, .type = R_X86_64_TLSGD, .value = 0, .addend = -4,
		  .name = "gd", .tls_module = 3 },
		{ .offset = 12, .type = R_X86_64_TLSLD, .addend = -4, .name = "ld",
		  .tls_module = 3 },
		{ .offset = 16, .type = R_X86_64_DTPOFF32, .value = 24, .name = "ld",
		  .tls_module = 3 },
	};
	uint64_t value[8] = { 0 };
	uint8_t has[8] = { 0 };
	struct hd_stubs stubs = {
		.base = 64, .cap = 8, .value = value, .kind = has,
	};
	uint8_t image[64 + 8 * HD_STUB_ENTRY_SIZE] = { 0 };
	const uint64_t addr = 0x400000;
	struct hd_error err;
	uint64_t slot;

	ASSERT_EQ(0, hd_reloc_apply(image, sizeof(image), addr, r, 5, &stubs,
				    &err)) TH_LOG("%s", err.msg);
	EXPECT_EQ((uint32_t)(8 - 0x20), get32(image));
	/* Field = slot - end of the field; the slot holds 16 - 0x20. */
	slot = 4 + 4 + (int32_t)get32(image + 4);
	EXPECT_EQ((uint64_t)(16 - 0x20), get64(image + slot));
	slot = 8 + 4 + (int32_t)get32(image + 8);
	EXPECT_EQ(3, get64(image + slot));
	EXPECT_EQ(0, get64(image + slot + 8));
	/* (3, 0) again: the same pair. */
	EXPECT_EQ(slot, 12 + 4 + (int32_t)get32(image + 12));
	EXPECT_EQ(24, get32(image + 16));
	EXPECT_EQ(2, stubs.n);
}

TEST(thread_locals_refused_where_their_place_is_unknown)
{
	struct hd_reloc r = {
		.offset = 0, .type = R_X86_64_GOTTPOFF, .value = 8,
		.name = "not_static", .tls_module = 2,
	};
	uint64_t value[2] = { 0 };
	uint8_t has[2] = { 0 };
	struct hd_stubs stubs = {
		.base = 16, .cap = 2, .value = value, .kind = has,
	};
	uint8_t image[16 + 2 * HD_STUB_ENTRY_SIZE] = { 0 };
	struct hd_error err;

	EXPECT_EQ(-EOPNOTSUPP, hd_reloc_apply(image, sizeof(image), 0x400000,
					      &r, 1, &stubs, &err));
	EXPECT_NE(NULL, strstr(err.msg, "not_static")) TH_LOG("%s", err.msg);
	r.type = R_X86_64_TLSGD;
	r.name = "no_module";
	r.tls_module = 0;
	EXPECT_EQ(-EOPNOTSUPP, hd_reloc_apply(image, sizeof(image), 0x400000,
					      &r, 1, &stubs, &err));
	EXPECT_NE(NULL, strstr(err.msg, "module id")) TH_LOG("%s", err.msg);
	EXPECT_EQ(0, stubs.n);
}

TEST_HARNESS_MAIN
