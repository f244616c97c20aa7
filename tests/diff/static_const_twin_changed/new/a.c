/*
 * As in static_const_twins, two functions each keep a static constant
 * named "mode" (gcc: mode.0 and mode.1).  Only seek_mode's table changes:
 * seek_mode alone is replaced, carrying its new table.
 */
int seek_mode(int i)
{
	static const int mode[] = { 10, 11, 13 };

	return mode[i % 3];
}

int buf_mode(int i)
{
	static const int mode[] = { 20, 21, 22 };

	return mode[i % 3];
}

int other(int x)
{
	int i, s = 0;

	for (i = 0; i < x; i++)
		s += i * 3;
	return s;
}
