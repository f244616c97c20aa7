/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --wait: a request to the module retried, with back-off, while a thread
 * or a suspended stack is in the code concerned, each attempt one short
 * stop, the target running freely in between.
 */
#ifndef HD_CMD_WAIT_H
#define HD_CMD_WAIT_H

#include <stddef.h>

#include <linux/hotdeploy.h>

#define HD_WAIT_DEFAULT_S	30
#define HD_WAIT_MAX_S		86400
#define HD_WAIT_SEEN_MAX	8

/* What one request found in the way, and what its last stop cost. */
struct hd_wait_busy {
	__u32 reason;		/* enum hd_fail */
	__u32 tid;		/* 0: a stack that is no thread's */
	__u32 func;		/* fail_func, ~0U if none */
	__u32 attempts;		/* stops the request made */
	__u32 threads;
	__u64 pause_ns;		/* its last stop's pause, 0 if none */
};

struct hd_wait_seen {
	struct hd_wait_busy busy;
	unsigned int count;	/* requests that found it */
};

struct hd_wait {
	const char *op;		/* "apply" or "revert" */
	unsigned int seconds;	/* how long to keep trying; 0: one request */
	/* One request: 0, -EBUSY with @b filled, or another -errno. */
	int (*request)(void *ctx, struct hd_wait_busy *b);
	/* The name of function @func, into @buf; NULL if unknown. */
	const char *(*name)(void *ctx, __u32 func, char *buf, size_t len);
	void *ctx;

	/* Out: what the requests met. */
	unsigned int requests;
	unsigned int attempts;	/* stops, over all requests */
	double waited_s;
	struct hd_wait_seen seen[HD_WAIT_SEEN_MAX];
	unsigned int nr_seen;
};

/*
 * Make @w's request until it is not -EBUSY or @w->seconds have passed;
 * progress on stderr.  Returns the last request's result.
 */
int hd_wait_run(struct hd_wait *w);

/*
 * After a wait that ended -EBUSY: what stayed in the way, and the hint
 * for a function that is never free, appended to @msg (of @len bytes).
 */
void hd_wait_explain(const struct hd_wait *w, char *msg, size_t len);

/* --wait's value. */
unsigned int hd_wait_arg(const char *s);

#endif /* HD_CMD_WAIT_H */
