/* qu8s8_gemm_avx512vnni.c - uint8 x int8 -> int32 GEMM over N16K4 weights
 * with AVX-512 VNNI. One 64-byte group of the packed weight is 16 output
 * channels x 4 k: exactly the operand of vpdpbusd when 4 activation bytes of
 * a row are broadcast to all 16 lanes. vpdpbusd (not vpdpbusds: that one
 * saturates) sums 4 u8*s8 products into each int32 lane exactly, so ACC is
 * bit-identical to the reference.
 *
 * Tile: 6 rows x 64 channels = 24 zmm accumulators + 4 weight vectors + the
 * broadcast (29 of 32 registers). Per 4 k: 4 weight loads and 6 broadcasts
 * for 24 vpdpbusd. Tiles walk all rows for one 64-channel panel, so the
 * panel (kp * 64 bytes: 24 KiB at K=384) stays in L1/L2 while rows stream.
 * Dequantization is fused into the store, with the reference's float
 * operations in the reference's order (the float output is identical too). */
#include <immintrin.h>

#include "kernels/kernels.h"
#include "kernels/x86/x86_kernels.h"
#include "kernels/x86/qu8s8_gemm_args.h"

#define MR_MAX 6
#define NB_MAX 4 /* 16-channel blocks per tile */

/* C = (float)(ACC - zp * w_sum) * (a_scale * w_scale) + bias, the
 * reference's float operations in its order; masked for N tails. */
static inline __attribute__((always_inline)) void store_tile(const gemm_args *g, size_t m0,
                                                             size_t n0, const size_t MR,
                                                             const size_t NB,
                                                             __m512i acc[MR_MAX][NB_MAX])
{
#pragma GCC unroll 4
    for (size_t j = 0; j < NB; j++) {
        const size_t n = n0 + j * 16;
        const size_t left = g->N - n;
        const __mmask16 mk = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
        const __m512i ws = _mm512_maskz_loadu_epi32(mk, g->w_sum + n);
        const __m512 wsc = _mm512_maskz_loadu_ps(mk, g->w_scale + n);
        const __m512 b = g->bias ? _mm512_maskz_loadu_ps(mk, g->bias + n) : _mm512_setzero_ps();
#pragma GCC unroll 6
        for (size_t i = 0; i < MR; i++) {
            const size_t m = m0 + i;
            __m512i a = _mm512_sub_epi32(acc[i][j], _mm512_mullo_epi32(_mm512_set1_epi32(g->a_zp[m]), ws));
            __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(a), _mm512_mul_ps(_mm512_set1_ps(g->a_scale[m]), wsc));
            if (g->bias)
                v = _mm512_add_ps(v, b);
            _mm512_mask_storeu_ps(g->C + m * g->ldc + n, mk, v);
        }
    }
}

/* acc += dot4(a u8, w s8) per int32 lane. Spelled in asm because GCC 12
 * does not tie the accumulator of _mm512_dpbusd_epi32 to its output: it
 * copies every accumulator around each instruction and spills the tile. */
static inline __m512i dp(__m512i acc, __m512i a, __m512i w)
{
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(w));
    return acc;
}

static inline __m512i bcast4(const uint8_t *p)
{
    int32_t a4;
    __builtin_memcpy(&a4, p, 4); /* 4 u8 of one row */
    return _mm512_set1_epi32(a4);
}

/* Edge tiles (MR < 6 or fewer than 4 blocks): generic loops, unrolled per
 * constant MR / NB. */
static inline __attribute__((always_inline)) void tile(const gemm_args *g, size_t m0, size_t n0,
                                                       const size_t MR, const size_t NB)
{
    const size_t blk = g->kgroups * 64; /* bytes of one 16-channel block */
    const int8_t *w = g->W + (n0 / 16) * blk;
    const uint8_t *q = g->Q + m0 * g->ldq;
    __m512i acc[MR_MAX][NB_MAX];
#pragma GCC unroll 6
    for (size_t i = 0; i < MR; i++)
#pragma GCC unroll 4
        for (size_t j = 0; j < NB; j++)
            acc[i][j] = _mm512_setzero_si512();
    for (size_t kg = 0; kg < g->kgroups; kg++) {
        __m512i wv[NB_MAX];
#pragma GCC unroll 4
        for (size_t j = 0; j < NB; j++)
            wv[j] = _mm512_loadu_si512((const void *)(w + j * blk + kg * 64));
#pragma GCC unroll 6
        for (size_t i = 0; i < MR; i++) {
            const __m512i av = bcast4(q + i * g->ldq + kg * 4);
#pragma GCC unroll 4
            for (size_t j = 0; j < NB; j++)
                acc[i][j] = dp(acc[i][j], av, wv[j]);
        }
    }
    store_tile(g, m0, n0, MR, NB, acc);
}

/* The full 6x64 tile (the hot path) spelled out with named accumulators,
 * so that all 24 stay in registers whatever the optimizer decides about
 * the array of the generic tile. */
#define ROW(i)                                                                                    \
    do {                                                                                          \
        const __m512i av = bcast4(q##i + kg * 4);                                                 \
        c##i##0 = dp(c##i##0, av, w0);                                                           \
        c##i##1 = dp(c##i##1, av, w1);                                                           \
        c##i##2 = dp(c##i##2, av, w2);                                                           \
        c##i##3 = dp(c##i##3, av, w3);                                                           \
    } while (0)

static void tile_6x64(const gemm_args *g, size_t m0, size_t n0)
{
    const size_t blk = g->kgroups * 64;
    const int8_t *w = g->W + (n0 / 16) * blk;
    const uint8_t *q0 = g->Q + m0 * g->ldq, *q1 = q0 + g->ldq, *q2 = q1 + g->ldq;
    const uint8_t *q3 = q2 + g->ldq, *q4 = q3 + g->ldq, *q5 = q4 + g->ldq;
    __m512i c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23;
    __m512i c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53;
    c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = c20 = c21 = c22 = c23 = _mm512_setzero_si512();
    c30 = c31 = c32 = c33 = c40 = c41 = c42 = c43 = c50 = c51 = c52 = c53 = _mm512_setzero_si512();
    for (size_t kg = 0; kg < g->kgroups; kg++) {
        const int8_t *wk = w + kg * 64;
        const __m512i w0 = _mm512_loadu_si512((const void *)wk);
        const __m512i w1 = _mm512_loadu_si512((const void *)(wk + blk));
        const __m512i w2 = _mm512_loadu_si512((const void *)(wk + 2 * blk));
        const __m512i w3 = _mm512_loadu_si512((const void *)(wk + 3 * blk));
        ROW(0);
        ROW(1);
        ROW(2);
        ROW(3);
        ROW(4);
        ROW(5);
    }
    __m512i acc[MR_MAX][NB_MAX] = {{c00, c01, c02, c03}, {c10, c11, c12, c13},
                                   {c20, c21, c22, c23}, {c30, c31, c32, c33},
                                   {c40, c41, c42, c43}, {c50, c51, c52, c53}};
    store_tile(g, m0, n0, 6, 4, acc);
}

/* Row tails (every 64-row task of the FC op ends with 4 rows) get unrolled
 * copies for whole 64-channel panels. A channel tail (N not a multiple of
 * 64: no int8 layer of the supported models has one; their N are multiples
 * of 64) runs one 16-channel block at a time: 6 copies instead of 18, which
 * keeps the x86 library within its size budget (benchmarks/size_report.py). */
static void run_tile(const gemm_args *g, size_t m0, size_t n0, size_t mr, size_t nb)
{
    if (nb < NB_MAX) {
        for (size_t b = 0; b < nb; b++)
            for (size_t i = 0; i < mr; i++)
                tile(g, m0 + i, n0 + b * 16, 1, 1);
        return;
    }
    switch (mr) {
    case 1: tile(g, m0, n0, 1, 4); break;
    case 2: tile(g, m0, n0, 2, 4); break;
    case 3: tile(g, m0, n0, 3, 4); break;
    case 4: tile(g, m0, n0, 4, 4); break;
    case 5: tile(g, m0, n0, 5, 4); break;
    default: tile_6x64(g, m0, n0); break;
    }
}

void tr_qu8s8_gemm_ukernel_6x64__avx512vnni(size_t M, size_t N, size_t K, const uint8_t *Q,
                                             size_t ldq, const float *a_scale,
                                             const int32_t *a_zp, const int8_t *W,
                                             const float *w_scale, const int32_t *w_sum,
                                             const float *bias, float *C, size_t ldc)
{
    const gemm_args g = {tr_round_up(K, 4) / 4, ldq, N, ldc, Q, a_scale, a_zp, W, w_scale,
                         w_sum, bias, C};
    for (size_t n0 = 0; n0 < N; n0 += NB_MAX * 16) {
        const size_t nleft = N - n0;
        const size_t nb = nleft >= NB_MAX * 16 ? NB_MAX : (nleft + 15) / 16;
        for (size_t m0 = 0; m0 < M; m0 += MR_MAX) {
            const size_t mr = M - m0 < MR_MAX ? M - m0 : MR_MAX;
            run_tile(&g, m0, n0, mr, nb);
        }
    }
}
