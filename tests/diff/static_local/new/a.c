int count(void)
{
	static int counter;

	return counter += 2;
}

int other(void)
{
	return 42;
}
