static __attribute__((noinline)) int scale(int x)
{
	return x * 5;
}

int b_entry(int x)
{
	return scale(x) + 2;
}
