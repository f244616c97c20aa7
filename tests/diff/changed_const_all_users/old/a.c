static const char *const names[] = { "zero", "one", "two" };

const char *name_of(int i)
{
	return names[i % 3];
}

int other(int x)
{
	return x + 3;
}
