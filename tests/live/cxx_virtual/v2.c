// SPDX-License-Identifier: GPL-2.0
/*
 * C++ (built with g++, this file is C++): a virtual function called
 * through the vtable, which keeps the old entry (its redirect serves),
 * and a template instantiation, emitted in a COMDAT group of its own.
 * Both are leaves, so no exception unwinds through their new code.
 * Version 1 returns 1 + 0; version 2 changes both, 2 + 10.
 */
struct shape {
	virtual long area() const = 0;
	virtual ~shape() {}
};

struct square : shape {
	long side;
	explicit square(long s) : side(s) {}
	long area() const override;
};

__attribute__((noinline)) long square::area() const
{
	return side * side + 1;
}

template <int N> __attribute__((noinline)) long scaled(long x)
{
	return x * N + N;
}

static square unit(1);

/* Opaque to the optimizer: the call below stays virtual. */
__attribute__((noinline)) const shape *live_shape(void)
{
	return &unit;
}

__attribute__((noinline)) long live_probe(void)
{
	return live_shape()->area() + scaled<10>(0);
}
