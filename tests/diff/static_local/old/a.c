int count(void)
{
	static int counter;

	return ++counter;
}

int other(void)
{
	return 42;
}
