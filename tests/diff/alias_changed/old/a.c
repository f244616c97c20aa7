/*
 * Two names of one function, as C++ gives a destructor (D1 and D2) and
 * C an alias: a fix changes both, and the patch redirects the one
 * address once.
 */
int counter;

void real_bump(int x)
{
	counter += x * 2;
}

void bump(int x) __attribute__((alias("real_bump")));
