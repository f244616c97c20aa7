int helper(int x)
{
	return x + 1;
}

int work(int x)
{
	return helper(x) * 2;
}
