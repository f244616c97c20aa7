// SPDX-License-Identifier: GPL-2.0
/*
 * A C++ program (built with g++, this file is C++) in which a thread
 * throws and catches all the time.  The patched function is a leaf, so no
 * exception ever unwinds through its new code: it can be patched, and
 * the program's exceptions go on working.  Version 2 returns 2 once the
 * thread has caught something.
 */
#include <stdexcept>
#include <thread>
#include <unistd.h>

static volatile long caught;

static void thrower()
{
	for (;;) {
		try {
			throw std::runtime_error("again");
		} catch (const std::exception &) {
			caught = caught + 1;
		}
		usleep(1000);
	}
}

static struct starter {
	starter() { std::thread(thrower).detach(); }
} start_thrower;

__attribute__((noinline)) long live_probe(void)
{
	return caught > 0 ? 2 : 0;
}
