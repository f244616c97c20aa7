/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hdctl diff: which functions changed between two builds of one object.
 * Stages over an in-memory model of both objects: open, correlate,
 * compare, include, emit (emit.c writes the .hdp).
 */
#ifndef HD_DIFF_H
#define HD_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

enum hd_func_status {
	HD_FUNC_SAME,		/* bytes and relocations equal */
	HD_FUNC_CHANGED,	/* exists in both, differs */
	HD_FUNC_NEW,		/* only in the new build */
};

struct hd_func_change {
	char *name;
	char *unit;		/* a static function's source file, or NULL */
	enum hd_func_status status;
	char *why;		/* one line for --explain */
	/*
	 * For a changed function that only runs once (main, constructors,
	 * destructors): HDP_FUNC_STARTUP or HDP_FUNC_EXIT, and why.
	 */
	unsigned int once;
	const char *once_why;
};

struct hd_diff {
	struct hd_func_change *funcs;	/* changed and new only */
	size_t n;
	char **notes;			/* every decision, for --explain */
	size_t nnotes;
	char **refusals;		/* changes that cannot be patched live */
	size_t nrefusals;
	/*
	 * In: keep functions that differ only in line numbers (__LINE__).
	 * Out, when not kept: their names, left out of the patch.
	 */
	bool keep_line_changes;
	char **line_only;
	size_t nline_only;
	struct hd_error err;		/* what stopped the diff, if it failed */
};

struct hd_emit;
struct hd_build;

/*
 * Compare the functions of two relocatable objects built with
 * -ffunction-sections, and append changed and new functions to @out,
 * with every decision in out->notes.  A change that cannot be patched
 * live is appended to out->refusals and the diff goes on, so that one run
 * names them all.  With @em (and its @tgt), also include the changes in
 * the patch model.  Returns 0, or a negative number with out->err set
 * when the diff could not be made at all.
 */
int hd_diff_objects(const char *old_path, const char *new_path,
		    struct hd_diff *out, struct hd_emit *em,
		    struct hd_build *tgt);
/*
 * The same over two binaries or shared libraries linked with
 * -Wl,--emit-relocs, split back into functions and data objects.
 */
int hd_diff_binaries(const char *old_path, const char *new_path,
		     struct hd_diff *out, struct hd_emit *em,
		     struct hd_build *tgt);
void hd_diff_free(struct hd_diff *d);

#endif /* HD_DIFF_H */
