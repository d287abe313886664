/* qu8_quantize_avx512.c - per-row uint8 quantization (kernels.h contract),
 * bit-identical to tr_qu8_quantize_rows__ref:
 * - min/max: vminps(x, lo) is exactly `x < lo ? x : lo` (it returns the
 *   second operand on equality and NaN), so lanes never pick up -0 or NaN
 *   and the lane order of the final reduction cannot change the result;
 * - scale, inverse and zero point are the same scalar float expressions;
 * - roundf (half away from zero) from a truncation: r = trunc(t), and
 *   t - r is exact, so |t - r| >= 0.5 decides the step away from zero
 *   (vroundps' nearest mode would round ties to even). */
#include <immintrin.h>
#include <math.h>

#include "kernels/kernels.h"
#include "kernels/x86/x86_kernels.h"

static inline __m512 round_half_away(__m512 t)
{
    const __m512 r = _mm512_roundscale_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m512i absmask = _mm512_set1_epi32(0x7fffffff);
    const __m512 d = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(_mm512_sub_ps(t, r)), absmask));
    /* copysign(1, t) */
    const __m512 one = _mm512_castsi512_ps(_mm512_or_si512(
        _mm512_andnot_si512(absmask, _mm512_castps_si512(t)), _mm512_castps_si512(_mm512_set1_ps(1.0f))));
    const __mmask16 up = _mm512_cmp_ps_mask(d, _mm512_set1_ps(0.5f), _CMP_GE_OQ);
    return _mm512_mask_add_ps(r, up, r, one);
}

static void zero_bytes(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i += 64) {
        const size_t left = n - i;
        const __mmask64 m = left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1);
        _mm512_mask_storeu_epi8(p + i, m, _mm512_setzero_si512());
    }
}

/* 16 floats -> 16 bytes of q (the first `m` lanes) */
static inline void quant16(const float *a, uint8_t *q, __mmask16 m, __m512 inv, __m512 z)
{
    const __m512 x = _mm512_maskz_loadu_ps(m, a);
    __m512 v = _mm512_add_ps(round_half_away(_mm512_mul_ps(x, inv)), z);
    v = _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), _mm512_set1_ps(255.0f));
    _mm512_mask_cvtepi32_storeu_epi8(q, m, _mm512_cvttps_epi32(v));
}

void tr_qu8_quantize_rows__avx512(size_t M, size_t K, const float *A, size_t lda, uint8_t *Q,
                                  size_t ldq, float *scale, int32_t *zp)
{
    const size_t kfull = K / 16 * 16;
    const __mmask16 tail = (__mmask16)((1u << (K - kfull)) - 1u);
    for (size_t m = 0; m < M; m++) {
        const float *a = A + m * lda;
        uint8_t *q = Q + m * ldq;
        __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
        for (size_t k = 0; k < kfull; k += 16) {
            const __m512 x = _mm512_loadu_ps(a + k);
            lo = _mm512_min_ps(x, lo);
            hi = _mm512_max_ps(x, hi);
        }
        if (tail) {
            const __m512 x = _mm512_maskz_loadu_ps(tail, a + kfull);
            lo = _mm512_mask_min_ps(lo, tail, x, lo);
            hi = _mm512_mask_max_ps(hi, tail, x, hi);
        }
        const float lo_s = _mm512_reduce_min_ps(lo), hi_s = _mm512_reduce_max_ps(hi);
        float s, inv, z;
        if (!tr_qu8_row_params(lo_s, hi_s, &s, &inv, &z)) {
            zero_bytes(q, ldq);
            scale[m] = 0.0f;
            zp[m] = 0;
            continue;
        }
        const __m512 invv = _mm512_set1_ps(inv), zv = _mm512_set1_ps(z);
        for (size_t k = 0; k < kfull; k += 16)
            quant16(a + k, q + k, 0xffff, invv, zv);
        if (tail)
            quant16(a + kfull, q + kfull, tail, invv, zv);
        if (ldq > K)
            zero_bytes(q + K, ldq - K);
        scale[m] = s;
        zp[m] = (int32_t)z;
    }
}
