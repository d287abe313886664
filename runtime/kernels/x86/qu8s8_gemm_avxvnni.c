/* qu8s8_gemm_avxvnni.c - uint8 x int8 -> int32 GEMM over N16K4 weights with
 * AVX-VNNI: the VEX-encoded vpdpbusd on ymm registers, which Intel client
 * CPUs (Alder Lake and later) and AMD Zen 5 have without AVX-512. One
 * 64-byte group of the packed weight is 16 channels x 4 k, i.e. two ymm of
 * 8 channels x 4 k, each the operand of vpdpbusd when 4 activation bytes of
 * a row are broadcast to all 8 lanes. vpdpbusd (not vpdpbusds, which
 * saturates) sums 4 u8*s8 products into each int32 lane exactly, so ACC is
 * bit-identical to the reference.
 *
 * Tile: 6 rows x 16 channels = 12 ymm accumulators + 2 weight vectors + the
 * broadcast = 15 of the 16 ymm registers. Per 4 k: 2 weight loads and 6
 * broadcasts for 12 vpdpbusd. (4 x 24 would also fit in 16 registers, with
 * 7 loads per 12 vpdpbusd, but 24 channels split the 16-channel blocks of
 * the layout in two and need twice the edge code; 6 x 16 matches the
 * layout.) Tiles walk all rows of one 16-channel panel (kp * 16 bytes: 6 KiB
 * at K = 384) so that the panel stays in L1 while the rows stream.
 * Dequantization is fused into the store with the reference's float
 * operations in the reference's order (the float output is identical). */
#include <immintrin.h>

#include "kernels/kernels.h"
#include "kernels/x86/x86_kernels.h"
#include "kernels/x86/qu8s8_gemm_args.h"

#define MR_MAX 6

/* Lanes 0 .. left-1 on (all 8 when left >= 8): the N tail of a panel. */
static inline __m256i lane_mask(size_t left)
{
    const int n = left >= 8 ? 8 : (int)left;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* C = (float)(ACC - zp * w_sum) * (a_scale * w_scale) + bias, the
 * reference's float operations in its order; masked for the N tail (the
 * padded channels of the last block are computed but never stored). */
static inline __attribute__((always_inline)) void store_tile(const gemm_args *g, size_t m0,
                                                             size_t n0, const size_t MR,
                                                             __m256i acc[MR_MAX][2])
{
#pragma GCC unroll 2
    for (size_t h = 0; h < 2; h++) { /* channels n0 + 8h .. n0 + 8h + 7 */
        const size_t c = n0 + 8 * h;
        if (c >= g->N)
            break;
        const __m256i mk = lane_mask(g->N - c);
        const __m256i ws = _mm256_maskload_epi32(g->w_sum + c, mk);
        const __m256 wsc = _mm256_maskload_ps(g->w_scale + c, mk);
        const __m256 b = g->bias ? _mm256_maskload_ps(g->bias + c, mk) : _mm256_setzero_ps();
#pragma GCC unroll 6
        for (size_t i = 0; i < MR; i++) {
            const size_t m = m0 + i;
            const __m256i a =
                _mm256_sub_epi32(acc[i][h], _mm256_mullo_epi32(_mm256_set1_epi32(g->a_zp[m]), ws));
            __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(a),
                                     _mm256_mul_ps(_mm256_set1_ps(g->a_scale[m]), wsc));
            if (g->bias)
                v = _mm256_add_ps(v, b);
            _mm256_maskstore_ps(g->C + m * g->ldc + c, mk, v);
        }
    }
}

/* acc += dot4(a u8, w s8) per int32 lane, VEX-encoded ({vex}: without it
 * the assembler picks the EVEX form, which needs AVX-512 VL). Spelled in
 * asm because GCC 12 does not tie the accumulator of the dpbusd intrinsics
 * to their output: it copies accumulators around each instruction, and with
 * 16 registers the tile would spill. */
static inline __m256i dp(__m256i acc, __m256i a, __m256i w)
{
    __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(a), "x"(w));
    return acc;
}

static inline __m256i bcast4(const uint8_t *p)
{
    int32_t a4;
    __builtin_memcpy(&a4, p, 4); /* 4 u8 of one row */
    return _mm256_set1_epi32(a4);
}

/* Any MR <= 6 rows x one 16-channel block; unrolled per constant MR. */
static inline __attribute__((always_inline)) void tile(const gemm_args *g, size_t m0, size_t n0,
                                                       const size_t MR)
{
    const int8_t *w = g->W + (n0 / 16) * g->kgroups * 64;
    const uint8_t *q = g->Q + m0 * g->ldq;
    __m256i acc[MR_MAX][2];
#pragma GCC unroll 6
    for (size_t i = 0; i < MR; i++)
        acc[i][0] = acc[i][1] = _mm256_setzero_si256();
    for (size_t kg = 0; kg < g->kgroups; kg++) {
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)(const void *)(w + kg * 64));
        const __m256i w1 = _mm256_loadu_si256((const __m256i *)(const void *)(w + kg * 64 + 32));
#pragma GCC unroll 6
        for (size_t i = 0; i < MR; i++) {
            const __m256i av = bcast4(q + i * g->ldq + kg * 4);
            acc[i][0] = dp(acc[i][0], av, w0);
            acc[i][1] = dp(acc[i][1], av, w1);
        }
    }
    store_tile(g, m0, n0, MR, acc);
}

/* The full 6x16 tile (the hot path) with named accumulators, so that all
 * 12 stay in registers whatever the optimizer decides about the array of
 * the generic tile. */
#define ROW(i)                                                                                    \
    do {                                                                                          \
        const __m256i av = bcast4(q##i + kg * 4);                                                 \
        c##i##0 = dp(c##i##0, av, w0);                                                           \
        c##i##1 = dp(c##i##1, av, w1);                                                           \
    } while (0)

static void tile_6x16(const gemm_args *g, size_t m0, size_t n0)
{
    const int8_t *w = g->W + (n0 / 16) * g->kgroups * 64;
    const uint8_t *q0 = g->Q + m0 * g->ldq, *q1 = q0 + g->ldq, *q2 = q1 + g->ldq;
    const uint8_t *q3 = q2 + g->ldq, *q4 = q3 + g->ldq, *q5 = q4 + g->ldq;
    __m256i c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    c00 = c01 = c10 = c11 = c20 = c21 = _mm256_setzero_si256();
    c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_si256();
    for (size_t kg = 0; kg < g->kgroups; kg++) {
        const int8_t *wk = w + kg * 64;
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)(const void *)wk);
        const __m256i w1 = _mm256_loadu_si256((const __m256i *)(const void *)(wk + 32));
        ROW(0);
        ROW(1);
        ROW(2);
        ROW(3);
        ROW(4);
        ROW(5);
    }
    __m256i acc[MR_MAX][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                              {c30, c31}, {c40, c41}, {c50, c51}};
    store_tile(g, m0, n0, 6, acc);
}

static void run_tile(const gemm_args *g, size_t m0, size_t n0, size_t mr)
{
    switch (mr) {
    case 1: tile(g, m0, n0, 1); break;
    case 2: tile(g, m0, n0, 2); break;
    case 3: tile(g, m0, n0, 3); break;
    case 4: tile(g, m0, n0, 4); break;
    case 5: tile(g, m0, n0, 5); break;
    default: tile_6x16(g, m0, n0); break;
    }
}

void tr_qu8s8_gemm_ukernel_6x16__avxvnni(size_t M, size_t N, size_t K, const uint8_t *Q,
                                         size_t ldq, const float *a_scale, const int32_t *a_zp,
                                         const int8_t *W, const float *w_scale,
                                         const int32_t *w_sum, const float *bias, float *C,
                                         size_t ldc)
{
    const gemm_args g = {tr_round_up(K, 4) / 4, ldq, N, ldc, Q, a_scale, a_zp, W, w_scale,
                         w_sum, bias, C};
    for (size_t n0 = 0; n0 < N; n0 += 16)
        for (size_t m0 = 0; m0 < M; m0 += MR_MAX)
            run_tile(&g, m0, n0, M - m0 < MR_MAX ? M - m0 : MR_MAX);
}
