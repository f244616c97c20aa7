// SPDX-License-Identifier: GPL-2.0
/* Errors as values: see error.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"

int hd_fail(struct hd_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (code >= 0)
		code = -1;
	if (!e)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

void hd_error_prefix(struct hd_error *e, const char *fmt, ...)
{
	char head[256];
	size_t n, old;
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head) - 2, fmt, ap);
	va_end(ap);
	strcat(head, ": ");
	n = strlen(head);
	old = strnlen(e->msg, sizeof(e->msg) - 1);
	/* What does not fit is cut from the end, not from the front. */
	if (n + old > sizeof(e->msg) - 1)
		old = sizeof(e->msg) - 1 - n;
	memmove(e->msg + n, e->msg, old);
	memcpy(e->msg, head, n);
	e->msg[n + old] = '\0';
}
