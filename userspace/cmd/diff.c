// SPDX-License-Identifier: GPL-2.0
/*
 * hdctl diff OLD.o... NEW.o... [--target BINARY -o FILE.hdp], or
 * hdctl diff OLD-BIN NEW-BIN [--target BINARY] [-o FILE.hdp]: the
 * functions whose code changed between two builds, objects matched by
 * file name, and with -o the patch that carries them.
 */
#include <fcntl.h>
#include <gelf.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff/diff.h"
#include "format/write.h"
#include "format/hdp.h"
#include "elf/build.h"
#include "cmd/hdctl.h"

void usage_diff(void)
{
	fprintf(hd_usage_out(),
		"Usage: hdctl [-j] diff [--explain] [--target BINARY -o FILE.hdp]\n"
	       "                  OLD.o... NEW.o...\n"
	       "       hdctl [-j] diff [--explain] [--target BINARY] [-o FILE.hdp]\n"
	       "                  OLD-BIN NEW-BIN\n"
	       "Compare two builds of the same objects (built with\n"
	       "-ffunction-sections -fdata-sections), matched by file name: the\n"
	       "first half of the arguments is the old build, the second half\n"
	       "the new.  Or compare two builds of one program or shared library\n"
	       "linked with -Wl,--emit-relocs; the patch is then for OLD-BIN\n"
	       "unless --target names another copy of it (e.g. a stripped one).\n"
	       "Prints each changed or new function; --explain says why, on\n"
	       "stderr.  Warns about a changed function that only runs at\n"
	       "start-up or exit (main, constructors, destructors).  With -o,\n"
	       "writes the patch for BINARY, the running build of the old source\n"
	       "(see hdctl info).  Exits 0 with changes, 1 when nothing changed,\n"
	       "a change is refused, or on error.\n");
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

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "explain", no_argument, NULL, 'e' },
		{ "target", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ 0 }
	};
	const char *target = NULL, *output = NULL;
	struct hd_build tgt = { .fd = -1, .symfd = -1 };
	struct hd_emit *em = NULL;
	struct hd_diff d = { 0 };
	bool explain = false, linked;
	int c, i, j, half, ret = HD_EXIT_FAIL;

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
		default:
			usage_diff();
			return HD_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	linked = argc == 2 && is_linked(argv[0]) && is_linked(argv[1]);
	/* Two linked builds: the old one is what runs, unless told. */
	if (linked && output && !target)
		target = argv[0];
	if (!linked && !target != !output) {
		hd_err("diff: --target and -o go together; try 'hdctl help diff'");
		return HD_EXIT_USAGE;
	}
	if (linked && target && !output) {
		hd_err("diff: --target needs -o; try 'hdctl help diff'");
		return HD_EXIT_USAGE;
	}
	if (argc < 2 || argc % 2) {
		hd_err("diff needs as many new objects as old ones; try 'hdctl help diff'");
		return HD_EXIT_USAGE;
	}
	half = argc / 2;
	if (target) {
		if (hd_build_open(&tgt, target))
			return HD_EXIT_FAIL;
		char *abs = realpath(target, NULL);

		/* The path apply and people will look for: absolute. */
		em = hd_emit_new(tgt.build_id, tgt.build_id_len,
				 abs ? abs : target);
		free(abs);
		if (!em) {
			hd_err("out of memory");
			goto out;
		}
	}
	for (i = 0; linked && i < 1; i++)
		if (hd_diff_binaries(argv[0], argv[1], &d,
				     explain ? stderr : NULL, em, &tgt))
			goto out;
	for (i = 0; !linked && i < half; i++) {
		for (j = half; j < argc; j++)
			if (!strcmp(base(argv[i]), base(argv[j])))
				break;
		if (j == argc) {
			hd_err("%s: no new object of that name", argv[i]);
			goto out;
		}
		if (hd_diff_objects(argv[i], argv[j], &d,
				    explain ? stderr : NULL, em, &tgt))
			goto out;
	}
	if (hd_opts.json) {
		struct json_object *arr = json_object_new_array();

		for (i = 0; i < (int)d.n; i++) {
			struct json_object *f = json_object_new_object();
			const char *status;

			json_object_object_add(f, "name",
					       json_object_new_string(d.funcs[i].name));
			status = d.funcs[i].status == HD_FUNC_NEW ? "new" :
								    "changed";
			json_object_object_add(f, "status",
					       json_object_new_string(status));
			if (d.funcs[i].once)
				json_object_object_add(f, "runs_once",
						       json_object_new_string(d.funcs[i].once ==
									      HDP_FUNC_STARTUP ?
									      "start-up" : "exit"));
			if (linked && d.funcs[i].unit)
				json_object_object_add(f, "file",
						       json_object_new_string(d.funcs[i].unit));
			json_object_array_add(arr, f);
		}
		hd_json_print(arr);
	} else {
		for (i = 0; i < (int)d.n; i++)
			printf("%s %s%s%s%s\n", d.funcs[i].status == HD_FUNC_NEW ?
			       "new" : "changed", d.funcs[i].name,
			       linked && d.funcs[i].unit ? " (" : "",
			       linked && d.funcs[i].unit ? d.funcs[i].unit : "",
			       linked && d.funcs[i].unit ? ")" : "");
	}
	for (i = 0; i < (int)d.n; i++) {
		const struct hd_func_change *ch = &d.funcs[i];

		if (ch->once == HDP_FUNC_STARTUP)
			hd_err("warning: %s runs once at start-up; the running process will not execute the new code",
			       ch->name);
		else if (ch->once)
			hd_err("warning: %s runs only at exit; the running process will execute the new code only when it exits",
			       ch->name);
	}
	if (!d.n) {
		hd_err("no function changed: nothing to patch");
		goto out;
	}
	if (em && hd_emit_write(em, output))
		goto out;
	ret = HD_EXIT_OK;
out:
	hd_emit_free(em);
	if (target)
		hd_build_close(&tgt);
	hd_diff_free(&d);
	return ret;
}
