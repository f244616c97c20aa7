int hits;
int misses = 3;

int bump(void)
{
	misses++;
	return ++hits;
}
