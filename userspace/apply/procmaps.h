/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A process's memory map, as /proc/PID/maps tells it, and the free holes
 * in it where patch code can go.
 */
#ifndef HD_PROCMAPS_H
#define HD_PROCMAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define HD_MAP_R	0x1
#define HD_MAP_W	0x2
#define HD_MAP_X	0x4
#define HD_MAP_SHARED	0x8

struct hd_map {
	uint64_t start;
	uint64_t end;
	uint64_t offset;	/* file offset of start */
	uint64_t inode;
	unsigned int dev_major;
	unsigned int dev_minor;
	unsigned int prot;	/* HD_MAP_* */
	char *path;		/* "" for anonymous, "[heap]", a file, ... */
	bool deleted;		/* the file was unlinked: " (deleted)" */
};

struct hd_maps {
	pid_t pid;
	size_t n;
	struct hd_map *map;	/* sorted by start, as the kernel prints */
};

/* Read /proc/PID/maps.  Returns 0 or -errno (errno-style, e.g. -ESRCH). */
int hd_maps_read(pid_t pid, struct hd_maps *maps);
/* Parse maps text from a buffer (the unit tests feed it directly). */
int hd_maps_parse(const char *text, struct hd_maps *maps);
void hd_maps_free(struct hd_maps *maps);

/* The mapping containing @addr, or NULL. */
const struct hd_map *hd_maps_find(const struct hd_maps *maps, uint64_t addr);
/*
 * "in [heap]", "in an anonymous mapping 0x7f..-0x7f..", "in /path": where
 * @addr of @pid lies, into @buf; NULL if /proc/PID/maps cannot be read.
 */
const char *hd_maps_describe(pid_t pid, uint64_t addr, char *buf,
			     size_t len);

/*
 * Find @size bytes (page multiple) free in the address space such that
 * every byte of [addr, addr + size) is within @reach of every byte of
 * [lo, hi), leaving @guard bytes free on both sides.  Prefers the hole
 * closest to the range.  Returns the address, or 0 when none exists.
 */
uint64_t hd_maps_find_hole(const struct hd_maps *maps, uint64_t lo,
			   uint64_t hi, uint64_t size, uint64_t reach,
			   uint64_t guard);

#endif /* HD_PROCMAPS_H */
