static inline __attribute__((always_inline)) int callee(int x)
{
	return x + 11;
}

int caller1(int x)
{
	return callee(x) * 2 + (x >> 5);
}

int caller2(int x)
{
	return callee(x) - (x >> 2) * 7;
}

int bystander(int x)
{
	return x * 9;
}
