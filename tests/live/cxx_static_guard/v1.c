// SPDX-License-Identifier: GPL-2.0
/*
 * C++ (built with g++): a function-local static with a dynamic
 * initializer, guarded by the compiler's guard variable (__cxa_guard_*).
 * The patched function must use the running process's object and guard:
 * with a guard of its own, the initializer would run a second time.
 * Probe values: 1, then 2 while the initializer has still run once; 9
 * if it ran again.
 */
static long inits;

__attribute__((noipa)) long init_once(void)
{
	return ++inits;
}

__attribute__((noinline)) long live_probe(void)
{
	static long first = init_once();

	return first == 1 && inits == 1 ? 1 : 9;
}
