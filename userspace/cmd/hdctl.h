/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HDCTL_H
#define HDCTL_H

#include <getopt.h>
#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

#define HDCTL_VERSION	"0.1"

/* Exit codes, documented in hdctl(8). */
#define HD_EXIT_OK	0
#define HD_EXIT_FAIL	1	/* the operation failed or was refused */
#define HD_EXIT_USAGE	2	/* bad command line */
#define HD_EXIT_NOCHANGE 3	/* hdctl diff: the builds do not differ */

struct hd_opts {
	bool json;
	bool pretty;
	bool verbose;
	bool help;	/* a usage text is being asked for: stdout */
};

extern struct hd_opts hd_opts;

struct hd_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	void (*usage)(void);
	const char *summary;
};

/* The command being run (set by main), for help and usage errors. */
extern const struct hd_cmd *hd_cmd_current;

/*
 * A command's getopt_long(): also takes -j/--json, -p/--pretty,
 * -v/--verbose and -h/--help anywhere, permutes options and positional
 * arguments, exits 0 after printing the usage for --help, and exits 2
 * naming the option for an unknown one or a missing value.
 */
int hd_getopt(int argc, char **argv, const char *shortopts,
	      const struct option *longopts);
/* Where a usage text goes: stdout when asked for, stderr on an error. */
FILE *hd_usage_out(void);
/* The current command's usage on stdout. */
void hd_help(void);
/* "hdctl CMD: <why>" and the command's usage on stderr; HD_EXIT_USAGE. */
int hd_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * What failed, as one line "hdctl: <what failed>" on stderr; under
 * --json, as {"error": "<what failed>"} on stdout instead.
 */
void hd_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a JSON object on stdout, honouring -p, and release it. */
void hd_json_print(struct json_object *obj);

/* /dev/hotdeploy, or -1 after saying why. */
int hd_open_dev(void);
/* Say why @pid's /proc/PID/mem, the module's proof, would not open (@err). */
void hd_policy_refused(const char *op, pid_t pid, int err);

/* Commands. */
int cmd_diff(int argc, char **argv);
void usage_diff(void);
int cmd_version(int argc, char **argv);
void usage_version(void);
int cmd_info(int argc, char **argv);
void usage_info(void);
int cmd_list(int argc, char **argv);
void usage_list(void);
int cmd_revert(int argc, char **argv);
int cmd_apply(int argc, char **argv);
void usage_apply(void);
void usage_revert(void);

#endif /* HDCTL_H */
