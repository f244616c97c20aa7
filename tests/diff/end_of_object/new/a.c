/*
 * A loop's end pointer is the end of a static array: compilers refer to
 * it through the section, at the place where whatever follows the array
 * starts.  The patch must reach the array's end in the target.
 */
static int table[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const int other[4] = { 9, 9, 9, 9 };

__attribute__((noinline)) int sum(void)
{
	int s = 0;

	for (int *p = table; p < table + 8; p++)
		s += *p * 2;
	return s + other[1];
}
