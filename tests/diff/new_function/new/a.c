int helper(int x)
{
	return x + 1;
}

int extra(int x)
{
	return x ^ 0x55;
}

int work(int x)
{
	return helper(x) * 2 + extra(x);
}
