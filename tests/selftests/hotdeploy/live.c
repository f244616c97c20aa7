// SPDX-License-Identifier: GPL-2.0
/*
 * End to end: a program built from v1 runs; hdctl diffs v1 and v2 objects,
 * applies the patch to the running process, and the program's output
 * shows the new code running without a restart; revert brings v1 back.
 * The cases are built on the host into build/live/ (tests/live/).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "hd_selftest.h"
#include "hd_live.h"

FIXTURE(live) {
	struct target t;
	int started;
};

FIXTURE_VARIANT(live) {
	const char *name;
	const char *target;	/* the object diffed and patched */
	long patched;		/* what v2 returns */
};

FIXTURE_VARIANT_ADD(live, gcc_O2_nopie) { "return_gcc_O2_nopie", "prog", 2 };
FIXTURE_VARIANT_ADD(live, gcc_O0_pie) { "return_gcc_O0_pie", "prog", 2 };
FIXTURE_VARIANT_ADD(live, clang_O2_pie) { "return_clang_O2_pie", "prog", 2 };
FIXTURE_VARIANT_ADD(live, clang_O0_nopie) { "return_clang_O0_nopie", "prog", 2 };
FIXTURE_VARIANT_ADD(live, shared_library) { "shlib", "libprobe.so", 2 };
/* malloc, snprintf, strlen (an ifunc), free; a string only v2 has. */
FIXTURE_VARIANT_ADD(live, calls_libc) { "libc_string", "prog", 10 };
/* New initialised and zeroed globals, mapped writable with the code. */
FIXTURE_VARIANT_ADD(live, new_globals) { "new_global", "prog", 2 };
/* The program's thread-locals, local- and initial-exec (gcc, clang). */
FIXTURE_VARIANT_ADD(live, tls_exe_gcc_O2_pie) { "tls_exe", "prog", 2 };
FIXTURE_VARIANT_ADD(live, tls_exe_clang_O0_nopie) { "tls_exe_clang_O0_nopie", "prog", 2 };
/* C++ with a thread throwing and catching throughout: a leaf patched. */
FIXTURE_VARIANT_ADD(live, cxx_leaf) { "cxx_leaf", "prog", 2 };
/*
 * C++: exceptions thrown through a patched function (a cleanup and a
 * catch clause in its frame) from four threads and the probe, caught by
 * the old callers: the patch's tables, registered at its first call.
 */
FIXTURE_VARIANT_ADD(live, cxx_throw) { "cxx_throw", "prog", 2 };
/* C++: a function-local static's guard is the process's: no second init. */
FIXTURE_VARIANT_ADD(live, cxx_static_guard) { "cxx_static_guard", "prog", 2 };
/* C++ -mavx2: ymm arguments intact through the first call's registration. */
FIXTURE_VARIANT_ADD(live, cxx_vector_args) { "cxx_vector_args", "prog", 2 };
/* C: backtrace() walks through the new frame to main. */
FIXTURE_VARIANT_ADD(live, backtrace_new_code) { "backtrace_new_code", "prog", 2 };
/* C++: a virtual function called through its vtable, a template in COMDAT. */
FIXTURE_VARIANT_ADD(live, cxx_virtual) { "cxx_virtual", "prog", 12 };

/* A library's: general and local dynamic, initial-exec (gcc, clang). */
FIXTURE_VARIANT_ADD(live, tls_shlib_gcc) { "tls_shlib", "libprobe.so", 2 };
FIXTURE_VARIANT_ADD(live, tls_shlib_clang) { "tls_shlib_clang_O2", "libprobe.so", 2 };

FIXTURE_SETUP(live)
{
	char prog[PATH_MAX];
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	/* Built with -mavx2; check-debug's guest has qemu64's CPU. */
	if (!strcmp(variant->name, "cxx_vector_args") &&
	    !__builtin_cpu_supports("avx2"))
		SKIP(return, "the CPU has no AVX2");
	snprintf(prog, sizeof(prog), "%s/build/live/%s/prog", repo(),
		 variant->name);
	ASSERT_EQ(0, start(&self->t, prog));
	self->started = 1;
	ASSERT_EQ(0, wait_line(&self->t, "ready ", NULL, 10000));
	ASSERT_EQ(0, wait_value(&self->t, 1, 10000));
}

FIXTURE_TEARDOWN(live)
{
	if (self->started)
		EXPECT_EQ(0, stop(&self->t));
}

TEST_F_TIMEOUT(live, apply_then_revert, 120)
{
	if (!self->started)
		return;
	ASSERT_EQ(0, make_patch(variant->name, 1, 2, variant->target,
				"/tmp/live.hdp"));
	ASSERT_EQ(0, sh("%s/userspace/hdctl apply /tmp/live.hdp --pid %d",
			repo(), self->t.pid));
	ASSERT_EQ(0, wait_value(&self->t, variant->patched, 10000));
	ASSERT_EQ(0, sh("%s/userspace/hdctl revert --pid %d --all", repo(),
			self->t.pid));
	ASSERT_EQ(0, wait_value(&self->t, 1, 10000));
}

/*
 * The patched code keeps using the process's own global and static local:
 * both go on counting from where they were, by 1000 a call instead of 1.
 */
TEST(state_survives_the_patch)
{
	const long step = 1000 * 10000001L;
	struct target t;
	long pre, a, b;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("state", 1, 2, "prog", "/tmp/state.hdp"));
	ASSERT_EQ(0, start_case(&t, "state"));
	ASSERT_EQ(0, wait_line(&t, "value ", &pre, 10000));
	ASSERT_EQ(0, sh("%s/userspace/hdctl apply /tmp/state.hdp --pid %d",
			repo(), t.pid));
	/* Skip what was printed before the patch took effect. */
	do {
		ASSERT_EQ(0, wait_line(&t, "value ", &a, 10000));
		ASSERT_EQ(0, wait_line(&t, "value ", &b, 10000));
	} while (b - a != step);
	EXPECT_LT(pre, a);
	/* Not restarted from zero: the counts carry on from pre. */
	EXPECT_EQ(0, (a - pre) % 10000001L);
	EXPECT_EQ(0, stop(&t));
}

/*
 * A thread parked on a futex inside the function to replace: refused,
 * deterministically, with the function named, and the program unchanged.
 */
TEST(active_function_is_refused)
{
	struct target t;
	long v;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("refuse_active", 1, 2, "prog", "/tmp/active.hdp"));
	ASSERT_EQ(0, start_case(&t, "refuse_active"));
	usleep(200000);	/* let the thread park */
	EXPECT_EQ(1, sh("%s/userspace/hdctl apply /tmp/active.hdp --pid %d --wait 0 --retries 2 --retry-delay 10 2>/tmp/active.err",
			repo(), t.pid));
	EXPECT_EQ(0, sh("cat /tmp/active.err >&2; grep -q 'live_blocker' /tmp/active.err"));
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d | grep -q 'no patches'",
			repo(), t.pid));
	EXPECT_EQ(0, wait_line(&t, "value ", &v, 100) == -EPIPE);
	EXPECT_EQ(0, stop(&t));
}

/*
 * v1 -> v2, then v2 -> v3 on top of it, then revert both, newest first.
 * Every patch is made against the build that runs (v1's objects), so the
 * second carries v3 whole and needs nothing from the first.
 */
TEST(patches_stack_and_revert_in_order)
{
	struct target t;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("stacking", 1, 2, "prog", "/tmp/stack12.hdp"));
	ASSERT_EQ(0, make_patch("stacking", 1, 3, "prog", "/tmp/stack13.hdp"));
	ASSERT_EQ(0, start_case(&t, "stacking"));
	ASSERT_EQ(0, sh("%s/userspace/hdctl apply /tmp/stack12.hdp --pid %d",
			repo(), t.pid));
	ASSERT_EQ(0, wait_value(&t, 2, 10000));
	ASSERT_EQ(0, sh("%s/userspace/hdctl apply /tmp/stack13.hdp --pid %d",
			repo(), t.pid));
	ASSERT_EQ(0, wait_value(&t, 3, 10000));
	EXPECT_EQ(0, sh("test $(%s/userspace/hdctl -j list --pid %d | grep -o '\"code_addr\"' | wc -l) -eq 2",
			repo(), t.pid));
	/*
	 * The patched code makes calls, so stale return addresses into it
	 * may stay in the caller's frame, and the conservative stack check
	 * cannot tell them from live ones: --force restores the functions
	 * whatever it finds, leaving the code mapped if in doubt.
	 */
	ASSERT_EQ(0, sh("%s/userspace/hdctl revert --pid %d --force --retries 2 --retry-delay 10",
			repo(), t.pid));
	ASSERT_EQ(0, wait_value(&t, 2, 10000));
	ASSERT_EQ(0, sh("%s/userspace/hdctl revert --pid %d --force --retries 2 --retry-delay 10",
			repo(), t.pid));
	ASSERT_EQ(0, wait_value(&t, 1, 10000));
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d | grep -q 'no patches'",
			repo(), t.pid));
	EXPECT_EQ(0, stop(&t));
}

/*
 * Two processes of the same build: each is patched on request, separately
 * (each gets its own copy of the code), and reverting one leaves the other.
 */
TEST(two_processes_of_one_build_patched_separately)
{
	struct target a, b;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("return_clang_O2_pie", 1, 2, "prog", "/tmp/two.hdp"));
	ASSERT_EQ(0, start_case(&a, "return_clang_O2_pie"));
	ASSERT_EQ(0, start_case(&b, "return_clang_O2_pie"));
	ASSERT_EQ(0, sh("%s/userspace/hdctl apply /tmp/two.hdp --pid %d",
			repo(), a.pid));
	ASSERT_EQ(0, wait_value(&a, 2, 10000));
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d | grep -q 'no patches'",
			repo(), b.pid));
	ASSERT_EQ(0, sh("%s/userspace/hdctl apply /tmp/two.hdp --pid %d",
			repo(), b.pid));
	ASSERT_EQ(0, wait_value(&b, 2, 10000));
	ASSERT_EQ(0, sh("%s/userspace/hdctl revert --pid %d", repo(), a.pid));
	ASSERT_EQ(0, wait_value(&a, 1, 10000));
	EXPECT_EQ(-ETIMEDOUT, wait_line(&b, "value ", NULL, 200));	/* still 2 */
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d | grep -q live_probe",
			repo(), b.pid));
	EXPECT_EQ(0, stop(&a));
	EXPECT_EQ(0, stop(&b));
}

/* A patch made for another build is refused before anything is touched. */
TEST(wrong_build_is_refused)
{
	struct target t;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("return_gcc_O2_nopie", 1, 2, "prog", "/tmp/other.hdp"));
	ASSERT_EQ(0, start_case(&t, "return_clang_O2_pie"));
	EXPECT_EQ(1, sh("%s/userspace/hdctl apply /tmp/other.hdp --pid %d 2>/tmp/other.err",
			repo(), t.pid));
	EXPECT_EQ(0, sh("cat /tmp/other.err >&2; grep -q 'build-id' /tmp/other.err"));
	EXPECT_EQ(0, stop(&t));
}

/*
 * A change no live patch can carry (a global's layout) is refused by
 * hdctl diff, naming the symbol.
 */
TEST(unsupported_change_is_refused)
{
	EXPECT_EQ(1, sh("cd %s && userspace/hdctl diff build/live/refuse_global_layout/v1/*.o build/live/refuse_global_layout/v2/*.o --target build/live/refuse_global_layout/prog -o /tmp/layout.hdp 2>/tmp/layout.err",
			repo()));
	EXPECT_EQ(0, sh("cat /tmp/layout.err >&2; grep -q live_conf /tmp/layout.err"));
}

/*
 * Refusals through hdctl, each with its exit code and a message that says
 * what and what to do (run_refused()).  The patch is made and the
 * program started; apply must be refused.
 */
static void expect_apply_refused(struct __test_metadata *_metadata,
				 const char *c, const char *opts,
				 const char *what)
{
	struct target t;
	long v;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch(c, 1, 2, "prog", "/tmp/refused.hdp"));
	ASSERT_EQ(0, start_case(&t, c));
	usleep(200000);	/* let helper threads reach their place */
	EXPECT_EQ(0, run_refused(1, what,
				 "userspace/hdctl apply /tmp/refused.hdp --pid %d %s",
				 t.pid, opts));
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d | grep -q 'no patches'",
			repo(), t.pid));
	EXPECT_EQ(-ETIMEDOUT, wait_line(&t, "value ", &v, 200));	/* unchanged */
	EXPECT_EQ(0, stop(&t));
}

TEST(refused_thread_executing_the_function)
{
	expect_apply_refused(_metadata, "refuse_spinning",
			     "--wait 0 --retries 2 --retry-delay 10 --force",
			     "is executing live_spinner (being patched) after 3 attempts");
}

/*
 * A function that is never free: refused after the wait, naming the
 * thread and the function, with the way out.
 */
TEST(refused_after_waiting_for_a_function_never_left)
{
	expect_apply_refused(_metadata, "refuse_spinning", "--wait 2",
			     "thread [0-9]* in live_spinner() never returned in [0-9]* s.*patch the functions it calls instead");
}

/*
 * A thread sleeps 3 s inside the function: --wait retries, one short stop
 * each time, until it has returned; the main loop's calls go on meanwhile
 * and the first one after the switch runs the new code.
 */
TEST(apply_waits_for_a_thread_to_leave_the_function)
{
	struct target t;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("wait_busy", 1, 2, "prog", "/tmp/wait.hdp"));
	setenv("LIVE_SLOW_MS", "3000", 1);
	ASSERT_EQ(0, start_case(&t, "wait_busy"));
	unsetenv("LIVE_SLOW_MS");
	EXPECT_EQ(0, sh("cd %s && userspace/hdctl -v apply /tmp/wait.hdp --pid %d --wait 10 2>/tmp/wait.err",
			repo(), t.pid));
	EXPECT_EQ(0, sh("cat /tmp/wait.err >&2; "
			"grep -q 'request [0-9]* at .*: no stop .*; "
			"thread [0-9]* in live_slow()' /tmp/wait.err"));
	EXPECT_EQ(0, sh("grep -q 'request [0-9]* at .*: done' /tmp/wait.err"));
	/* Every stop short: none over 100 ms, even under TCG. */
	EXPECT_EQ(0, sh("grep -o 'the last [0-9.]* µs' /tmp/wait.err | "
			"awk '$3 > 100000 { bad = 1 } END { exit bad }'"));
	EXPECT_EQ(0, wait_value(&t, 2, 10000));
	EXPECT_EQ(0, stop(&t));
}

/* The same, with less patience than the thread sleeps: refused, named. */
TEST(apply_gives_up_waiting_naming_the_thread)
{
	struct target t;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("wait_busy", 1, 2, "prog", "/tmp/wait.hdp"));
	setenv("LIVE_SLOW_MS", "60000", 1);
	ASSERT_EQ(0, start_case(&t, "wait_busy"));
	unsetenv("LIVE_SLOW_MS");
	EXPECT_EQ(0, run_refused(1, "returning into live_slow (being patched) after [0-9]* attempts over 1\\.[0-9]* s.*in the way while waiting: thread [0-9]* in live_slow()",
				 "userspace/hdctl apply /tmp/wait.hdp --pid %d --wait 1",
				 t.pid));
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d | grep -q 'no patches'",
			repo(), t.pid));
	EXPECT_EQ(-ETIMEDOUT, wait_line(&t, "value ", NULL, 200));	/* still 1 */
	EXPECT_EQ(0, stop(&t));
}

/* A thread always in the new code: revert refused; --force keeps the code. */
TEST(refused_revert_while_a_thread_runs_the_new_code)
{
	struct target t;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("refuse_revert_spinning", 1, 2, "prog", "/tmp/rrs.hdp"));
	ASSERT_EQ(0, start_case(&t, "refuse_revert_spinning"));
	ASSERT_EQ(0, sh("%s/userspace/hdctl apply /tmp/rrs.hdp --pid %d",
			repo(), t.pid));
	ASSERT_EQ(0, wait_value(&t, 2, 10000));	/* a thread spins in it */
	EXPECT_EQ(0, run_refused(1, "thread [0-9]* is executing the new code of live_spinner (being reverted) after 3 attempts",
				 "userspace/hdctl revert --pid %d --wait 0 --retries 2 --retry-delay 10",
				 t.pid));
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d | grep -q live_spinner",
			repo(), t.pid));
	EXPECT_EQ(0, run_refused(0, "runs on there, the code retired",
				 "userspace/hdctl revert --pid %d --retries 0 --force",
				 t.pid));
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d | grep -q 'no patches'",
			repo(), t.pid));
	EXPECT_EQ(0, stop(&t));
}

/*
 * A thread cancelled while it sleeps in new code: its cleanup runs once
 * and the process goes on.  C (tests/live/cancel_in_new_code): glibc runs
 * the cleanup handler.  C++ (tests/live/cxx_cancel): the cancellation
 * runs the destructor of an object in the new frame, which the unwinder
 * reaches through the patch's tables.  Probe value 3 once it cleaned up.
 */
FIXTURE(cancel) {
	struct target t;
	int started;
};

FIXTURE_VARIANT(cancel) {
	const char *name;
};

FIXTURE_VARIANT_ADD(cancel, c) { "cancel_in_new_code" };
FIXTURE_VARIANT_ADD(cancel, cxx) { "cxx_cancel" };

FIXTURE_SETUP(cancel)
{
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch(variant->name, 1, 2, "prog", "/tmp/cn.hdp"));
	ASSERT_EQ(0, start_case(&self->t, variant->name));
	self->started = 1;
}

FIXTURE_TEARDOWN(cancel)
{
	if (self->started)
		EXPECT_EQ(0, stop(&self->t));
}

TEST_F(cancel, a_thread_inside_new_code_cleans_up)
{
	if (!self->started)
		return;
	ASSERT_EQ(0, sh("%s/userspace/hdctl apply /tmp/cn.hdp --pid %d",
			repo(), self->t.pid));
	EXPECT_EQ(0, wait_value(&self->t, 3, 10000));
}

/*
 * gdb's "bt" of a thread sleeping in new code names the new frame and
 * walks on to its caller, given the add-symbol-file command that
 * "hdctl -v apply" prints (tests/live/gdb_new_frame).  gdb takes a while
 * under emulation: a fixture for the longer timeout.
 */
FIXTURE(gdb) {
	struct target t;
	int started;
};

FIXTURE_SETUP(gdb)
{
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("gdb_new_frame", 1, 2, "prog", "/tmp/gdb.hdp"));
	ASSERT_EQ(0, start_case(&self->t, "gdb_new_frame"));
	self->started = 1;
}

FIXTURE_TEARDOWN(gdb)
{
	if (self->started)
		EXPECT_EQ(0, stop(&self->t));
}

TEST_F_TIMEOUT(gdb, walks_through_new_code, 300)
{
	if (!self->started)
		return;
	ASSERT_EQ(0, sh("%s/userspace/hdctl -v apply /tmp/gdb.hdp --pid %d 2>/tmp/gdb.v || { cat /tmp/gdb.v; false; }",
			repo(), self->t.pid));
	ASSERT_EQ(0, wait_value(&self->t, 2, 10000));
	EXPECT_EQ(0, sh("gdb -nx -iex 'set debuginfod enabled off' -p %d -batch -ex \"$(sed -n 's/.*for gdb: //p' /tmp/gdb.v)\" -ex 'thread apply all bt' >/tmp/gdb.bt 2>&1; grep -A1 ' in nap ()' /tmp/gdb.bt | grep -q ' in worker '",
			self->t.pid)) {
		sh("cat /tmp/gdb.v /tmp/gdb.bt | grep -v 'New LWP' | tail -n 40 | sed 's/^/# gdb: /'");
	}
}

/*
 * C++ linked with -static-libgcc -static-libstdc++: the program's
 * unwinder is its own, exported to no one, so the patch's exception code
 * cannot reach it nor have its tables registered: refused before anything
 * is done, never applied to crash at the first throw
 * (tests/live/refuse_static_unwinder: cxx_throw's sources).
 */
TEST(refused_cxx_with_a_static_unwinder)
{
	expect_apply_refused(_metadata, "refuse_static_unwinder", "",
			     "_Unwind_Resume is not defined by any object loaded in process");
}

TEST(refused_ifunc_the_process_never_resolved)
{
	expect_apply_refused(_metadata, "refuse_ifunc", "",
			     "strstr is an ifunc .* that process [0-9]* never called");
}

TEST(refused_code_changed_by_someone_else)
{
	expect_apply_refused(_metadata, "refuse_modified", "",
			     "live_tail in process .* is not the code the patch was made for");
}

TEST(refused_stopped_process_times_out)
{
	struct target t;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("return_gcc_O2_nopie", 1, 2, "prog", "/tmp/stopped.hdp"));
	ASSERT_EQ(0, start_case(&t, "return_gcc_O2_nopie"));
	ASSERT_EQ(0, kill(t.pid, SIGSTOP));
	EXPECT_EQ(0, run_refused(1, "did not stop within 300 ms",
				 "userspace/hdctl apply /tmp/stopped.hdp --pid %d --timeout 300 --retries 0",
				 t.pid));
	ASSERT_EQ(0, kill(t.pid, SIGCONT));
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d | grep -q 'no patches'",
			repo(), t.pid));
	EXPECT_EQ(0, stop(&t));
}

/*
 * A target its debugger holds stopped (seized and interrupted, as gdb
 * leaves it after attaching) is refused at once, naming the tracer, not
 * after the whole --timeout; traced but let run, it is patched like any
 * other.
 */
TEST(traced_target_held_stopped_is_refused_at_once)
{
	struct target t;
	int fd, st;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("return_gcc_O2_nopie", 1, 2, "prog", "/tmp/traced.hdp"));
	ASSERT_EQ(0, start_case(&t, "return_gcc_O2_nopie"));
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, t.pid, 0, 0));
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, t.pid, 0, 0));
	ASSERT_EQ(t.pid, waitpid(t.pid, &st, __WALL));
	EXPECT_EQ(0, run_refused(1, "is held stopped by its tracer (pid",
				 "userspace/hdctl apply /tmp/traced.hdp --pid %d --timeout 30000",
				 t.pid));
	EXPECT_EQ(0, sh("grep -q '(pid %d, ' /tmp/refused.err", (int)getpid()));
	/* Let run, still traced: patched. */
	ASSERT_EQ(0, ptrace(PTRACE_CONT, t.pid, 0, 0));
	EXPECT_EQ(0, sh("%s/userspace/hdctl apply /tmp/traced.hdp --pid %d",
			repo(), t.pid));
	EXPECT_EQ(0, wait_value(&t, 2, 10000));
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, t.pid, 0, 0));
	ASSERT_EQ(t.pid, waitpid(t.pid, &st, __WALL));
	ASSERT_EQ(0, ptrace(PTRACE_DETACH, t.pid, 0, 0));
	EXPECT_EQ(0, stop(&t));
}

TEST(refused_without_privilege)
{
	struct target t;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("return_gcc_O2_nopie", 1, 2, "prog", "/tmp/priv.hdp"));
	ASSERT_EQ(0, start_case(&t, "return_gcc_O2_nopie"));
	EXPECT_EQ(0, run_refused(1, "needs root with CAP_SYS_PTRACE",
				 "setpriv --reuid=65534 --regid=65534 --clear-groups userspace/hdctl apply /tmp/priv.hdp --pid %d",
				 t.pid));
	EXPECT_EQ(0, stop(&t));
}

TEST(refused_no_such_process)
{
	EXPECT_EQ(0, make_patch("return_gcc_O2_nopie", 1, 2, "prog", "/tmp/nosuch.hdp"));
	EXPECT_EQ(0, run_refused(1, "no process 999999",
				 "userspace/hdctl apply /tmp/nosuch.hdp --pid 999999"));
	EXPECT_EQ(0, run_refused(1, "no process 999999",
				 "userspace/hdctl revert --pid 999999"));
}

TEST(refused_reverts_nothing_or_out_of_order)
{
	struct target t;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("stacking", 1, 2, "prog", "/tmp/ooo12.hdp"));
	ASSERT_EQ(0, make_patch("stacking", 1, 3, "prog", "/tmp/ooo13.hdp"));
	ASSERT_EQ(0, start_case(&t, "stacking"));
	EXPECT_EQ(0, run_refused(1, "has no such patch applied",
				 "userspace/hdctl revert --pid %d", t.pid));
	ASSERT_EQ(0, sh("%s/userspace/hdctl apply /tmp/ooo12.hdp --pid %d",
			repo(), t.pid));
	ASSERT_EQ(0, sh("%s/userspace/hdctl apply /tmp/ooo13.hdp --pid %d",
			repo(), t.pid));
	ASSERT_EQ(0, wait_value(&t, 3, 10000));
	EXPECT_EQ(0, run_refused(1, "revert that first",
				 "userspace/hdctl revert --pid %d --patch $(userspace/hdctl -j list --pid %d | grep -o '\"id\": *[0-9]*' | head -1 | tr -dc 0-9)",
				 t.pid, t.pid));
	EXPECT_EQ(0, sh("%s/userspace/hdctl revert --pid %d --all --force --retries 2 --retry-delay 10",
			repo(), t.pid));
	ASSERT_EQ(0, wait_value(&t, 1, 10000));
	EXPECT_EQ(0, stop(&t));
}

TEST(refused_bad_command_lines_exit_2)
{
	EXPECT_EQ(0, run_refused(2, "Usage: hdctl", "userspace/hdctl apply"));
	EXPECT_EQ(0, run_refused(2, "Usage: hdctl",
				 "userspace/hdctl revert --pid 1 --all --patch 2"));
}

TEST_HARNESS_MAIN
