#include <stdio.h>

void greet(const char *who)
{
	printf("hello %s\n", who);
}

void part(const char *who)
{
	printf("bye %s\n", who);
}
