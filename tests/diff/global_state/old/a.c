long total;

long add(long x)
{
	static long calls;

	calls++;
	total += x;
	return total + calls;
}

long get(void)
{
	return total;
}
