// SPDX-License-Identifier: GPL-2.0
/*
 * Pairing the objects of two builds.  A build's root is the deepest
 * directory holding all of its objects; an object is known by its path
 * below it, so src/sds.o and deps/hiredis/sds.o stay two files, as they
 * are two in the program.  Where the two builds are laid out differently
 * (old/a.o against new/obj/a.o) a file name found once on each side
 * still pairs; a name found twice cannot, and is refused.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "diff/pair.h"

struct side {
	char **abs;		/* realpath() of each object */
	const char **rel;	/* below the root */
	size_t n;
};

static const char *file_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static void side_free(struct side *s)
{
	size_t i;

	for (i = 0; s->abs && i < s->n; i++)
		free(s->abs[i]);
	free(s->abs);
	free(s->rel);
}

/* Absolute paths, and each one's part below their deepest common directory. */
static int side_load(struct side *s, char *const *paths, size_t n,
		     struct hd_error *err)
{
	size_t i, root;

	s->n = n;
	s->abs = calloc(n, sizeof(*s->abs));
	s->rel = calloc(n, sizeof(*s->rel));
	if (!s->abs || !s->rel)
		return hd_fail(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		s->abs[i] = realpath(paths[i], NULL);
		if (!s->abs[i])
			return hd_fail(err, -errno, "%s: %s", paths[i],
				       strerror(errno));
	}
	/* The longest common prefix, cut back to its last '/'. */
	root = strlen(s->abs[0]);
	for (i = 1; i < n; i++) {
		size_t k = 0;

		while (k < root && s->abs[i][k] == s->abs[0][k])
			k++;
		root = k;
	}
	while (root && s->abs[0][root - 1] != '/')
		root--;
	for (i = 0; i < n; i++)
		s->rel[i] = s->abs[i] + root;
	return 0;
}

/* The index of the one path of @s whose @key (rel or file name) is @want. */
static long find_unique(const struct side *s, const char *want, bool by_name,
			long *second)
{
	long hit = -1;
	size_t i;

	*second = -1;
	for (i = 0; i < s->n; i++) {
		const char *k = by_name ? file_name(s->rel[i]) : s->rel[i];

		if (strcmp(k, want))
			continue;
		if (hit >= 0) {
			*second = i;
			return -2;
		}
		hit = i;
	}
	return hit;
}

static int pair_one(const struct side *o, const struct side *n, size_t i,
		    size_t *pair, struct hd_error *err)
{
	const char *name = file_name(o->rel[i]);
	long j, other, twin;

	j = find_unique(n, o->rel[i], false, &other);
	if (j == -2)
		return hd_fail(err, -ENOTUNIQ, "%s is given twice", n->abs[other]);
	if (j >= 0 && find_unique(o, o->rel[i], false, &other) == -2)
		return hd_fail(err, -ENOTUNIQ, "%s is given twice", o->abs[other]);
	if (j >= 0) {
		pair[i] = j;
		return 0;
	}
	/* Laid out differently: the file name, if both sides have it once. */
	j = find_unique(n, name, true, &other);
	if (find_unique(o, name, true, &twin) == -2 || j == -2)
		return hd_fail(err, -ENOTUNIQ,
			       "%s: no new object at %s below the new build's root, and more than one object is named %s: give both builds with the same layout",
			       o->abs[i], o->rel[i], name);
	if (j < 0)
		return hd_fail(err, -ENOENT, "%s: no new object %s or %s",
			       o->abs[i], o->rel[i], name);
	pair[i] = j;
	return 0;
}

int hd_pair_objects(char *const *old, char *const *new, size_t n,
		    size_t *pair, struct hd_error *err)
{
	struct side o = { 0 }, w = { 0 };
	size_t i, k;
	int ret;

	ret = side_load(&o, old, n, err);
	if (!ret)
		ret = side_load(&w, new, n, err);
	for (i = 0; !ret && i < n; i++)
		ret = pair_one(&o, &w, i, pair, err);
	/* Two old objects may not take one new one. */
	for (i = 0; !ret && i < n; i++)
		for (k = i + 1; k < n; k++)
			if (pair[i] == pair[k]) {
				ret = hd_fail(err, -ENOTUNIQ,
					      "%s and %s both pair with %s",
					      o.abs[i], o.abs[k], w.abs[pair[i]]);
				break;
			}
	side_free(&o);
	side_free(&w);
	return ret;
}
