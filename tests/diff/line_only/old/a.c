/*
 * An assert macro passes __LINE__: the fix in check_len() adds lines,
 * so every function below it gets other line numbers in its code.
 * Those are line-only changes, left out; check_len() and
 * scale(), whose constant 3 changed, are real ones.
 */
#include <stddef.h>

void report_failure(const char *what, int line);

#define ensure(e) ((e) ? (void)0 : report_failure(#e, __LINE__))

int check_len(size_t n)
{
	ensure(n < 100);
	return (int)n;
}

int below(int x)
{
	ensure(x > 0);
	ensure(x != 7);
	return x * 2;
}

int scale(int x)
{
	ensure(x < 1000);
	return x * 3;
}

/* Kept out of line: its callers must keep passing __LINE__. */
volatile int last_failed_line;

__attribute__((noinline)) void report_failure(const char *what, int line)
{
	(void)what;
	last_failed_line = line;
}
