// SPDX-License-Identifier: GPL-2.0
/*
 * hdctl's output: one-line errors and JSON.  In the library rather than
 * next to main() so that every command's code, and the unit tests linking
 * it, report the same way.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cmd/hdctl.h"

struct hd_opts hd_opts;

void hd_err(const char *fmt, ...)
{
	va_list ap;

	fputs("hdctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void hd_json_print(struct json_object *obj)
{
	int flags = hd_opts.pretty ? JSON_C_TO_STRING_PRETTY :
				     JSON_C_TO_STRING_PLAIN;

	puts(json_object_to_json_string_ext(obj, flags |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}
