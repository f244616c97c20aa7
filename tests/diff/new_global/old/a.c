int hits;

int bump(void)
{
	return ++hits;
}
