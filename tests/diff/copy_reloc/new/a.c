/*
 * The program holds copies of libc's stdout and environ (R_X86_64_COPY:
 * main uses them); the fix starts using stderr, of which it holds none.
 */
#include <stdio.h>

extern char **environ;
int calls;

/* Its changes must not change its caller: no IPA across it. */
#ifdef __clang__
__attribute__((noinline))
#else
__attribute__((noipa))
#endif
int report(int x)
{
	calls++;
	if (x < 0)
		fprintf(stderr, "report: %d (%s)\n", x, environ[0]);
	fflush(stdout);
	return x + calls;
}

int main(void)
{
	fputs(environ[0], stdout);
	return report(1) == 2 ? 0 : 1;
}
