// SPDX-License-Identifier: GPL-2.0
/*
 * live_probe() calls through a hook once one is set, else live_value().
 * Version 2's live_value() sets the hook to a function only version 2
 * has: after a revert, old code goes on calling new code through that
 * pointer, which must still lead somewhere.
 */
long (*live_hook)(void);

__attribute__((noipa)) long live_value(void)
{
	return 1;
}

__attribute__((noinline)) long live_probe(void)
{
	if (live_hook)
		return live_hook();
	return live_value();
}
