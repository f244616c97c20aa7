// SPDX-License-Identifier: GPL-2.0
/*
 * Version 2 brings new globals of its own: an initialised one (.data) and
 * a zeroed one (.bss) that it writes on every call.  It returns 2 only if
 * the first kept its initial value and the second is writable.
 */
long live_new_base = 2;
static long live_new_calls;

__attribute__((noinline)) long live_probe(void)
{
	if (live_new_calls < 1000000)
		live_new_calls++;
	return live_new_calls > 0 ? live_new_base : -1;
}
