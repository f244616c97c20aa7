// SPDX-License-Identifier: GPL-2.0
/*
 * The options every command shares.  Each command parses its own options
 * with hd_getopt(), which also takes the global ones (-j, -p, -v, -h)
 * wherever they stand, lets options and positional arguments come in any
 * order, and answers --help and every usage error the same way for all
 * commands: help on stdout with exit 0, an error naming the option and
 * the usage on stderr with exit 2.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/hdctl.h"

/* Long-only values, beyond any character a command uses. */
enum {
	OPT_JSON = 0x100,
	OPT_PRETTY,
	OPT_VERBOSE,
	OPT_HELP,
};

#define MAX_OPTS	32

static const struct option global_opts[] = {
	{ "json",	no_argument,	NULL, OPT_JSON },
	{ "pretty",	no_argument,	NULL, OPT_PRETTY },
	{ "verbose",	no_argument,	NULL, OPT_VERBOSE },
	{ "help",	no_argument,	NULL, OPT_HELP },
};

#define NGLOBAL	(sizeof(global_opts) / sizeof(global_opts[0]))

const struct hd_cmd *hd_cmd_current;
/* Where the usage text a command prints goes; stderr unless redirected. */
static FILE *usage_sink;

FILE *hd_usage_out(void)
{
	return usage_sink ?: stderr;
}

void hd_help(void)
{
	usage_sink = stdout;
	if (hd_cmd_current)
		hd_cmd_current->usage();
	usage_sink = NULL;
}

/*
 * The synopsis of the current command: the "Usage:" line and the lines
 * that continue it, without the description that follows.
 */
static void print_synopsis(FILE *out)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;

	if (!hd_cmd_current)
		return;
	usage_sink = open_memstream(&text, &len);
	if (!usage_sink)
		return;
	hd_cmd_current->usage();
	fclose(usage_sink);
	usage_sink = NULL;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "Usage:", 6) && line[0] != ' ')
			break;
		fprintf(out, "%s\n", line);
	}
	fprintf(out, "Try 'hdctl help %s'.\n", hd_cmd_current->name);
	free(text);
}

int hd_usage_error(const char *fmt, ...)
{
	const char *name = hd_cmd_current ? hd_cmd_current->name : NULL;
	va_list ap;

	fprintf(stderr, "hdctl%s%s: ", name ? " " : "", name ?: "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_synopsis(stderr);
	return HD_EXIT_USAGE;
}

static int set_global(int c)
{
	switch (c) {
	case 'j':
	case OPT_JSON:
		hd_opts.json = true;
		return 1;
	case 'p':
	case OPT_PRETTY:
		hd_opts.json = true;
		hd_opts.pretty = true;
		return 1;
	case 'v':
	case OPT_VERBOSE:
		hd_opts.verbose = true;
		return 1;
	case 'h':
	case OPT_HELP:
		hd_help();
		exit(HD_EXIT_OK);
	}
	return 0;
}

/* The command's table followed by the global entries; cached per table. */
static const struct option *merged(const struct option *own)
{
	static struct option all[MAX_OPTS + NGLOBAL + 1];
	static const struct option *cached;
	static bool built;
	size_t n = 0;

	if (built && cached == own)
		return all;
	for (; own && own[n].name; n++) {
		if (n == MAX_OPTS)
			abort();	/* a programming error, found by any test */
		all[n] = own[n];
	}
	memcpy(all + n, global_opts, sizeof(global_opts));
	memset(all + n + NGLOBAL, 0, sizeof(all[0]));
	cached = own;
	built = true;
	return all;
}

/* "-x" or "--name", as the user wrote it (without "=VALUE"). */
static void offender(int argc, char **argv, char *buf, size_t len)
{
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";

	if (optopt && optopt < 0x100 && strncmp(arg, "--", 2)) {
		snprintf(buf, len, "-%c", optopt);
		return;
	}
	snprintf(buf, len, "%.*s", (int)strcspn(arg, "="), arg);
}

int hd_getopt(int argc, char **argv, const char *shortopts,
	      const struct option *longopts)
{
	char shorts[64], bad[64];
	size_t n;
	int c, idx;

	/* ':' first: a missing argument is reported here, not by getopt. */
	n = snprintf(shorts, sizeof(shorts) - 5, ":%s", shortopts);
	for (const char *g = "jpvh"; *g; g++)
		if (!strchr(shortopts, *g))
			shorts[n++] = *g;
	shorts[n] = '\0';
	opterr = 0;
	for (;;) {
		idx = -1;
		c = getopt_long(argc, argv, shorts, merged(longopts), &idx);
		if (c == -1)
			return -1;
		/* A short global, or a long one; never a command's own. */
		if ((idx < 0 && strchr("jpvh", c) && !strchr(shortopts, c)) ||
		    c >= OPT_JSON) {
			if (set_global(c))
				continue;
		}
		if (c == '?' || c == ':') {
			offender(argc, argv, bad, sizeof(bad));
			exit(hd_usage_error(c == '?' ? "unknown option '%s'" :
					    "option '%s' needs a value", bad));
		}
		return c;
	}
}
