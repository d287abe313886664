/* qu8_quantize_avx2.c - per-row uint8 quantization with AVX2, bit-identical
 * to the reference for the reasons given in qu8_quantize_avx512.c (vminps
 * operand order = the reference's comparison; roundf from a truncation).
 * Tail lanes load 0, which cannot move min(0, ...) or max(0, ...). */
#include <immintrin.h>
#include <math.h>

#include "kernels/kernels.h"
#include "kernels/x86/x86_kernels.h"

static inline __m256 round_half_away(__m256 t)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 r = _mm256_round_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 d = _mm256_andnot_ps(sign, _mm256_sub_ps(t, r));
    const __m256 one = _mm256_or_ps(_mm256_and_ps(sign, t), _mm256_set1_ps(1.0f));
    const __m256 up = _mm256_cmp_ps(d, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
    return _mm256_add_ps(r, _mm256_and_ps(up, one));
}

static inline float hmin(__m256 v)
{
    __m128 s = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_min_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_min_ss(s, _mm_movehdup_ps(s)));
}
static inline float hmax(__m256 v)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
}

static inline __m256i lane_mask(size_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static void zero_bytes(uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        _mm256_storeu_si256((__m256i *)(void *)(p + i), _mm256_setzero_si256());
    for (; i < n; i++)
        p[i] = 0;
}

/* 8 floats -> 8 bytes; `n` < 8 writes only the first n */
static inline void quant8(const float *a, uint8_t *q, size_t n, __m256 inv, __m256 z)
{
    const __m256 x = n >= 8 ? _mm256_loadu_ps(a) : _mm256_maskload_ps(a, lane_mask(n));
    __m256 v = _mm256_add_ps(round_half_away(_mm256_mul_ps(x, inv)), z);
    v = _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(255.0f));
    const __m256i i32 = _mm256_cvttps_epi32(v);
    /* the low byte of each int32, per 128-bit half, then the halves joined */
    const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m256i b = _mm256_shuffle_epi8(i32, pick);
    const __m128i bytes = _mm_unpacklo_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
    if (n >= 8) {
        _mm_storel_epi64((__m128i *)(void *)q, bytes);
    } else {
        uint8_t tmp[16];
        _mm_storeu_si128((__m128i *)(void *)tmp, bytes);
        for (size_t i = 0; i < n; i++)
            q[i] = tmp[i];
    }
}

void tr_qu8_quantize_rows__avx2(size_t M, size_t K, const float *A, size_t lda, uint8_t *Q,
                                size_t ldq, float *scale, int32_t *zp)
{
    const size_t kfull = K / 8 * 8;
    for (size_t m = 0; m < M; m++) {
        const float *a = A + m * lda;
        uint8_t *q = Q + m * ldq;
        __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
        for (size_t k = 0; k < kfull; k += 8) {
            const __m256 x = _mm256_loadu_ps(a + k);
            lo = _mm256_min_ps(x, lo);
            hi = _mm256_max_ps(x, hi);
        }
        if (kfull < K) {
            const __m256 x = _mm256_maskload_ps(a + kfull, lane_mask(K - kfull));
            lo = _mm256_min_ps(x, lo);
            hi = _mm256_max_ps(x, hi);
        }
        const float lo_s = hmin(lo), hi_s = hmax(hi);
        float s, inv, z;
        if (!tr_qu8_row_params(lo_s, hi_s, &s, &inv, &z)) {
            zero_bytes(q, ldq);
            scale[m] = 0.0f;
            zp[m] = 0;
            continue;
        }
        const __m256 invv = _mm256_set1_ps(inv), zv = _mm256_set1_ps(z);
        for (size_t k = 0; k < kfull; k += 8)
            quant8(a + k, q + k, 8, invv, zv);
        if (kfull < K)
            quant8(a + kfull, q + kfull, K - kfull, invv, zv);
        if (ldq > K)
            zero_bytes(q + K, ldq - K);
        scale[m] = s;
        zp[m] = (int32_t)z;
    }
}
