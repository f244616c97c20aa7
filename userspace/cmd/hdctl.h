/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HDCTL_H
#define HDCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#define HDCTL_VERSION	"0.1"

/* Exit codes, documented in hdctl(8). */
#define HD_EXIT_OK	0
#define HD_EXIT_FAIL	1	/* the operation failed or was refused */
#define HD_EXIT_USAGE	2	/* bad command line */

struct hd_opts {
	bool json;
	bool pretty;
};

extern struct hd_opts hd_opts;

struct hd_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	void (*usage)(void);
	const char *summary;
};

/* One line on stderr: "hdctl: <what failed>". */
void hd_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a JSON object on stdout, honouring -p, and release it. */
void hd_json_print(struct json_object *obj);

int hd_dev_open(void);

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
