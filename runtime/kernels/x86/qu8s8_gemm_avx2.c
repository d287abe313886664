/* qu8s8_gemm_avx2.c - uint8 x int8 -> int32 GEMM over N16K4 weights with
 * AVX2. vpmaddubsw would saturate (255*127*2 > 32767), so both operands are
 * widened to int16 (vpmovzxbw / vpmovsxbw) and multiplied with vpmaddwd,
 * which sums pairs into int32 exactly. One 16-byte quarter of a 64-byte
 * group is 4 channels x 4 k; the 4 activation bytes are broadcast, widened,
 * and vpmaddwd leaves each channel's sum split over two int32 lanes, which
 * are added once per tile (vphaddd) instead of once per k.
 *
 * Tile: 2 rows x 16 channels = 8 accumulators + 4 widened weight vectors
 * (16 ymm registers in all). Dequantization as in the reference. */
#include <immintrin.h>

#include "kernels/kernels.h"
#include "kernels/x86/x86_kernels.h"

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

static inline __attribute__((always_inline)) void tile(size_t MR, size_t kgroups, const uint8_t *q,
                                                       size_t ldq, const int8_t *w, size_t m0,
                                                       size_t n, size_t N, const float *a_scale,
                                                       const int32_t *a_zp, const float *w_scale,
                                                       const int32_t *w_sum, const float *bias,
                                                       float *C, size_t ldc)
{
    __m256i acc[2][4];
#pragma GCC unroll 2
    for (size_t i = 0; i < MR; i++)
#pragma GCC unroll 4
        for (size_t j = 0; j < 4; j++)
            acc[i][j] = _mm256_setzero_si256();
    for (size_t kg = 0; kg < kgroups; kg++) {
        __m256i wv[4];
#pragma GCC unroll 4
        for (size_t j = 0; j < 4; j++)
            wv[j] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(w + kg * 64 + j * 16)));
#pragma GCC unroll 2
        for (size_t i = 0; i < MR; i++) {
            int32_t a4;
            __builtin_memcpy(&a4, q + i * ldq + kg * 4, 4);
            const __m256i av = _mm256_cvtepu8_epi16(_mm_set1_epi32(a4));
#pragma GCC unroll 4
            for (size_t j = 0; j < 4; j++)
                acc[i][j] = _mm256_add_epi32(acc[i][j], _mm256_madd_epi16(av, wv[j]));
        }
    }
#pragma GCC unroll 2
    for (size_t h = 0; h < 2; h++) { /* channels n + 8h .. n + 8h + 7 */
        if (n + 8 * h >= N)
            break;
        const size_t c = n + 8 * h;
        const __m256i mk = lane_mask(N - c);
        const __m256i ws = _mm256_maskload_epi32(w_sum + c, mk);
        const __m256 wsc = _mm256_maskload_ps(w_scale + c, mk);
        const __m256 b = bias ? _mm256_maskload_ps(bias + c, mk) : _mm256_setzero_ps();
#pragma GCC unroll 2
        for (size_t i = 0; i < MR; i++) {
            const size_t m = m0 + i;
            __m256i a = channel_sums(acc[i][2 * h], acc[i][2 * h + 1]);
            a = _mm256_sub_epi32(a, _mm256_mullo_epi32(_mm256_set1_epi32(a_zp[m]), ws));
            __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(a), _mm256_mul_ps(_mm256_set1_ps(a_scale[m]), wsc));
            if (bias)
                v = _mm256_add_ps(v, b);
            _mm256_maskstore_ps(C + m * ldc + c, mk, v);
        }
    }
}

void tr_qu8s8_gemm_ukernel_2x16__avx2(size_t M, size_t N, size_t K, const uint8_t *Q, size_t ldq,
                                      const float *a_scale, const int32_t *a_zp, const int8_t *W,
                                      const float *w_scale, const int32_t *w_sum,
                                      const float *bias, float *C, size_t ldc)
{
    const size_t kgroups = tr_round_up(K, 4) / 4;
    for (size_t n = 0; n < N; n += 16) {
        const int8_t *w = W + (n / 16) * kgroups * 64;
        size_t m0 = 0;
        for (; m0 + 2 <= M; m0 += 2)
            tile(2, kgroups, Q + m0 * ldq, ldq, w, m0, n, N, a_scale, a_zp, w_scale, w_sum, bias,
                 C, ldc);
        if (m0 < M)
            tile(1, kgroups, Q + m0 * ldq, ldq, w, m0, n, N, a_scale, a_zp, w_scale, w_sum, bias,
                 C, ldc);
    }
}
