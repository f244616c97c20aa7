static __attribute__((noinline)) int scale(int x)
{
	return x * 3;
}

int a_entry(int x)
{
	return scale(x) + 1;
}
