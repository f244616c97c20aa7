// SPDX-License-Identifier: GPL-2.0
/* hdctl info FILE.hdp: what a patch holds, after the strict reader. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "cmd/hdctl.h"
#include "format/hdp.h"

void usage_info(void)
{
	fprintf(hd_usage_out(),
		"Usage: hdctl [-j|-p] info FILE.hdp\n"
	       "Check a patch file and print its target (path, build-id), each\n"
	       "function it replaces or adds, and where its undefined symbols\n"
	       "resolve.  Exits 1 if the file is unreadable or malformed.\n");
}

static const char *kind_name(uint32_t kind)
{
	return kind == HDP_SYM_TARGET ? "target" :
	       kind == HDP_SYM_TLS ? "tls" : "shlib";
}

/* When a replaced function only runs once: "once at start-up", or NULL. */
static const char *once_of(const struct hdp_func *fn)
{
	if (fn->flags & HDP_FUNC_STARTUP)
		return "once at start-up";
	if (fn->flags & HDP_FUNC_EXIT)
		return "only at exit";
	return NULL;
}

static void print_plain(const char *path, const struct hdp_file *f)
{
	size_t i;

	printf("%s: hotdeploy patch, format %u\ntarget: %s\nbuild-id: ",
	       path, f->version, f->target);
	for (i = 0; i < f->build_id_len; i++)
		printf("%02x", f->build_id[i]);
	printf("\nfunctions: %zu\n", f->nfuncs);
	for (i = 0; i < f->nfuncs; i++) {
		const struct hdp_func *fn = &f->funcs[i];
		GElf_Sym s = { 0 };

		hdp_get_sym(f, fn->sym, &s);
		if (fn->flags & HDP_FUNC_NEW)
			printf("  new      %s (%llu bytes)",
			       hdp_str(f, fn->old_name),
			       (unsigned long long)s.st_size);
		else
			printf("  replace  %s at %#llx, %llu bytes, hash %016llx, by %llu bytes",
			       hdp_str(f, fn->old_name),
			       (unsigned long long)fn->old_addr,
			       (unsigned long long)fn->old_size,
			       (unsigned long long)fn->old_hash,
			       (unsigned long long)s.st_size);
		if (once_of(fn))
			printf(" (runs %s)", once_of(fn));
		printf("\n");
	}
	printf("relocations: %zu\nexternal symbols: %zu\n", f->nrelocs,
	       f->nsyms);
	for (i = 0; i < f->nsyms; i++) {
		if (f->syms[i].kind == HDP_SYM_TARGET)
			printf("  target   %s at %#llx\n",
			       hdp_sym_name(f, f->syms[i].sym),
			       (unsigned long long)f->syms[i].addr);
		else if (f->syms[i].kind == HDP_SYM_TLS)
			printf("  tls      %s at +%#llx of the target's TLS block\n",
			       hdp_sym_name(f, f->syms[i].sym),
			       (unsigned long long)f->syms[i].addr);
		else
			printf("  shlib    %s\n", hdp_sym_name(f, f->syms[i].sym));
	}
}

static void print_json(const struct hdp_file *f)
{
	struct json_object *o = json_object_new_object();
	struct json_object *funcs = json_object_new_array();
	struct json_object *syms = json_object_new_array();
	char id[2 * HD_BUILD_ID_MAX + 1], hash[17];
	size_t i;

	for (i = 0; i < f->build_id_len; i++)
		snprintf(id + 2 * i, 3, "%02x", f->build_id[i]);
	id[2 * f->build_id_len] = 0;
	json_object_object_add(o, "format", json_object_new_int(f->version));
	json_object_object_add(o, "target", json_object_new_string(f->target));
	json_object_object_add(o, "build_id", json_object_new_string(id));
	for (i = 0; i < f->nfuncs; i++) {
		const struct hdp_func *fn = &f->funcs[i];
		struct json_object *j = json_object_new_object();
		GElf_Sym s = { 0 };

		hdp_get_sym(f, fn->sym, &s);
		json_object_object_add(j, "name",
				       json_object_new_string(hdp_str(f, fn->old_name)));
		json_object_object_add(j, "new",
				       json_object_new_boolean(fn->flags & HDP_FUNC_NEW));
		json_object_object_add(j, "new_size",
				       json_object_new_uint64(s.st_size));
		if (!(fn->flags & HDP_FUNC_NEW)) {
			snprintf(hash, sizeof(hash), "%016llx",
				 (unsigned long long)fn->old_hash);
			json_object_object_add(j, "old_addr",
					       json_object_new_uint64(fn->old_addr));
			json_object_object_add(j, "old_size",
					       json_object_new_uint64(fn->old_size));
			json_object_object_add(j, "old_hash",
					       json_object_new_string(hash));
			if (once_of(fn))
				json_object_object_add(j, "runs_once",
						       json_object_new_string(fn->flags &
									      HDP_FUNC_STARTUP ?
									      "start-up" : "exit"));
		}
		json_object_array_add(funcs, j);
	}
	for (i = 0; i < f->nsyms; i++) {
		struct json_object *j = json_object_new_object();
		const char *name = hdp_sym_name(f, f->syms[i].sym);
		const char *kind = kind_name(f->syms[i].kind);

		json_object_object_add(j, "name", json_object_new_string(name));
		json_object_object_add(j, "kind", json_object_new_string(kind));
		if (f->syms[i].kind == HDP_SYM_TARGET)
			json_object_object_add(j, "addr",
					       json_object_new_uint64(f->syms[i].addr));
		json_object_array_add(syms, j);
	}
	json_object_object_add(o, "functions", funcs);
	json_object_object_add(o, "symbols", syms);
	json_object_object_add(o, "relocations",
			       json_object_new_uint64(f->nrelocs));
	hd_json_print(o);
}

int cmd_info(int argc, char **argv)
{
	struct hdp_file f;
	struct hd_error e;
	size_t len;
	void *buf;

	if (hd_getopt(argc, argv, "", NULL) != -1 || optind != argc - 1)
		return hd_usage_error("one patch file, please");
	buf = hd_slurp(argv[optind], &len, &e);
	if (!buf) {
		hd_err("%s", e.msg);
		return HD_EXIT_FAIL;
	}
	if (hdp_parse(buf, len, &f, &e)) {
		hd_err("%s: %s", argv[optind], e.msg);
		free(buf);
		return HD_EXIT_FAIL;
	}
	if (hd_opts.json)
		print_json(&f);
	else
		print_plain(argv[optind], &f);
	hdp_release(&f);
	free(buf);
	return HD_EXIT_OK;
}
