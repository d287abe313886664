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
 * result; 24 accumulators + 2 operands fit in the 32 zmm registers.
 * Inline assembly, because with the intrinsic GCC 12 copies and spills the
 * accumulators to the stack inside the loop (seen in objdump), which would
 * time loads and stores instead of vpdpbusd. */
#define CHAINS 24
#define DP(i) "vpdpbusd %[b], %[a], %[c" #i "]\n\t"
#define ACC(i) [c##i] "+v"(acc##i)

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
    /* distinct start values, so that no two chains are the same value */
#define INIT(i) __m512i acc##i = _mm512_set1_epi32(i)
    INIT(0); INIT(1); INIT(2); INIT(3); INIT(4); INIT(5); INIT(6); INIT(7);
    INIT(8); INIT(9); INIT(10); INIT(11); INIT(12); INIT(13); INIT(14); INIT(15);
    INIT(16); INIT(17); INIT(18); INIT(19); INIT(20); INIT(21); INIT(22); INIT(23);
#undef INIT
    for (uint64_t i = 0; i < iters; i++) {
        /* two statements: GCC allows 30 asm operands, an in-out one
         * counts twice */
        __asm__ volatile(DP(0) DP(1) DP(2) DP(3) DP(4) DP(5) DP(6) DP(7) DP(8) DP(9) DP(10)
                         DP(11)
                         : ACC(0), ACC(1), ACC(2), ACC(3), ACC(4), ACC(5), ACC(6), ACC(7), ACC(8),
                           ACC(9), ACC(10), ACC(11)
                         : [a] "v"(a), [b] "v"(b));
        __asm__ volatile(DP(12) DP(13) DP(14) DP(15) DP(16) DP(17) DP(18) DP(19) DP(20) DP(21)
                         DP(22) DP(23)
                         : ACC(12), ACC(13), ACC(14), ACC(15), ACC(16), ACC(17), ACC(18),
                           ACC(19), ACC(20), ACC(21), ACC(22), ACC(23)
                         : [a] "v"(a), [b] "v"(b));
    }
    __m512i s = _mm512_xor_si512(acc0, acc1);
    s = _mm512_xor_si512(s, _mm512_xor_si512(acc2, acc3));
    s = _mm512_xor_si512(s, _mm512_xor_si512(acc4, acc5));
    s = _mm512_xor_si512(s, _mm512_xor_si512(acc6, acc7));
    s = _mm512_xor_si512(s, _mm512_xor_si512(acc8, acc9));
    s = _mm512_xor_si512(s, _mm512_xor_si512(acc10, acc11));
    s = _mm512_xor_si512(s, _mm512_xor_si512(acc12, acc13));
    s = _mm512_xor_si512(s, _mm512_xor_si512(acc14, acc15));
    s = _mm512_xor_si512(s, _mm512_xor_si512(acc16, acc17));
    s = _mm512_xor_si512(s, _mm512_xor_si512(acc18, acc19));
    s = _mm512_xor_si512(s, _mm512_xor_si512(acc20, acc21));
    s = _mm512_xor_si512(s, _mm512_xor_si512(acc22, acc23));
    /* xor and or: the sums wrap around after many iterations, which is
     * fine in a vector register but undefined in the scalar int adds of
     * _mm512_reduce_add_epi32 (UBSan says so) */
    return _mm512_reduce_or_epi32(s);
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
