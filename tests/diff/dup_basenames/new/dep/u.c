/* dep/u.c: the other u.c, its own static helper and table of one name. */
static const int table[] = { 7, 9 };

static __attribute__((noinline)) int helper(int x)
{
	return table[x & 1] - x * x;
}

int dep_entry(int x)
{
	return helper(x) - 1;
}
