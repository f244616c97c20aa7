// SPDX-License-Identifier: GPL-2.0
/*
 * Version 2 (see v1.c): work() throws 2, through a cleanup and a catch
 * clause that does not match.
 *
 * C++ (built with g++): exceptions thrown through a patched function.
 * check() throws; work() calls it and is what the patch replaces; the
 * probe and four threads call work() all the time and catch what comes
 * out.  Version 2's work() has a cleanup (a std::string's destructor) and
 * a catch clause of its own that does not match, so its unwind tables
 * carry an LSDA; the exception passes its frame and is caught by the old
 * callers, from the first call on, in every thread.  Probe values: the
 * number the caught exception names (1, then 2), and 9 once a thread
 * caught something it should not have.
 */
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>

static volatile long wrong;

__attribute__((noipa)) long check(long x)
{
	throw std::runtime_error(std::to_string(x));
}

__attribute__((noipa)) long work(long x)
{
	std::string where("new");

	try {
		long r = check(x + 1);

		asm volatile("" ::: "memory");	/* no tail call */
		return r + (long)where.size();
	} catch (const std::logic_error &) {
		return 8;
	}
}

static long caught(void)
{
	try {
		work(1);
	} catch (const std::runtime_error &e) {
		return std::stol(e.what());
	}
	return 9;
}

/* Mostly asleep: a stop must find no thread inside work(). */
static void thrower()
{
	for (;;) {
		long v = caught();

		if (v != 1 && v != 2)
			wrong = 1;
		usleep(1000);
	}
}

static struct starter {
	starter()
	{
		for (int i = 0; i < 4; i++)
			std::thread(thrower).detach();
	}
} start_throwers;

__attribute__((noinline)) long live_probe(void)
{
	return wrong ? 9 : caught();
}
