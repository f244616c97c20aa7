/*
 * Two functions, both inlined into one, each keep a static "tail" of its
 * own size (nginx's autoindex module has two).  The fix changes entry()
 * only and moves short_tail() first: the two "tail"s swap numbers.  Each must
 * pair with the one of its size, not the first by name.
 */
#include <string.h>

static inline __attribute__((always_inline)) size_t short_tail(char *b)
{
	static const char tail[] = "/........";

	memcpy(b, tail, sizeof(tail));
	return sizeof(tail);
}

static inline __attribute__((always_inline)) size_t long_tail(char *b)
{
	static const char tail[] = "..................";

	memcpy(b, tail, sizeof(tail));
	return sizeof(tail);
}

size_t entry(char *b, int which)
{
	return which > 0 ? long_tail(b) : short_tail(b) + 1;
}
