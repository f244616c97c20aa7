// SPDX-License-Identifier: GPL-2.0
/*
 * Consistency on every stack: frames of a replaced function that are on
 * no thread's current stack (a signal handler on an alternate stack
 * interrupted them, or a coroutine is suspended in them) refuse an apply
 * until they are gone, and a revert keeps the code that pointers stored
 * by the new code lead to.  The programs are live cases (tests/live/).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "hd_selftest.h"
#include "hd_live.h"

/* HD_FAIL_MEMORY's message for a frame of @func (a grep pattern). */
#define MEMORY_REFUSAL(func) \
	"a return address into " func " lies at 0x[0-9a-f]* (.*), on no thread.s current stack: a coroutine or fiber suspended inside it, or frames that a signal handler on an alternate stack interrupted"

/*
 * The case @c is started with its slow part lasting @ms; an apply that
 * waits @brief s is refused, printing @what; the program runs on
 * unchanged; an apply that waits long enough succeeds once the frame is
 * gone, and the new code runs.  @unstopped: the frame, in @unstopped(),
 * is on no thread's stack mapping, so the scan before each stop finds it
 * and the attempts while it is there stop nothing.
 */
static void refused_then_applied(struct __test_metadata *_metadata,
				 const char *c, int ms, int brief,
				 const char *what, const char *unstopped)
{
	char slow[16];
	struct target t;
	long v;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch(c, 1, 2, "prog", "/tmp/stacks.hdp"));
	snprintf(slow, sizeof(slow), "%d", ms);
	setenv("LIVE_SLOW_MS", slow, 1);
	ASSERT_EQ(0, start_case(&t, c));
	unsetenv("LIVE_SLOW_MS");
	EXPECT_EQ(0, run_refused(1, what,
				 "userspace/hdctl apply /tmp/stacks.hdp --pid %d --wait %d --retries 1",
				 t.pid, brief));
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d | grep -q 'no patches'",
			repo(), t.pid));
	/* Alive, and still the old code. */
	EXPECT_EQ(-ETIMEDOUT, wait_line(&t, "value ", &v, 200));
	EXPECT_EQ(0, waitpid(t.pid, NULL, WNOHANG));

	/* The frame goes away within @ms: --wait gets there. */
	EXPECT_EQ(0, sh("cd %s && userspace/hdctl -v apply /tmp/stacks.hdp --pid %d --wait 20 2>/tmp/stacks.err",
			repo(), t.pid));
	EXPECT_EQ(0, sh("cat /tmp/stacks.err >&2; "
			"grep -q 'request [0-9]* at .*: done' /tmp/stacks.err"));
	if (unstopped)
		EXPECT_EQ(0, sh("grep -q 'request [0-9]* at .*: no stop (found before it); a suspended stack in %s()' /tmp/stacks.err",
				unstopped));
	EXPECT_EQ(0, wait_value(&t, 2, 10000));
	EXPECT_EQ(0, stop(&t));
}

/*
 * A thread is interrupted inside live_wait(), called by live_outer(), and
 * its handler sleeps on the alternate signal stack: live_outer()'s frame
 * lies on the normal stack, which the thread is not on.
 */
TEST(refused_while_a_signal_stack_handler_interrupted_the_function)
{
	refused_then_applied(_metadata, "altstack", 5000, 0,
			     MEMORY_REFUSAL("live_outer"), NULL);
}

/* A makecontext() coroutine is suspended inside live_step(). */
TEST(refused_while_a_coroutine_is_suspended_inside_the_function)
{
	refused_then_applied(_metadata, "coroutine", 5000, 0,
			     MEMORY_REFUSAL("live_step"), "live_step");
}

/* The same with a stack switched by a few lines of assembly. */
TEST(refused_while_a_hand_switched_stack_is_inside_the_function)
{
	refused_then_applied(_metadata, "coroutine_asm", 5000, 0,
			     MEMORY_REFUSAL("live_step"), "live_step");
}

/*
 * With the memory scan left out (--scan threads), the suspended frame is
 * not seen and the patch applies: that is what the option is for, and
 * why it is not the default.  (Here the coroutine returns into the old
 * code's unchanged tail, which is harmless.)
 */
TEST(scan_threads_leaves_coroutines_out)
{
	struct target t;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("coroutine", 1, 2, "prog", "/tmp/stacks.hdp"));
	setenv("LIVE_SLOW_MS", "60000", 1);
	ASSERT_EQ(0, start_case(&t, "coroutine"));
	unsetenv("LIVE_SLOW_MS");
	EXPECT_EQ(0, run_refused(1, "on no thread.s current stack",
				 "userspace/hdctl apply /tmp/stacks.hdp --pid %d --wait 0",
				 t.pid));
	EXPECT_EQ(0, sh("cd %s && userspace/hdctl apply /tmp/stacks.hdp --pid %d --wait 0 --scan threads",
			repo(), t.pid));
	EXPECT_EQ(0, wait_value(&t, 2, 10000));
	EXPECT_EQ(0, stop(&t));
}

/*
 * A function changed only because a changed callee was inlined into it is
 * replaced, and so checked, like any other: a thread sleeping in it holds
 * the patch off, named, until it has returned.
 */
TEST(a_caller_changed_by_an_inlined_callee_is_waited_for)
{
	refused_then_applied(_metadata, "inlined_busy", 5000, 1,
			     "in the way while waiting: thread [0-9]* in live_slow()",
			     NULL);
}

/*
 * A thread's stack mapping reaches 64 MiB past its stack (merged with
 * data above it): the thread scan reads 1 MiB of it and the memory scan
 * the rest, so the patch applies; without the memory scan it is refused
 * at once, saying why and what to do, not waited on.
 */
TEST(a_stack_merged_with_data_above_it_is_read_by_the_memory_scan)
{
	struct target t;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("deep_stack", 1, 2, "prog", "/tmp/stacks.hdp"));
	ASSERT_EQ(0, start_case(&t, "deep_stack"));
	EXPECT_EQ(0, run_refused(1, "reaches more than 1 MiB above its stack pointer.*leave --scan at all",
				 "userspace/hdctl apply /tmp/stacks.hdp --pid %d --scan threads --wait 60",
				 t.pid));
	EXPECT_EQ(0, sh("cd %s && userspace/hdctl -v apply /tmp/stacks.hdp --pid %d --wait 0 >/tmp/stacks.err 2>&1",
			repo(), t.pid));
	EXPECT_EQ(0, sh("cat /tmp/stacks.err >&2; "
			"grep -q '[1-9][0-9]\\.[0-9] MiB of memory scanned' /tmp/stacks.err"));
	EXPECT_EQ(0, wait_value(&t, 2, 10000));
	EXPECT_EQ(0, stop(&t));
}

/*
 * A thread asleep with its stack pointer in no mapping: its frames cannot
 * be found, so the apply is refused, naming it, rather than checked
 * against nothing; --force, which skips the stack scans, is the way out.
 */
TEST(refused_a_thread_whose_stack_pointer_is_in_no_mapping)
{
	struct target t;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("no_stack", 1, 2, "prog", "/tmp/stacks.hdp"));
	ASSERT_EQ(0, start_case(&t, "no_stack"));
	usleep(200000);	/* let the thread reach its pause() */
	EXPECT_EQ(0, run_refused(1, "the stack pointer of thread [0-9]* of process [0-9]* is in no mapping",
				 "userspace/hdctl apply /tmp/stacks.hdp --pid %d --wait 0",
				 t.pid));
	EXPECT_EQ(-ETIMEDOUT, wait_line(&t, "value ", NULL, 200));
	EXPECT_EQ(0, sh("cd %s && userspace/hdctl apply /tmp/stacks.hdp --pid %d --wait 0 --force",
			repo(), t.pid));
	EXPECT_EQ(0, wait_value(&t, 2, 10000));
	EXPECT_EQ(0, stop(&t));
}

/*
 * The new code stores a pointer to a function only it has in a global,
 * and the old code calls through it: after the revert the pointer still
 * works (the code is retired, not unmapped), and list shows it.
 */
TEST(revert_keeps_code_a_stored_pointer_leads_to)
{
	struct target t;
	int fd;

	HD_OPEN_OR_SKIP(fd);
	close(fd);
	ASSERT_EQ(0, make_patch("retire_fnptr", 1, 2, "prog", "/tmp/retire.hdp"));
	ASSERT_EQ(0, start_case(&t, "retire_fnptr"));
	ASSERT_EQ(0, sh("%s/userspace/hdctl apply /tmp/retire.hdp --pid %d",
			repo(), t.pid));
	/* live_value() v2 sets the hook, live_probe() then calls it. */
	ASSERT_EQ(0, wait_value(&t, 3, 10000));
	ASSERT_EQ(0, sh("%s/userspace/hdctl revert --pid %d --all", repo(),
			t.pid));
	/* Still called through the pointer, every 20 ms, for a second. */
	EXPECT_EQ(-ETIMEDOUT, wait_line(&t, "value ", NULL, 1000));
	EXPECT_EQ(0, waitpid(t.pid, NULL, WNOHANG));
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d >/tmp/stacks.err; cat /tmp/stacks.err >&2; "
			"grep -q 'no patches applied, 1 retired' /tmp/stacks.err",
			repo(), t.pid));
	EXPECT_EQ(0, sh("%s/userspace/hdctl list --pid %d | "
			"grep -q 'retired: reverted, [0-9]* KiB still mapped'",
			repo(), t.pid));
	EXPECT_EQ(0, sh("%s/userspace/hdctl revert --pid %d --all 2>&1 | "
			"grep -q 'no such patch applied'", repo(), t.pid));
	EXPECT_EQ(0, stop(&t));
}

TEST_HARNESS_MAIN
