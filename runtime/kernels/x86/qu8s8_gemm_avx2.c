/* qu8s8_gemm_avx2.c - uint8 x int8 -> int32 GEMM over N16K4 weights with
 * AVX2. vpmaddubsw would saturate (255*127*2 > 32767), so both operands are
 * widened to int16 (vpmovzxbw / vpmovsxbw) and multiplied with vpmaddwd,
 * which sums pairs into int32 exactly. One 16-byte quarter of a 64-byte
 * group is 4 channels x 4 k; the 4 activation bytes are broadcast, widened,
 * and vpmaddwd leaves each channel's sum split over two int32 lanes, which
 * are added once per tile (vphaddd) instead of once per k.
 *
 * Tile: 6 rows x 8 channels (half a 16-channel block) = 12 accumulators +
 * 2 widened weight vectors + the widened broadcast and one product (16
 * ymm). Per 4 k: 2 weight widenings and 6 activation widenings for 12
 * vpmaddwd (a 2 x 16 tile: 4 and 2 for 8). Measured 1.1x the 2 x 16 tile on
 * Zen 5 (benchmarks/README.md). Dequantization as in the reference (its
 * float operations in its order: the float output is identical). */
#include <immintrin.h>

#include "kernels/kernels.h"
#include "kernels/x86/x86_kernels.h"
#include "kernels/x86/qu8s8_gemm_args.h"

#define MR_MAX 6

/* 8 channel sums from two pair-split accumulators (channels c..c+3 and
 * c+4..c+7): vphaddd adds the pairs per 128-bit lane, vpermq restores the
 * channel order. */
static inline __m256i channel_sums(__m256i lo4, __m256i hi4)
{
    return _mm256_permute4x64_epi64(_mm256_hadd_epi32(lo4, hi4), 0xD8);
}

static inline __m256i lane_mask(size_t left)
{
    const int n = left >= 8 ? 8 : (int)left;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* C = (float)(ACC - zp * w_sum) * (a_scale * w_scale) + bias for channels
 * c .. c+7 (masked at N) of MR rows. */
static inline __attribute__((always_inline)) void store_tile(const gemm_args *g, size_t m0,
                                                             size_t c, const size_t MR,
                                                             __m256i acc[MR_MAX][2])
{
    const __m256i mk = lane_mask(g->N - c);
    const __m256i ws = _mm256_maskload_epi32(g->w_sum + c, mk);
    const __m256 wsc = _mm256_maskload_ps(g->w_scale + c, mk);
    const __m256 b = g->bias ? _mm256_maskload_ps(g->bias + c, mk) : _mm256_setzero_ps();
#pragma GCC unroll 6
    for (size_t i = 0; i < MR; i++) {
        const size_t m = m0 + i;
        __m256i a = channel_sums(acc[i][0], acc[i][1]);
        a = _mm256_sub_epi32(a, _mm256_mullo_epi32(_mm256_set1_epi32(g->a_zp[m]), ws));
        __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(a),
                                 _mm256_mul_ps(_mm256_set1_ps(g->a_scale[m]), wsc));
        if (g->bias)
            v = _mm256_add_ps(v, b);
        _mm256_maskstore_ps(g->C + m * g->ldc + c, mk, v);
    }
}

/* 4 channels x 4 k of weights as int16. */
static inline __m256i load_w(const int8_t *p)
{
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p));
}

/* One row: broadcast 4 activation bytes as int16, then c0 += madd(a, w0),
 * c1 += madd(a, w1). One asm statement so that GCC 12 cannot hoist all the
 * rows' broadcasts above the multiplies (it does, and then spills the
 * accumulators). p: 4 readable bytes (rows are padded to 64). */
static inline __attribute__((always_inline)) void row(__m256i *c0, __m256i *c1, const uint8_t *p,
                                                      __m256i w0, __m256i w1)
{
    __m256i av, t;
    __asm__("vpbroadcastd %[q], %x[av]\n\t"
            "vpmovzxbw %x[av], %[av]\n\t"
            "vpmaddwd %[w0], %[av], %[t]\n\t"
            "vpaddd %[t], %[c0], %[c0]\n\t"
            "vpmaddwd %[w1], %[av], %[av]\n\t"
            "vpaddd %[av], %[c1], %[c1]"
            : [c0] "+x"(*c0), [c1] "+x"(*c1), [av] "=&x"(av), [t] "=&x"(t)
            : [q] "m"(*(const int32_t *)(const void *)p), [w0] "x"(w0), [w1] "x"(w1));
}

/* The full 6x8 tile with named accumulators, so that all 12 stay in
 * registers whatever the optimizer decides about the generic tile's array. */
#define ROW(i) row(&c##i##0, &c##i##1, q##i + kg * 4, w0, w1)

static void tile_6x8(const gemm_args *g, size_t m0, size_t c, const int8_t *w)
{
    const uint8_t *q0 = g->Q + m0 * g->ldq, *q1 = q0 + g->ldq, *q2 = q1 + g->ldq;
    const uint8_t *q3 = q2 + g->ldq, *q4 = q3 + g->ldq, *q5 = q4 + g->ldq;
    __m256i c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    c00 = c01 = c10 = c11 = c20 = c21 = _mm256_setzero_si256();
    c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_si256();
    for (size_t kg = 0; kg < g->kgroups; kg++) {
        const __m256i w0 = load_w(w + kg * 64), w1 = load_w(w + kg * 64 + 16);
        ROW(0);
        ROW(1);
        ROW(2);
        ROW(3);
        ROW(4);
        ROW(5);
    }
    __m256i acc[MR_MAX][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                              {c30, c31}, {c40, c41}, {c50, c51}};
    store_tile(g, m0, c, 6, acc);
}

/* MR rows x channels c .. c+7, where w points at those channels' 32 bytes
 * of k group 0 (groups 64 bytes apart). */
static inline __attribute__((always_inline)) void tile(const gemm_args *g, size_t m0, size_t c,
                                                       const int8_t *w, const size_t MR)
{
    const uint8_t *q = g->Q + m0 * g->ldq;
    __m256i acc[MR_MAX][2];
#pragma GCC unroll 6
    for (size_t i = 0; i < MR; i++)
        acc[i][0] = acc[i][1] = _mm256_setzero_si256();
    for (size_t kg = 0; kg < g->kgroups; kg++) {
        const __m256i w0 = load_w(w + kg * 64), w1 = load_w(w + kg * 64 + 16);
#pragma GCC unroll 6
        for (size_t i = 0; i < MR; i++)
            row(&acc[i][0], &acc[i][1], q + i * g->ldq + kg * 4, w0, w1);
    }
    store_tile(g, m0, c, MR, acc);
}

static void run_tile(const gemm_args *g, size_t m0, size_t c, const int8_t *w, size_t mr)
{
    switch (mr) {
    case 1: tile(g, m0, c, w, 1); break;
    case 2: tile(g, m0, c, w, 2); break;
    case 3: tile(g, m0, c, w, 3); break;
    case 4: tile(g, m0, c, w, 4); break;
    case 5: tile(g, m0, c, w, 5); break;
    default: tile_6x8(g, m0, c, w); break;
    }
}

void tr_qu8s8_gemm_ukernel_6x8__avx2(size_t M, size_t N, size_t K, const uint8_t *Q, size_t ldq,
                                     const float *a_scale, const int32_t *a_zp, const int8_t *W,
                                     const float *w_scale, const int32_t *w_sum,
                                     const float *bias, float *C, size_t ldc)
{
    const gemm_args g = {tr_round_up(K, 4) / 4, ldq, N, ldc, Q, a_scale, a_zp, W, w_scale,
                         w_sum, bias, C};
    for (size_t c = 0; c < N; c += 8) {
        const int8_t *w = W + (c / 16) * g.kgroups * 64 + (c % 16) * 4;
        for (size_t m0 = 0; m0 < M; m0 += MR_MAX)
            run_tile(&g, m0, c, w, M - m0 < MR_MAX ? M - m0 : MR_MAX);
    }
}
