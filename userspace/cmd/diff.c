// SPDX-License-Identifier: GPL-2.0
/*
 * hdctl diff OLD.o... NEW.o... [--target BINARY -o FILE.hdp], or
 * hdctl diff OLD-BIN NEW-BIN [--target BINARY] [-o FILE.hdp]: the
 * functions whose code changed between two builds, objects matched by
 * their path in each build (diff/pair.c), and with -o the patch that carries them.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff/diff.h"
#include "diff/pair.h"
#include "format/write.h"
#include "format/hdp.h"
#include "elf/build.h"
#include "cmd/hdctl.h"

void usage_diff(void)
{
	fprintf(hd_usage_out(),
		"Usage: hdctl [-j] diff [--explain] [--keep-line-changes]\n"
	       "                  [--target BINARY -o FILE.hdp] OLD.o... NEW.o...\n"
	       "       hdctl [-j] diff [--explain] [--keep-line-changes]\n"
	       "                  [--target BINARY] [-o FILE.hdp] OLD-BIN NEW-BIN\n"
	       "Compare two builds of the same objects (built with\n"
	       "-ffunction-sections -fdata-sections), matched by their path\n"
	       "below each build's top directory (else by a unique file name): the\n"
	       "first half of the arguments is the old build, the second half\n"
	       "the new.  Or compare two builds of one program or shared library\n"
	       "linked with -Wl,--emit-relocs; the patch is then for OLD-BIN\n"
	       "unless --target names another copy of it (e.g. a stripped one).\n"
	       "Prints each changed or new function; --explain says why, on\n"
	       "stderr.  Warns about a changed function that only runs at\n"
	       "start-up or exit (main, constructors, destructors).  A function\n"
	       "whose code differs only in line numbers (__LINE__ in assert\n"
	       "macros, moved by an edit above it) is listed as line-only and\n"
	       "left out, unless --keep-line-changes.  With -o,\n"
	       "writes the patch for BINARY, the running build of the old source\n"
	       "(see hdctl info).  Every change that cannot be patched live is\n"
	       "named, then the command fails.  Exits 0 with changes, 3 when\n"
	       "nothing changed, 1 when a change is refused or on error.\n");
}

/* The ELF type of @path (ET_REL, ET_EXEC, ET_DYN), or -1. */
static int elf_type(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), type = -1;
	GElf_Ehdr eh;
	Elf *elf;

	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF && gelf_getehdr(elf, &eh))
		type = eh.e_type;
	if (elf)
		elf_end(elf);
	close(fd);
	return type;
}

static bool is_linked(const char *path)
{
	int t = elf_type(path);

	return t == ET_EXEC || t == ET_DYN;
}

/* Whether the patch has @name after all (a changed constant's user). */
static bool in_patch(const struct hd_diff *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->funcs[i].name, name))
			return true;
	return false;
}

static void print_json(const struct hd_diff *d, bool linked)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct hd_func_change *c = &d->funcs[i];
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "name", json_object_new_string(c->name));
		json_object_object_add(f, "status",
				       json_object_new_string(c->status == HD_FUNC_NEW ?
							      "new" : "changed"));
		if (c->once)
			json_object_object_add(f, "runs_once",
					       json_object_new_string(c->once == HDP_FUNC_STARTUP ?
								      "start-up" : "exit"));
		if (linked && c->unit)
			json_object_object_add(f, "file",
					       json_object_new_string(c->unit));
		json_object_array_add(arr, f);
	}
	for (i = 0; i < d->nline_only; i++) {
		struct json_object *f = json_object_new_object();

		if (in_patch(d, d->line_only[i]))
			continue;
		json_object_object_add(f, "name",
				       json_object_new_string(d->line_only[i]));
		json_object_object_add(f, "status",
				       json_object_new_string("line-only"));
		json_object_array_add(arr, f);
	}
	hd_json_print(arr);
}

static void print_plain(const struct hd_diff *d, bool linked)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct hd_func_change *c = &d->funcs[i];
		bool unit = linked && c->unit;

		printf("%s %s%s%s%s\n", c->status == HD_FUNC_NEW ? "new" : "changed",
		       c->name, unit ? " (" : "", unit ? c->unit : "",
		       unit ? ")" : "");
	}
	for (i = 0; i < d->nline_only; i++)
		if (!in_patch(d, d->line_only[i]))
			printf("line-only %s\n", d->line_only[i]);
}

static void print_warnings(const struct hd_diff *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct hd_func_change *ch = &d->funcs[i];

		if (ch->once == HDP_FUNC_STARTUP)
			hd_err("warning: %s runs once at start-up; the running process will not execute the new code",
			       ch->name);
		else if (ch->once)
			hd_err("warning: %s runs only at exit; the running process will execute the new code only when it exits",
			       ch->name);
	}
}

/* Diff every old object with its new build (diff/pair.c). */
static int diff_objects(int half, char **argv, struct hd_diff *d,
			struct hd_emit *em, struct hd_build *tgt)
{
	size_t *pair;
	int i, ret = 0;

	pair = calloc(half, sizeof(*pair));
	if (!pair)
		return hd_fail(&d->err, -ENOMEM, "out of memory");
	if (hd_pair_objects(argv, argv + half, half, pair, &d->err))
		ret = -1;
	for (i = 0; !ret && i < half; i++)
		if (hd_diff_objects(argv[i], argv[half + pair[i]], d, em, tgt))
			ret = -1;
	free(pair);
	return ret;
}

/* The patch's target: its symbols, and the writer that names it. */
static int open_target(const char *target, struct hd_build *tgt,
		       struct hd_emit **em)
{
	struct hd_error e;
	char *abs;

	if (hd_build_open(tgt, target, &e)) {
		hd_err("%s", e.msg);
		return -1;
	}
	/* The path apply and people will look for: absolute. */
	abs = realpath(target, NULL);
	*em = hd_emit_new(tgt->build_id, tgt->build_id_len, abs ? abs : target);
	free(abs);
	if (!*em) {
		hd_err("out of memory");
		return -1;
	}
	return 0;
}

/*
 * What the diff found, in the order people read it: the decisions (with
 * --explain), then either every refusal or the changes.
 */
static int report(const struct hd_diff *d, bool explain, bool linked)
{
	size_t i;

	for (i = 0; explain && i < d->nnotes; i++)
		fprintf(stderr, "%s\n", d->notes[i]);
	if (d->nrefusals) {
		for (i = 0; i < d->nrefusals; i++)
			hd_err("%s", d->refusals[i]);
		if (d->nrefusals > 1)
			hd_err("%zu changes cannot be patched live; nothing was written",
			       d->nrefusals);
		return HD_EXIT_FAIL;
	}
	if (hd_opts.json)
		print_json(d, linked);
	else
		print_plain(d, linked);
	print_warnings(d);
	if (d->nline_only && !hd_opts.json)
		fprintf(stderr, "hdctl: %zu function%s left out: only line numbers changed (__LINE__); --keep-line-changes keeps them\n",
			d->nline_only, d->nline_only == 1 ? "" : "s");
	if (!d->n) {
		hd_err("no function changed: nothing to patch");
		return HD_EXIT_NOCHANGE;
	}
	return HD_EXIT_OK;
}

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "explain", no_argument, NULL, 'e' },
		{ "target", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "keep-line-changes", no_argument, NULL, 'k' },
		{ 0 }
	};
	const char *target = NULL, *output = NULL;
	struct hd_build tgt = { .fd = -1, .symfd = -1 };
	struct hd_emit *em = NULL;
	struct hd_diff d = { 0 };
	bool explain = false, linked;
	int c, ret = HD_EXIT_FAIL;
	struct hd_error e;

	while ((c = hd_getopt(argc, argv, "et:o:", opts)) != -1) {
		switch (c) {
		case 'e':
			explain = true;
			break;
		case 't':
			target = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'k':
			d.keep_line_changes = true;
			break;
		}
	}
	argc -= optind;
	argv += optind;
	linked = argc == 2 && is_linked(argv[0]) && is_linked(argv[1]);
	/* Two linked builds: the old one is what runs, unless told. */
	if (linked && output && !target)
		target = argv[0];
	if (!linked && !target != !output)
		return hd_usage_error("--target and -o go together");
	if (linked && target && !output)
		return hd_usage_error("--target needs -o");
	if (argc < 2 || argc % 2)
		return hd_usage_error("as many new objects as old ones, please");
	if (target && open_target(target, &tgt, &em))
		goto out;
	if (linked ? hd_diff_binaries(argv[0], argv[1], &d, em, &tgt) :
		     diff_objects(argc / 2, argv, &d, em, &tgt)) {
		hd_err("%s", d.err.msg);
		goto out;
	}
	ret = report(&d, explain, linked);
	if (ret == HD_EXIT_OK && em && hd_emit_write(em, output, &e)) {
		hd_err("%s", e.msg);
		ret = HD_EXIT_FAIL;
	}
out:
	hd_emit_free(em);
	if (target)
		hd_build_close(&tgt);
	hd_diff_free(&d);
	return ret;
}
