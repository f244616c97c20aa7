static __attribute__((noinline)) int scale(int x)
{
	return (x * 7) ^ (x >> 3) ^ 0x5a5a;
}

int b_entry(int x)
{
	return scale(x) + 2;
}
