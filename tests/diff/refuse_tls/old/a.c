__thread int depth;

int enter(void)
{
	return ++depth;
}
