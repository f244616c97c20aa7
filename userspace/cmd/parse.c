// SPDX-License-Identifier: GPL-2.0
/*
 * Numbers on the command line.  strtoull() alone takes "12abc", " -1"
 * (as a huge number) and "" (as 0); here a value is all digits and in the
 * range the module accepts, or the command stops with a usage error that
 * says which option and what range, before anything is done.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include <linux/hotdeploy.h>

#include "cmd/hdctl.h"
#include "cmd/parse.h"

/* The kernel's PID_MAX_LIMIT on 64-bit. */
#define HD_PID_MAX	(4U << 20)

unsigned long long hd_num_arg(const char *opt, const char *s,
			      unsigned long long min, unsigned long long max)
{
	const char *arg = s;
	unsigned long long v;
	char *end;
	int base = 10;

	/* Decimal, or hex after 0x: never octal, so that 010 is ten. */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	errno = 0;
	if (!isxdigit((unsigned char)s[0]))
		goto bad;
	v = strtoull(s, &end, base);
	if (errno || *end || v < min || v > max)
		goto bad;
	return v;
bad:
	exit(hd_usage_error("%s '%s': expected a number from %llu to %llu",
			    opt, arg, min, max));
}

pid_t hd_pid_arg(const char *s)
{
	return hd_num_arg("--pid", s, 1, HD_PID_MAX);
}

int hd_retry_option(int c, const char *arg, struct hd_retry_args *r)
{
	switch (c) {
	case HD_OPT_RETRIES:
		r->attempts = hd_num_arg("--retries", arg, 0,
					 HD_ATTEMPTS_MAX - 1) + 1;
		return 1;
	case HD_OPT_RETRY_DELAY:
		r->delay_ms = hd_num_arg("--retry-delay", arg, 1,
					 HD_RETRY_DELAY_MAX_MS);
		return 1;
	case HD_OPT_TIMEOUT:
		r->timeout_ms = hd_num_arg("--timeout", arg, 1,
					   HD_TIMEOUT_MAX_MS);
		return 1;
	}
	return 0;
}

void hd_retry_effective(const struct hd_retry_args *r, __u32 *delay_ms,
			__u32 *timeout_ms)
{
	*delay_ms = r->delay_ms ?: HD_RETRY_DELAY_DEFAULT_MS;
	*timeout_ms = r->timeout_ms ?: HD_TIMEOUT_DEFAULT_MS;
}
