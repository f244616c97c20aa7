// SPDX-License-Identifier: GPL-2.0
/*
 * hdctl's output: one-line errors and JSON, the same way for every
 * command.  The libraries below cmd/ never print: they return a struct
 * hd_error, and the command shows it with hd_err().
 */
#include <stdarg.h>
#include <stdio.h>

#include "apply/kapi.h"
#include "cmd/hdctl.h"

struct hd_opts hd_opts;

void hd_err(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (hd_opts.json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "error", json_object_new_string(msg));
		hd_json_print(o);
		return;
	}
	fprintf(stderr, "hdctl: %s\n", msg);
}

void hd_json_print(struct json_object *obj)
{
	int flags = hd_opts.pretty ? JSON_C_TO_STRING_PRETTY :
				     JSON_C_TO_STRING_PLAIN;

	puts(json_object_to_json_string_ext(obj, flags |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}

int hd_open_dev(void)
{
	struct hd_error e;
	int fd = hd_dev_open(&e);

	if (fd < 0)
		hd_err("%s", e.msg);
	return fd < 0 ? -1 : fd;
}

void hd_policy_refused(const char *op, pid_t pid, int err)
{
	struct hd_refusal why = {
		.op = op, .pid = pid, .err = err, .reason = HD_REFUSED_POLICY,
	};
	char msg[512];

	hd_explain(&why, msg, sizeof(msg));
	hd_err("%s", msg);
}
