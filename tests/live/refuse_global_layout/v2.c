// SPDX-License-Identifier: GPL-2.0
/* Version 2 adds a field to the global: the running state has no room. */
struct live_conf {
	long limit;
	long burst;
} live_conf = { 5, 7 };

__attribute__((noinline)) long live_probe(void)
{
	return live_conf.limit + live_conf.burst;
}
