int last;

int report(int x)
{
	last = x;
	return x + 1;
}

int quiet(int x)
{
	return x - 1;
}
