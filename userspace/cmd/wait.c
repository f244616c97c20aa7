// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting for busy frames to finish, as hdctl apply and revert do.
 *
 * The module cannot tell when a thread will leave a function (a one-shot
 * trap on the frame's return address would, but only for frames it can
 * find, and it would leave a trap in the target if hdctl died); so the
 * request is simply made again, with growing delays, until it succeeds or
 * the time is up.  Each request stops the target once, for microseconds
 * plus the scan, and holds nothing in between.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd/hdctl.h"
#include "cmd/parse.h"
#include "cmd/wait.h"

#define HD_WAIT_FIRST_MS	20
#define HD_WAIT_LAST_MS		1000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static bool same(const struct hd_wait_busy *a, const struct hd_wait_busy *b)
{
	return a->tid == b->tid && a->func == b->func &&
	       (a->reason == HD_FAIL_MEMORY) == (b->reason == HD_FAIL_MEMORY);
}

/* Count @b among what was seen; true if it is new. */
static bool note_seen(struct hd_wait *w, const struct hd_wait_busy *b)
{
	unsigned int i;

	for (i = 0; i < w->nr_seen; i++) {
		if (same(&w->seen[i].busy, b)) {
			w->seen[i].busy = *b;
			w->seen[i].count++;
			return false;
		}
	}
	if (w->nr_seen < HD_WAIT_SEEN_MAX) {
		w->seen[w->nr_seen].busy = *b;
		w->seen[w->nr_seen].count = 1;
		w->nr_seen++;
	}
	return true;
}

/* "thread 812 to leave compute()", into @buf. */
static const char *who(const struct hd_wait *w, const struct hd_wait_busy *b,
		       char *buf, size_t len)
{
	char name[256];
	const char *fn = w->name(w->ctx, b->func, name, sizeof(name));

	if (!fn)
		fn = "the code concerned";
	if (b->tid)
		snprintf(buf, len, "thread %u in %s", b->tid, fn);
	else if (b->reason == HD_FAIL_MEMORY)
		snprintf(buf, len, "a suspended stack in %s", fn);
	else
		snprintf(buf, len, "a thread in %s", fn);
	return buf;
}

int hd_wait_run(struct hd_wait *w)
{
	unsigned int delay = HD_WAIT_FIRST_MS;
	double start = now_s(), left;
	char buf[320];
	int ret;

	for (;;) {
		struct hd_wait_busy b = { .func = ~0U };
		bool fresh;

		ret = w->request(w->ctx, &b);
		w->requests++;
		w->attempts += b.attempts;
		w->waited_s = now_s() - start;
		if (ret != -EBUSY) {
			if (hd_opts.verbose && w->requests > 1)
				fprintf(stderr, "hdctl: %s: request %u at %.2f s: done\n",
					w->op, w->requests, w->waited_s);
			return ret;
		}
		/* The mapping that holds the stack will not shrink. */
		if (b.reason == HD_FAIL_STACK_DEPTH)
			return ret;
		fresh = note_seen(w, &b);
		if (hd_opts.verbose && !b.pause_ns)
			fprintf(stderr, "hdctl: %s: request %u at %.2f s: no stop (found before it); %s\n",
				w->op, w->requests, w->waited_s,
				who(w, &b, buf, sizeof(buf)));
		else if (hd_opts.verbose)
			fprintf(stderr, "hdctl: %s: request %u at %.2f s: %u stop%s, the last %.1f µs (%u threads); %s\n",
				w->op, w->requests, w->waited_s, b.attempts,
				b.attempts == 1 ? "" : "s", b.pause_ns / 1e3,
				b.threads, who(w, &b, buf, sizeof(buf)));
		left = w->seconds - w->waited_s;
		if (left <= 0)
			return ret;
		if (fresh && !hd_opts.verbose)
			fprintf(stderr, "hdctl: %s: waiting for %s to return (up to %u s)\n",
				w->op, who(w, &b, buf, sizeof(buf)), w->seconds);
		if (delay > left * 1000)
			delay = left * 1000 + 1;
		sleep_ms(delay);
		if (delay < HD_WAIT_LAST_MS)
			delay = delay * 2 > HD_WAIT_LAST_MS ? HD_WAIT_LAST_MS :
				delay * 2;
	}
}

void hd_wait_explain(const struct hd_wait *w, char *msg, size_t len)
{
	size_t out = strlen(msg);
	const struct hd_wait_seen *last = NULL;
	char buf[320];
	unsigned int i;

	if (!w->seconds || !w->nr_seen)
		return;
	/* The one the last request met, and whether it was there throughout. */
	for (i = 0; i < w->nr_seen; i++)
		if (!last || w->seen[i].count > last->count)
			last = &w->seen[i];
	for (i = 0; i < w->nr_seen && out < len; i++) {
		const struct hd_wait_seen *s = &w->seen[i];

		out += snprintf(msg + out, len - out, "%s%s (%u of %u requests)",
				i ? ", " : "; in the way while waiting: ",
				who(w, &s->busy, buf, sizeof(buf)), s->count,
				w->requests);
	}
	if (out < len && last->count == w->requests && w->requests > 1)
		snprintf(msg + out, len - out,
			 "; %s never returned in %.0f s: if it never does (a loop for the life of the thread), that function cannot be replaced: patch the functions it calls instead",
			 who(w, &last->busy, buf, sizeof(buf)), w->waited_s);
}

unsigned int hd_wait_arg(const char *s)
{
	return hd_num_arg("--wait", s, 0, HD_WAIT_MAX_S);
}
