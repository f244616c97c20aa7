/* src/u.c: one of two files named u.c (redis: src/sds.c, deps/hiredis/sds.c). */
static const int table[] = { 1, 2, 3, 5, 8, 13 };

static __attribute__((noinline)) int helper(int x)
{
	return table[x % 6] * 4;
}

int src_entry(int x)
{
	return helper(x) + 1;
}
