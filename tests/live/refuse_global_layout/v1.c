// SPDX-License-Identifier: GPL-2.0
/* A global whose layout version 2 changes: no patch can carry that. */
struct live_conf {
	long limit;
} live_conf = { 5 };

__attribute__((noinline)) long live_probe(void)
{
	return live_conf.limit;
}
