static inline __attribute__((always_inline)) int callee(int x)
{
	return x + 11;
}

int caller1(int x)
{
	return callee(x) * 2;
}

int caller2(int x)
{
	return callee(x) - 1;
}

int bystander(int x)
{
	return x * 9;
}
