int helper(int x)
{
	return x + 1;
}

static __attribute__((noinline)) int twice(int x)
{
	return x << 1;
}

int work(int x)
{
	return twice(helper(x)) + 7;
}
