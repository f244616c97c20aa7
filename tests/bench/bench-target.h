/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a benchmark target's generated source (tests/bench/gen-target)
 * defines for gap-target.c.
 */
#ifndef HD_BENCH_TARGET_H
#define HD_BENCH_TARGET_H

#include <stdint.h>

/* Called by every worker thread; replaced by every patch. */
uint64_t bench_fn(uint64_t x);
/* Calls every generated function: its value says which versions run. */
uint64_t bench_probe(uint64_t x);

#endif /* HD_BENCH_TARGET_H */
