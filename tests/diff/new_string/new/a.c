#include <stdio.h>

void greet(const char *who)
{
	printf("hi there %s\n", who);
}

void part(const char *who)
{
	printf("bye %s\n", who);
}
