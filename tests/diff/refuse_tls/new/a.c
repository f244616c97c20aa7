__thread int depth;
__thread int max_depth;

int enter(void)
{
	if (++depth > max_depth)
		max_depth = depth;
	return depth;
}
