// SPDX-License-Identifier: GPL-2.0
/* Constructors, destructors and main change: each runs only once. */
#include <stdio.h>
#include <unistd.h>

int setting;

__attribute__((constructor)) static void setup(void)
{
	setting = getpid() > 0;
}

__attribute__((destructor)) static void teardown(void)
{
	setting = 0;
}

int compute(int x)
{
	return x * setting;
}

int main(void)
{
	printf("%d\n", compute(2));
	return 0;
}
