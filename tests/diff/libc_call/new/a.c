#include <stdio.h>

int last;

int report(int x)
{
	last = x;
	printf("report %d\n", x);
	return x + 1;
}

int quiet(int x)
{
	return x - 1;
}
