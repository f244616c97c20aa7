/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command line's numbers: one parser, end and range checked, and the
 * retry options apply and revert share, with the module's limits.
 */
#ifndef HD_CMD_PARSE_H
#define HD_CMD_PARSE_H

#include <getopt.h>
#include <sys/types.h>

#include <linux/types.h>

/* Option values of the retry options, beyond the global ones. */
enum {
	HD_OPT_RETRIES = 0x200,
	HD_OPT_RETRY_DELAY,
	HD_OPT_TIMEOUT,
};

#define HD_RETRY_OPTIONS \
	{ "retries", required_argument, NULL, HD_OPT_RETRIES }, \
	{ "retry-delay", required_argument, NULL, HD_OPT_RETRY_DELAY }, \
	{ "timeout", required_argument, NULL, HD_OPT_TIMEOUT }

/* As the module's requests take them: 0 for its default. */
struct hd_retry_args {
	__u32 attempts;
	__u32 delay_ms;
	__u32 timeout_ms;
};

/*
 * @s, the value of option @opt, as a whole decimal (or 0x hex) number in
 * [@min, @max]; anything else is a usage error naming the option and the
 * range (exit 2).
 */
unsigned long long hd_num_arg(const char *opt, const char *s,
			      unsigned long long min, unsigned long long max);
/* A process id for --pid. */
pid_t hd_pid_arg(const char *s);
/* Parses @c into @r if it is a retry option: 1 if it was, 0 if not. */
int hd_retry_option(int c, const char *arg, struct hd_retry_args *r);
/* The values the module uses for @r: its defaults where @r has 0. */
void hd_retry_effective(const struct hd_retry_args *r, __u32 *delay_ms,
			__u32 *timeout_ms);

#endif /* HD_CMD_PARSE_H */
