/*
 * Two functions each with a static constant of the same name, as Lua's
 * liolib.c has (f_seek and f_setvbuf both keep "mode" and "modenames"):
 * gcc numbers them mode.0 and mode.1.  Only other() changes.
 */
int seek_mode(int i)
{
	static const int mode[] = { 10, 11, 12 };

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
