// A C++ build: exceptions are thrown through parse() from check().
#include <stdexcept>

static int limit = 100;

__attribute__((noinline)) int clamp(int x)
{
	return x > limit ? limit - 1 : x;
}

void check(int x)
{
	if (x < 0)
		throw std::runtime_error("negative");
}

int parse(int x)
{
	check(x);
	return clamp(x) * 2;
}
