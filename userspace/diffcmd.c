// SPDX-License-Identifier: GPL-2.0
/*
 * hdctl diff OLD.o... NEW.o...: the functions whose code changed between
 * two builds, objects matched by file name.  Writing the .hdp is not
 * done yet; this prints the set (--explain: and why each is in it).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "hdctl.h"

void usage_diff(void)
{
	printf("Usage: hdctl [-j] diff [--explain] OLD.o... NEW.o...\n"
	       "Compare two builds of the same objects (-ffunction-sections),\n"
	       "matched by file name: the first half of the arguments is the\n"
	       "old build, the second half the new.  Prints each changed or\n"
	       "new function.  Exits 0 with changes, 1 when nothing changed\n"
	       "or on error.\n");
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
		{ 0 }
	};
	struct hd_diff d = { 0 };
	bool explain = false;
	int c, i, j, half, ret = HD_EXIT_FAIL;

	while ((c = getopt_long(argc, argv, "e", opts, NULL)) != -1) {
		if (c != 'e') {
			usage_diff();
			return HD_EXIT_USAGE;
		}
		explain = true;
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || argc % 2) {
		hd_err("diff needs as many new objects as old ones; try 'hdctl help diff'");
		return HD_EXIT_USAGE;
	}
	half = argc / 2;
	for (i = 0; i < half; i++) {
		for (j = half; j < argc; j++)
			if (!strcmp(base(argv[i]), base(argv[j])))
				break;
		if (j == argc) {
			hd_err("%s: no new object of that name", argv[i]);
			goto out;
		}
		if (hd_diff_objects(argv[i], argv[j], &d,
				    explain ? stderr : NULL))
			goto out;
	}
	if (hd_opts.json) {
		struct json_object *arr = json_object_new_array();

		for (i = 0; i < (int)d.n; i++) {
			struct json_object *f = json_object_new_object();

			json_object_object_add(f, "name",
				json_object_new_string(d.funcs[i].name));
			json_object_object_add(f, "status", json_object_new_string(
				d.funcs[i].status == HD_FUNC_NEW ? "new" : "changed"));
			json_object_array_add(arr, f);
		}
		hd_json_print(arr);
	} else {
		for (i = 0; i < (int)d.n; i++)
			printf("%s %s\n", d.funcs[i].status == HD_FUNC_NEW ?
			       "new" : "changed", d.funcs[i].name);
	}
	if (!d.n)
		hd_err("no function changed: nothing to patch");
	else
		ret = HD_EXIT_OK;
out:
	hd_diff_free(&d);
	return ret;
}
