/* A comment that was not there. */
int helper(int x)
{
	return x   +   1;	/* same code */
}


int work(int x)
{
	return helper(x) * 2;
}
