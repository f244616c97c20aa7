// SPDX-License-Identifier: GPL-2.0
/*
 * Reading /proc/PID/maps and finding holes in it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/hotdeploy.h>

#include "apply/procmaps.h"

#define PAGE		4096ULL
/*
 * The lowest address the module maps code at (vm.mmap_min_addr's usual
 * value), and the top of a 4-level (47-bit) user address space: patch
 * code never goes outside.
 */
#define USER_LO		HD_MIN_CODE_ADDR
#define USER_HI		0x7ffffffff000ULL
/*
 * Room left for the heap to grow by brk() and the main stack to grow down,
 * so that a patch placed in a hole never blocks either.
 */
#define HEAP_ROOM	(256ULL << 20)
#define STACK_ROOM	(64ULL << 20)

/* start-end perms offset major:minor inode, then the path after spaces. */
#define MAPS_LINE	"%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %n"

static int parse_line(char *line, struct hd_map *m)
{
	char perms[5], *path;
	int n = 0;

	memset(m, 0, sizeof(*m));
	if (sscanf(line, MAPS_LINE, &m->start, &m->end, perms, &m->offset,
		   &m->dev_major, &m->dev_minor, &m->inode, &n) < 7 || !n)
		return -EINVAL;
	if (m->start >= m->end || strlen(perms) != 4)
		return -EINVAL;
	m->prot = (perms[0] == 'r' ? HD_MAP_R : 0) |
		  (perms[1] == 'w' ? HD_MAP_W : 0) |
		  (perms[2] == 'x' ? HD_MAP_X : 0) |
		  (perms[3] == 's' ? HD_MAP_SHARED : 0);
	path = line + n;
	path[strcspn(path, "\n")] = '\0';
	n = strlen(path);
	if (n > 10 && !strcmp(path + n - 10, " (deleted)")) {
		path[n - 10] = '\0';
		m->deleted = true;
	}
	m->path = strdup(path);
	return m->path ? 0 : -ENOMEM;
}

int hd_maps_parse(const char *text, struct hd_maps *maps)
{
	const char *p = text;
	size_t cap = 0;
	int ret;

	maps->n = 0;
	maps->map = NULL;
	while (*p) {
		size_t len = strcspn(p, "\n");
		char *line;

		if (maps->n == cap) {
			struct hd_map *nm;

			cap = cap ? 2 * cap : 64;
			nm = realloc(maps->map, cap * sizeof(*nm));
			if (!nm) {
				ret = -ENOMEM;
				goto err;
			}
			maps->map = nm;
		}
		line = strndup(p, len);
		if (!line) {
			ret = -ENOMEM;
			goto err;
		}
		ret = parse_line(line, &maps->map[maps->n]);
		free(line);
		if (ret)
			goto err;
		if (maps->n && maps->map[maps->n].start < maps->map[maps->n - 1].end) {
			free(maps->map[maps->n].path);
			ret = -EINVAL;
			goto err;
		}
		maps->n++;
		p += len;
		if (*p == '\n')
			p++;
	}
	return 0;
err:
	hd_maps_free(maps);
	return ret;
}

int hd_maps_read(pid_t pid, struct hd_maps *maps)
{
	char path[64], *text = NULL;
	size_t size = 0;
	FILE *f, *mem;
	char buf[4096];
	size_t n;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	mem = open_memstream(&text, &size);
	if (!mem) {
		ret = -errno;
		fclose(f);
		return ret;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, mem);
	ret = ferror(f) ? -EIO : 0;
	fclose(f);
	if (fclose(mem) && !ret)
		ret = -ENOMEM;
	if (!ret)
		ret = hd_maps_parse(text, maps);
	free(text);
	maps->pid = pid;
	return ret;
}

void hd_maps_free(struct hd_maps *maps)
{
	size_t i;

	for (i = 0; i < maps->n; i++)
		free(maps->map[i].path);
	free(maps->map);
	maps->map = NULL;
	maps->n = 0;
}

const struct hd_map *hd_maps_find(const struct hd_maps *maps, uint64_t addr)
{
	size_t lo = 0, hi = maps->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < maps->map[mid].start)
			hi = mid;
		else if (addr >= maps->map[mid].end)
			lo = mid + 1;
		else
			return &maps->map[mid];
	}
	return NULL;
}

static uint64_t align_up(uint64_t x)
{
	return (x + PAGE - 1) & ~(PAGE - 1);
}

static uint64_t align_down(uint64_t x)
{
	return x & ~(PAGE - 1);
}

/* Distance from a candidate [a, a + size) to [lo, hi); 0 if they overlap. */
static uint64_t distance(uint64_t a, uint64_t size, uint64_t lo, uint64_t hi)
{
	if (a >= hi)
		return a - hi;
	if (a + size <= lo)
		return lo - (a + size);
	return 0;
}

uint64_t hd_maps_find_hole(const struct hd_maps *maps, uint64_t lo,
			   uint64_t hi, uint64_t size, uint64_t reach,
			   uint64_t guard)
{
	uint64_t win_lo, win_hi, best = 0, best_dist = UINT64_MAX;
	size_t i;

	if (!size || size % PAGE || lo >= hi || hi - lo > reach ||
	    size > reach - (hi - lo))
		return 0;
	/* Every byte of the patch within @reach of every byte of [lo, hi). */
	win_lo = hi > reach ? hi - reach : 0;
	win_hi = lo + reach;
	if (win_lo < USER_LO)
		win_lo = USER_LO;
	if (win_hi > USER_HI)
		win_hi = USER_HI;

	for (i = 0; i <= maps->n; i++) {
		const struct hd_map *prev = i ? &maps->map[i - 1] : NULL;
		const struct hd_map *next = i < maps->n ? &maps->map[i] : NULL;
		uint64_t gs = prev ? prev->end : USER_LO;
		uint64_t ge = next ? next->start : USER_HI;
		uint64_t a, d;

		gs += guard;
		if (prev && !strcmp(prev->path, "[heap]"))
			gs += HEAP_ROOM;
		if (next && !strcmp(next->path, "[stack]"))
			ge = ge > STACK_ROOM ? ge - STACK_ROOM : 0;
		ge = ge > guard ? ge - guard : 0;
		if (gs < win_lo)
			gs = win_lo;
		if (ge > win_hi)
			ge = win_hi;
		gs = align_up(gs);
		ge = align_down(ge);
		if (gs >= ge || ge - gs < size)
			continue;
		/* The end of this hole nearest to the range. */
		a = ge <= lo ? ge - size : gs;
		d = distance(a, size, lo, hi);
		if (d < best_dist) {
			best = a;
			best_dist = d;
		}
	}
	return best;
}

const char *hd_maps_describe(pid_t pid, uint64_t addr, char *buf, size_t len)
{
	const struct hd_map *m;
	struct hd_maps maps;

	if (hd_maps_read(pid, &maps))
		return NULL;
	m = hd_maps_find(&maps, addr);
	if (!m)
		snprintf(buf, len, "in no mapping now");
	else if (!m->path[0])
		snprintf(buf, len, "in an anonymous mapping %#llx-%#llx",
			 (unsigned long long)m->start,
			 (unsigned long long)m->end);
	else
		snprintf(buf, len, "in %s", m->path);
	hd_maps_free(&maps);
	return buf;
}
