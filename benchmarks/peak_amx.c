/* peak_amx.c - register-only peak of AMX-INT8 tile multiply-adds.
 *
 * Why: as peak_x86.c does for VNNI, this gives the AMX kernel's GOP/s a
 * ceiling measured on the same machine in the same run. The loop issues
 * tdpbusd into 6 independent accumulator tiles from two source tiles that
 * stay loaded (no tile loads or stores inside the loop), so it is bound
 * only by the tile multiply unit. Each tdpbusd on full 16 x 64-byte tiles
 * does 16 x 16 x 64 uint8 x int8 multiply-adds = 32768 ops. 6 chains: more
 * than tdpbusd's latency divided by its issue interval on the cores known
 * so far, and all the tiles that 2 sources leave.
 *
 * This file alone is compiled with -mamx-tile -mamx-int8 (see
 * benchmarks/CMakeLists.txt): it must only be entered after
 * tr_x86_cpu_features() reported TR_X86_AMX_INT8, which also means Linux
 * granted this process the tile data (without that grant the first tile
 * instruction raises SIGILL). Not run on the machines so far (no AMX). */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* Also declared in bench_gemm.c (benchmarks have no shared header). */
double tr_bench_peak_amx_gops(double min_seconds, int runs);

#define CHAINS 6
#define OPS_PER_TDPBUSD (16.0 * 16.0 * 64.0 * 2.0)

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Palette 1, tiles 0..7 all 16 rows x 64 bytes (the LDTILECFG layout:
 * bytes 16..31 colsb of tiles 0..7, 48..55 their rows). */
static void configure(void)
{
    _Alignas(64) uint8_t cfg[64];
    memset(cfg, 0, sizeof cfg);
    cfg[0] = 1;
    for (int t = 0; t < 8; t++) {
        cfg[16 + 2 * t] = 64;
        cfg[48 + t] = 16;
    }
    /* GCC 12's _tile_loadconfig tells the compiler it reads 8 bytes only */
    __asm__ volatile("" ::: "memory");
    _tile_loadconfig(cfg);
}

/* `iters` x CHAINS tdpbusd; returns a value that depends on every
 * accumulator (the tile asm statements are volatile, so none is removed
 * anyway; the value keeps the result honest). */
static int32_t amx_loop(uint64_t iters, const uint8_t src[2][1024])
{
    _Alignas(64) int32_t out[16 * 16];
    configure();
    __asm__ volatile("" ::: "memory"); /* _tile_loadd does not declare its reads */
    _tile_loadd(6, src[0], 64);        /* A: u8 */
    _tile_loadd(7, src[1], 64); /* B: s8 */
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    _tile_zero(4);
    _tile_zero(5);
    for (uint64_t i = 0; i < iters; i++) {
        _tile_dpbusd(0, 6, 7);
        _tile_dpbusd(1, 6, 7);
        _tile_dpbusd(2, 6, 7);
        _tile_dpbusd(3, 6, 7);
        _tile_dpbusd(4, 6, 7);
        _tile_dpbusd(5, 6, 7);
    }
    int32_t x = 0;
#define FOLD(t)                                                                                   \
    do {                                                                                          \
        _tile_stored(t, out, 64);                                                                 \
        for (int j = 0; j < 16 * 16; j++)                                                         \
            x ^= out[j]; /* xor: the sums wrap, which int adds must not */                    \
    } while (0)
    FOLD(0);
    FOLD(1);
    FOLD(2);
    FOLD(3);
    FOLD(4);
    FOLD(5);
#undef FOLD
    _tile_release();
    return x;
}

/* Best GOP/s over `runs` runs of at least min_seconds each. */
double tr_bench_peak_amx_gops(double min_seconds, int runs)
{
    static uint8_t src[2][1024];
    static volatile int32_t sink;
    for (int i = 0; i < 1024; i++) {
        src[0][i] = (uint8_t)(i * 7 + 1);
        src[1][i] = (uint8_t)(i * 13 + 5);
    }
    uint64_t iters = 1u << 12;
    double best = 0.0;
    for (;;) { /* grow the iteration count until one run lasts min_seconds */
        double t0 = now_seconds();
        sink = amx_loop(iters, (const uint8_t(*)[1024])src);
        double dt = now_seconds() - t0;
        if (dt >= min_seconds || iters >= (UINT64_C(1) << 40)) {
            best = (double)iters * CHAINS * OPS_PER_TDPBUSD / dt * 1e-9;
            break;
        }
        iters = dt > 1e-4 ? (uint64_t)((double)iters * (min_seconds / dt) * 1.1) + 1 : iters * 8;
    }
    for (int r = 1; r < runs; r++) {
        double t0 = now_seconds();
        sink = amx_loop(iters, (const uint8_t(*)[1024])src);
        double dt = now_seconds() - t0;
        double g = (double)iters * CHAINS * OPS_PER_TDPBUSD / dt * 1e-9;
        best = g > best ? g : best;
    }
    (void)sink;
    return best;
}
