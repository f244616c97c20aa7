// SPDX-License-Identifier: GPL-2.0
/* hdctl version: the tool's version and the module's ABI and features. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/hotdeploy.h>

#include "apply/kapi.h"
#include "cmd/hdctl.h"

static const struct {
	__u64 bit;
	const char *name;
} features[] = {
	{ HD_FEATURE_VERSION, "version" },
	{ HD_FEATURE_APPLY, "apply" },
	{ HD_FEATURE_REVERT, "revert" },
	{ HD_FEATURE_LIST, "list" },
	{ HD_FEATURE_DATA, "data" },
	{ HD_FEATURE_REVERT_FORCE, "revert-force" },
	{ HD_FEATURE_SCAN_MEMORY, "scan-memory" },
	{ HD_FEATURE_RETIRE, "retire" },
	{ HD_FEATURE_MEM_PROOF, "mem-proof" },
};

void usage_version(void)
{
	fprintf(hd_usage_out(),
		"Usage: hdctl [-j] version\n"
	       "Print hdctl's version and the ABI version and features of the\n"
	       "loaded hotdeploy module.  Exits 1 if the module cannot be reached.\n");
}

static void print_plain(const struct hd_version *v)
{
	size_t i;

	printf("hdctl %s\nmodule: ABI %u, features:", HDCTL_VERSION,
	       v->abi_version);
	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (v->features & features[i].bit)
			printf(" %s", features[i].name);
	printf("\n");
	if (v->abi_version != HD_ABI_VERSION)
		printf("warning: hdctl speaks ABI %u\n", HD_ABI_VERSION);
}

static void print_json(const struct hd_version *v)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *feat = json_object_new_array();
	size_t i;

	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		const char *name = features[i].name;

		if (v->features & features[i].bit)
			json_object_array_add(feat, json_object_new_string(name));
	}
	json_object_object_add(obj, "hdctl", json_object_new_string(HDCTL_VERSION));
	json_object_object_add(obj, "abi", json_object_new_int(v->abi_version));
	json_object_object_add(obj, "features", feat);
	hd_json_print(obj);
}

int cmd_version(int argc, char **argv)
{
	struct hd_version v;
	int fd, err;

	if (hd_getopt(argc, argv, "", NULL) != -1)
		return hd_usage_error("unexpected option");
	if (optind != argc)
		return hd_usage_error("unexpected argument '%s'", argv[optind]);
	fd = hd_open_dev();
	if (fd < 0)
		return HD_EXIT_FAIL;
	err = hd_kernel_version(fd, &v);
	close(fd);
	if (err) {
		hd_err("version: the module did not answer: %s", strerror(-err));
		return HD_EXIT_FAIL;
	}
	if (hd_opts.json)
		print_json(&v);
	else
		print_plain(&v);
	return HD_EXIT_OK;
}
