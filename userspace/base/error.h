/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Errors as values.  The libraries (elf/, format/, diff/, apply/) never
 * print: a function that fails fills a struct hd_error and returns a
 * negative number, and the command layer (cmd/) decides how to show it,
 * as one line on stderr or as JSON.
 */
#ifndef HD_BASE_ERROR_H
#define HD_BASE_ERROR_H

#include <stddef.h>

#define HD_ERROR_MSG_MAX	1024

struct hd_error {
	int code;			/* -errno when one applies, else -1 */
	char msg[HD_ERROR_MSG_MAX];	/* what failed and what to do */
};

/*
 * Record @fmt in @e and return @code (a negative errno), or -1 when @code
 * is 0: "return hd_fail(e, 0, ...);" reads as the failure it is.
 * @e may be NULL when the caller only wants the return value.
 */
int hd_fail(struct hd_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put "@fmt: " in front of the message @e already holds. */
void hd_error_prefix(struct hd_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* HD_BASE_ERROR_H */
