// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/PID/maps parsing and the choice of a hole for patch code.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "apply/procmaps.h"

#define MiB	(1ULL << 20)
#define GiB	(1ULL << 30)
#define REACH	(2 * GiB - 4096)

static const char sample[] =
	"00400000-00401000 r--p 00000000 08:01 1234    /usr/bin/app\n"
	"00401000-00402000 r-xp 00001000 08:01 1234    /usr/bin/app\n"
	"00403000-00404000 rw-p 00002000 08:01 1234    /usr/bin/app (deleted)\n"
	"01000000-01021000 rw-p 00000000 00:00 0       [heap]\n"
	"7f0000000000-7f0000001000 r-xp 00000000 08:01 99 /lib/with space.so\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n";

TEST(parse_fields)
{
	struct hd_maps maps;

	ASSERT_EQ(0, hd_maps_parse(sample, &maps));
	ASSERT_EQ(7U, maps.n);
	EXPECT_EQ(0x401000ULL, maps.map[1].start);
	EXPECT_EQ(0x402000ULL, maps.map[1].end);
	EXPECT_EQ(0x1000ULL, maps.map[1].offset);
	EXPECT_EQ(HD_MAP_R | HD_MAP_X, maps.map[1].prot);
	EXPECT_EQ(8U, maps.map[1].dev_major);
	EXPECT_EQ(1234ULL, maps.map[1].inode);
	EXPECT_STREQ("/usr/bin/app", maps.map[1].path);
	EXPECT_FALSE(maps.map[1].deleted);
	EXPECT_STREQ("/usr/bin/app", maps.map[2].path);
	EXPECT_TRUE(maps.map[2].deleted);
	EXPECT_STREQ("[heap]", maps.map[3].path);
	EXPECT_STREQ("/lib/with space.so", maps.map[4].path);
	EXPECT_STREQ("[stack]", maps.map[5].path);
	hd_maps_free(&maps);
}

TEST(parse_rejects_garbage_and_overlaps)
{
	struct hd_maps maps;

	EXPECT_EQ(-EINVAL, hd_maps_parse("hello\n", &maps));
	EXPECT_EQ(-EINVAL, hd_maps_parse("2000-1000 r-xp 0 0:0 0\n", &maps));
	EXPECT_EQ(-EINVAL, hd_maps_parse("1000-3000 r-xp 00000000 00:00 0\n"
					 "2000-4000 r-xp 00000000 00:00 0\n",
					 &maps));
	EXPECT_EQ(0, hd_maps_parse("", &maps));
	EXPECT_EQ(0U, maps.n);
}

TEST(find_by_address)
{
	struct hd_maps maps;

	ASSERT_EQ(0, hd_maps_parse(sample, &maps));
	EXPECT_EQ(&maps.map[1], hd_maps_find(&maps, 0x401000));
	EXPECT_EQ(&maps.map[1], hd_maps_find(&maps, 0x401fff));
	EXPECT_EQ(NULL, hd_maps_find(&maps, 0x402000));
	EXPECT_EQ(NULL, hd_maps_find(&maps, 0x10));
	EXPECT_EQ(&maps.map[6], hd_maps_find(&maps, 0xffffffffff600010ULL));
	hd_maps_free(&maps);
}

/* Nearest hole: below a non-PIE binary, never overlapping, page aligned. */
TEST(hole_near_non_pie_binary)
{
	struct hd_maps maps;
	uint64_t a;

	ASSERT_EQ(0, hd_maps_parse(sample, &maps));
	a = hd_maps_find_hole(&maps, 0x400000, 0x404000, 0x2000, REACH, 0);
	EXPECT_EQ(0x3fe000ULL, a);
	/*
	 * The gap inside the binary (0x402000-0x403000) is too small, and
	 * the hole above the heap keeps room for brk.
	 */
	a = hd_maps_find_hole(&maps, 0x400000, 0x404000, 16 * MiB, REACH, 0);
	EXPECT_NE(0ULL, a);
	EXPECT_EQ(0ULL, a % 4096);
	EXPECT_TRUE(a >= 0x01021000ULL + 256 * MiB);
	EXPECT_TRUE(a + 16 * MiB - 0x400000 <= REACH);
	hd_maps_free(&maps);
}

TEST(hole_respects_reach_and_guard)
{
	struct hd_maps maps;
	uint64_t a, lib = 0x7f0000000000ULL;

	ASSERT_EQ(0, hd_maps_parse(sample, &maps));
	a = hd_maps_find_hole(&maps, lib, lib + 0x1000, 0x1000, REACH, MiB);
	EXPECT_EQ(lib - MiB - 0x1000, a);
	/* Nothing fits when the reach is smaller than the guard. */
	EXPECT_EQ(0ULL, hd_maps_find_hole(&maps, lib, lib + 0x1000, 0x1000,
					  0x10000, MiB));
	/* Bad requests. */
	EXPECT_EQ(0ULL, hd_maps_find_hole(&maps, lib, lib + 0x1000, 0,
					  REACH, 0));
	EXPECT_EQ(0ULL, hd_maps_find_hole(&maps, lib, lib + 0x1000, 100,
					  REACH, 0));
	EXPECT_EQ(0ULL, hd_maps_find_hole(&maps, lib, lib, 0x1000, REACH, 0));
	hd_maps_free(&maps);
}

TEST(hole_keeps_away_from_stack)
{
	struct hd_maps maps;
	uint64_t a, stk = 0x7ffd00000000ULL;

	ASSERT_EQ(0, hd_maps_parse(sample, &maps));
	/* Just above the stack is free; below it must stay free for growth. */
	a = hd_maps_find_hole(&maps, stk, stk + 0x21000, 0x1000, REACH, 0);
	EXPECT_EQ(stk + 0x21000, a);
	hd_maps_free(&maps);
}

TEST(read_own_maps)
{
	const struct hd_map *m;
	struct hd_maps maps;

	ASSERT_EQ(0, hd_maps_read(getpid(), &maps));
	ASSERT_LT(0U, maps.n);
	m = hd_maps_find(&maps, (uintptr_t)&hd_maps_find);
	ASSERT_NE(NULL, m);
	EXPECT_TRUE(m->prot & HD_MAP_X);
	EXPECT_EQ('/', m->path[0]);
	hd_maps_free(&maps);
	EXPECT_EQ(-ESRCH, hd_maps_read(0x7ffffff0, &maps));
}

TEST_HARNESS_MAIN
