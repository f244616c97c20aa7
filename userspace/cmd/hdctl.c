// SPDX-License-Identifier: GPL-2.0
/*
 * hdctl: command-line front end of hotdeploy.  Global options, then one
 * dispatch table of commands, each with its own usage text.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/hdctl.h"

static const struct hd_cmd hd_cmds[] = {
	{ "diff", cmd_diff, usage_diff,
	  "the functions changed between two builds, as a .hdp patch" },
	{ "info", cmd_info, usage_info,
	  "check a .hdp patch file and show what it holds" },
	{ "apply", cmd_apply, usage_apply,
	  "apply a patch file to a running process" },
	{ "list", cmd_list, usage_list,
	  "list the patches applied to processes" },
	{ "revert", cmd_revert, usage_revert,
	  "undo the most recent patch (or all) of a process" },
	{ "version", cmd_version, usage_version,
	  "show hdctl's version and the module's ABI" },
};

#define HD_NCMDS	(sizeof(hd_cmds) / sizeof(hd_cmds[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: hdctl [-j|--json] [-p|--pretty] [-v|--verbose] COMMAND [ARGS]\n"
		   "       hdctl help [COMMAND]\n"
		   "       hdctl COMMAND --help\n\nCommands:\n");
	for (i = 0; i < HD_NCMDS; i++)
		fprintf(f, "  %-10s %s\n", hd_cmds[i].name, hd_cmds[i].summary);
	fprintf(f, "\nGlobal options may stand anywhere on the line.  See hdctl(8).\n");
}

static const struct hd_cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < HD_NCMDS; i++)
		if (!strcmp(hd_cmds[i].name, name))
			return &hd_cmds[i];
	return NULL;
}

static int unknown_cmd(const char *name)
{
	fprintf(stderr, "hdctl: unknown command '%s'\n", name);
	usage(stderr);
	return HD_EXIT_USAGE;
}

/* hdctl help [COMMAND] */
static int cmd_help(int argc, char **argv)
{
	if (argc > 2) {
		fprintf(stderr, "hdctl help: one command at most\n");
		usage(stderr);
		return HD_EXIT_USAGE;
	}
	if (argc < 2) {
		usage(stdout);
		return HD_EXIT_OK;
	}
	hd_cmd_current = find_cmd(argv[1]);
	if (!hd_cmd_current)
		return unknown_cmd(argv[1]);
	hd_help();
	return HD_EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json",	no_argument,	NULL, 'j' },
		{ "pretty",	no_argument,	NULL, 'p' },
		{ "verbose",	no_argument,	NULL, 'v' },
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, 'V' },
		{ 0 }
	};
	int c;

	/* "+": stop at the command name; the command parses the rest. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jpvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			hd_opts.json = true;
			break;
		case 'p':
			hd_opts.json = true;
			hd_opts.pretty = true;
			break;
		case 'v':
			hd_opts.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return HD_EXIT_OK;
		case 'V':
			printf("hdctl %s\n", HDCTL_VERSION);
			return HD_EXIT_OK;
		default:
			fprintf(stderr, "hdctl: unknown option '%s'\n",
				argv[optind - 1]);
			usage(stderr);
			return HD_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return HD_EXIT_USAGE;
	}
	if (!strcmp(argv[0], "help"))
		return cmd_help(argc, argv);
	hd_cmd_current = find_cmd(argv[0]);
	if (!hd_cmd_current)
		return unknown_cmd(argv[0]);
	optind = 0;	/* let the command run getopt from its own argv[0] */
	return hd_cmd_current->run(argc, argv);
}
