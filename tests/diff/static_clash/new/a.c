static __attribute__((noinline)) int scale(int x)
{
	return (x * 3) ^ (x >> 3) ^ 0x5a5a;
}

int a_entry(int x)
{
	return scale(x) + 1;
}
