static __attribute__((noinline)) int scale(int x)
{
	return x * 7;
}

int b_entry(int x)
{
	return scale(x) + 2;
}
