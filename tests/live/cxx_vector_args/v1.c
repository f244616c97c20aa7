// SPDX-License-Identifier: GPL-2.0
/*
 * C++ built with -mavx2: a patched function that takes 256-bit vectors
 * and a double.  The first call into a patch with unwind tables passes
 * through the code that registers them (apply/unwind_entry.S), which
 * must keep every argument register, ymm ones whole.  Probe values: 1,
 * then 2 while the arguments arrive intact; 9 if they did not.
 */
#include <immintrin.h>
#include <stdexcept>

/* Throws once, at start: the program loads its unwinder (libgcc_s). */
static struct starter {
	starter()
	{
		try {
			throw std::runtime_error("start");
		} catch (const std::exception &) {
		}
	}
} start_unwinder;

__attribute__((noipa)) double mix(__m256d a, __m256d b, double c)
{
	double v[4];

	_mm256_storeu_pd(v, _mm256_add_pd(a, b));
	return v[0] + v[1] + v[2] + v[3] + c;
}

__attribute__((noinline)) long live_probe(void)
{
	__m256d a = _mm256_set_pd(1, 2, 3, 4);
	__m256d b = _mm256_set_pd(10, 20, 30, 40);
	double r = mix(a, b, 0.5);

	if (r == 110.5)
		return 1;
	return r == 110500 ? 2 : 9;
}
