long total;

long add(long x)
{
	static long calls;

	calls += 2;
	total += 2 * x;
	return total + calls;
}

long get(void)
{
	return total;
}
