/* peak_x86.c - register-only peak of AVX-512 VNNI int8 multiply-adds.
 *
 * Why: a GEMM kernel's GOP/s means little alone; as a fraction of what the
 * core can issue at all it says how much is left on the table. This loop
 * runs many independent vpdpbusd chains on zmm registers (no loads, no
 * stores), so it is bound only by the issue rate of vpdpbusd. Each vpdpbusd
 * on a zmm does 64 uint8 x int8 multiply-adds = 128 ops.
 *
 * This file alone is compiled with -mavx512f -mavx512vnni (see
 * benchmarks/CMakeLists.txt): it must only be entered after the caller has
 * checked that the CPU and OS support AVX-512 VNNI, and it holds nothing
 * else, so that no other code gets AVX-512 instructions by accident. */
#include <immintrin.h>
#include <stdint.h>
#include <time.h>

/* Also declared in bench_gemm.c (benchmarks have no shared header). */
double tr_bench_peak_avx512vnni_gops(double min_seconds, int runs);

/* 24 chains: more than latency x issue width (about 4-5 cycles x 2 per
 * cycle on current cores), so no chain ever waits for its own previous
 * result; 24 accumulators + 2 operands fit in the 32 zmm registers. */
#define CHAINS 24
#define STEP(i) acc##i = _mm512_dpbusd_epi32(acc##i, a, b)

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* `iters` iterations of CHAINS independent vpdpbusd; returns a value that
 * depends on every accumulator, so that none of them can be removed. */
static int32_t vnni_loop(uint64_t iters, int32_t seed_a, int32_t seed_b)
{
    const __m512i a = _mm512_set1_epi32(seed_a);
    const __m512i b = _mm512_set1_epi32(seed_b);
    /* distinct start values: identical chains would be merged into one by
     * the compiler (it did: same operands, same start, same result) */
#define INIT(i) __m512i acc##i = _mm512_set1_epi32(i)
    INIT(0); INIT(1); INIT(2); INIT(3); INIT(4); INIT(5); INIT(6); INIT(7);
    INIT(8); INIT(9); INIT(10); INIT(11); INIT(12); INIT(13); INIT(14); INIT(15);
    INIT(16); INIT(17); INIT(18); INIT(19); INIT(20); INIT(21); INIT(22); INIT(23);
#undef INIT
    for (uint64_t i = 0; i < iters; i++) {
        STEP(0); STEP(1); STEP(2); STEP(3); STEP(4); STEP(5); STEP(6); STEP(7);
        STEP(8); STEP(9); STEP(10); STEP(11); STEP(12); STEP(13); STEP(14); STEP(15);
        STEP(16); STEP(17); STEP(18); STEP(19); STEP(20); STEP(21); STEP(22); STEP(23);
    }
    __m512i s = _mm512_add_epi32(acc0, acc1);
    s = _mm512_add_epi32(s, _mm512_add_epi32(acc2, acc3));
    s = _mm512_add_epi32(s, _mm512_add_epi32(acc4, acc5));
    s = _mm512_add_epi32(s, _mm512_add_epi32(acc6, acc7));
    s = _mm512_add_epi32(s, _mm512_add_epi32(acc8, acc9));
    s = _mm512_add_epi32(s, _mm512_add_epi32(acc10, acc11));
    s = _mm512_add_epi32(s, _mm512_add_epi32(acc12, acc13));
    s = _mm512_add_epi32(s, _mm512_add_epi32(acc14, acc15));
    s = _mm512_add_epi32(s, _mm512_add_epi32(acc16, acc17));
    s = _mm512_add_epi32(s, _mm512_add_epi32(acc18, acc19));
    s = _mm512_add_epi32(s, _mm512_add_epi32(acc20, acc21));
    s = _mm512_add_epi32(s, _mm512_add_epi32(acc22, acc23));
    return _mm512_reduce_add_epi32(s);
}

/* Best GOP/s over `runs` runs of at least min_seconds each. */
double tr_bench_peak_avx512vnni_gops(double min_seconds, int runs)
{
    /* volatile: the operands are unknown to the compiler, so the chains
     * cannot be folded into constants */
    static volatile int32_t seed_a = 0x01020304, seed_b = 0x01FF01FF;
    static volatile int32_t sink;
    uint64_t iters = 1u << 16;
    double best = 0.0;
    /* grow the iteration count until one run lasts min_seconds */
    for (;;) {
        double t0 = now_seconds();
        sink = vnni_loop(iters, seed_a, seed_b);
        double dt = now_seconds() - t0;
        if (dt >= min_seconds || iters >= (UINT64_C(1) << 40)) {
            best = (double)iters * CHAINS * 128.0 / dt * 1e-9;
            break;
        }
        iters = dt > 1e-4 ? (uint64_t)((double)iters * (min_seconds / dt) * 1.1) + 1 : iters * 8;
    }
    for (int r = 1; r < runs; r++) {
        double t0 = now_seconds();
        sink = vnni_loop(iters, seed_a, seed_b);
        double dt = now_seconds() - t0;
        double g = (double)iters * CHAINS * 128.0 / dt * 1e-9;
        best = g > best ? g : best;
    }
    (void)sink;
    return best;
}
