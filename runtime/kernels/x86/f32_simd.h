/* f32_simd.h - a thin vector layer so that the f32 kernels are written once
 * (f32_kernels_impl.h) and compiled for AVX-512 (16 lanes) and AVX2+FMA (8
 * lanes). The includer defines TR_SIMD_AVX512 or TR_SIMD_AVX2. Tails use
 * masked loads (zero fill) and masked stores, which never touch memory past
 * the end. Also the vector exp / erf / tanh used by softmax and activations. */
#ifndef TR_F32_SIMD_H
#define TR_F32_SIMD_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#if defined(TR_SIMD_AVX512)
typedef __m512 vf;
typedef __m512i vi;
typedef __mmask16 vmask; /* lanes in range (tails) */
typedef __mmask16 vcond; /* result of a comparison */
#define VL 16
static inline vmask vmask_n(size_t n) { return (vmask)((1u << n) - 1u); }
static inline vf vf_zero(void) { return _mm512_setzero_ps(); }
static inline vf vf_set1(float x) { return _mm512_set1_ps(x); }
static inline vf vf_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline vf vf_loadm(const float *p, vmask m) { return _mm512_maskz_loadu_ps(m, p); }
static inline vf vf_keep(vmask m, vf v) { return _mm512_maskz_mov_ps(m, v); /* other lanes 0 */ }
static inline vf vf_select(vmask m, vf if_out, vf if_in) { return _mm512_mask_blend_ps(m, if_out, if_in); }
static inline void vf_storem(float *p, vmask m, vf v) { _mm512_mask_storeu_ps(p, m, v); }
static inline vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
static inline vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }
static inline vf vf_min(vf a, vf b) { return _mm512_min_ps(a, b); }
static inline vf vf_fmadd(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf vf_fnmadd(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); }
static inline vf vf_fmsub(vf a, vf b, vf c) { return _mm512_fmsub_ps(a, b, c); }
static inline vf vf_round(vf a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
static inline vcond vf_lt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
static inline vf vf_blend(vcond c, vf if_false, vf if_true) { return _mm512_mask_blend_ps(c, if_false, if_true); }
/* integer forms: the _ps logic ops would need AVX512DQ */
static inline vf vf_and(vf a, vf b) { return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_castps_si512(b))); }
static inline vf vf_andnot(vf a, vf b) { return _mm512_castsi512_ps(_mm512_andnot_si512(_mm512_castps_si512(a), _mm512_castps_si512(b))); }
static inline vf vf_xor(vf a, vf b) { return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_castps_si512(b))); }
static inline float vf_hsum(vf a) { return _mm512_reduce_add_ps(a); }
static inline float vf_hmax(vf a) { return _mm512_reduce_max_ps(a); }
/* In-place transpose of a 16x16 block (r[j] lane c -> r[c] lane j):
 * pairs, quads within 128-bit chunks, then the chunks (64 shuffles). */
static inline void vf_transpose(vf r[VL])
{
    vf t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) { /* u[4i+k], chunk L: column 4L+k of rows 4i..4i+3 */
        u[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int k = 0; k < 4; k++) {
        const vf v0 = _mm512_shuffle_f32x4(u[k], u[4 + k], 0x88);
        const vf v1 = _mm512_shuffle_f32x4(u[k], u[4 + k], 0xDD);
        const vf v2 = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0x88);
        const vf v3 = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0xDD);
        r[k] = _mm512_shuffle_f32x4(v0, v2, 0x88);
        r[8 + k] = _mm512_shuffle_f32x4(v0, v2, 0xDD);
        r[4 + k] = _mm512_shuffle_f32x4(v1, v3, 0x88);
        r[12 + k] = _mm512_shuffle_f32x4(v1, v3, 0xDD);
    }
}
/* 2^n for integral n in [-126, 127], as float bits */
static inline vf vf_pow2i(vf n)
{
    vi e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_castsi512_ps(e);
}
/* p * 2^n for integral n in [-126, 127]: one vscalefps, the same result as
 * p * vf_pow2i(n) (an exact power-of-two scaling) in one op instead of four */
static inline vf vf_scale2(vf p, vf n) { return _mm512_scalef_ps(p, n); }
#elif defined(TR_SIMD_AVX2)
typedef __m256 vf;
typedef __m256i vi;
typedef __m256i vmask;
typedef __m256 vcond;
#define VL 8
static inline vmask vmask_n(size_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline vf vf_zero(void) { return _mm256_setzero_ps(); }
static inline vf vf_set1(float x) { return _mm256_set1_ps(x); }
static inline vf vf_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm256_storeu_ps(p, v); }
static inline vf vf_loadm(const float *p, vmask m) { return _mm256_maskload_ps(p, m); }
static inline vf vf_keep(vmask m, vf v) { return _mm256_and_ps(_mm256_castsi256_ps(m), v); }
static inline vf vf_select(vmask m, vf if_out, vf if_in) { return _mm256_blendv_ps(if_out, if_in, _mm256_castsi256_ps(m)); }
static inline void vf_storem(float *p, vmask m, vf v) { _mm256_maskstore_ps(p, m, v); }
static inline vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
static inline vf vf_max(vf a, vf b) { return _mm256_max_ps(a, b); }
static inline vf vf_min(vf a, vf b) { return _mm256_min_ps(a, b); }
static inline vf vf_fmadd(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf vf_fnmadd(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); }
static inline vf vf_fmsub(vf a, vf b, vf c) { return _mm256_fmsub_ps(a, b, c); }
static inline vf vf_round(vf a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
static inline vcond vf_lt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static inline vf vf_blend(vcond c, vf if_false, vf if_true) { return _mm256_blendv_ps(if_false, if_true, c); }
static inline vf vf_and(vf a, vf b) { return _mm256_and_ps(a, b); }
static inline vf vf_andnot(vf a, vf b) { return _mm256_andnot_ps(a, b); }
static inline vf vf_xor(vf a, vf b) { return _mm256_xor_ps(a, b); }
static inline float vf_hsum(vf a)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
static inline float vf_hmax(vf a)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
/* In-place transpose of an 8x8 block (24 shuffles). */
static inline void vf_transpose(vf r[VL])
{
    vf t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
        u[4 * i + 0] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int k = 0; k < 4; k++) {
        r[k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x20);
        r[4 + k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x31);
    }
}
static inline vf vf_pow2i(vf n)
{
    vi e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_castsi256_ps(e);
}
static inline vf vf_scale2(vf p, vf n) { return vf_mul(p, vf_pow2i(n)); }
#else
#error "define TR_SIMD_AVX512 or TR_SIMD_AVX2 before including f32_simd.h"
#endif

static inline vf vf_abs(vf a) { return vf_andnot(vf_set1(-0.0f), a); /* clears the sign bit */ }
static inline vf vf_sign(vf a) { return vf_and(a, vf_set1(-0.0f)); }

/* exp(x): n = round(x / ln2), r = x - n ln2 in two parts (Cody-Waite: the
 * high part has few bits so n * hi is exact), exp(r) by its Taylor series to
 * r^7 (|r| <= ln2/2: the first dropped term is below 5e-9 relative), then
 * times 2^n. Arguments are clamped to [-87, 88] (exp(-87) is near FLT_MIN: a
 * softmax term that small is nothing next to the maximum, which is 1). */
static inline vf vf_exp(vf x)
{
    x = vf_min(vf_max(x, vf_set1(-87.0f)), vf_set1(88.0f));
    vf n = vf_round(vf_mul(x, vf_set1(1.44269504088896341f)));
    vf r = vf_fnmadd(n, vf_set1(0.693359375f), x);
    r = vf_fnmadd(n, vf_set1(-2.12194440e-4f), r);
    vf p = vf_set1(1.0f / 5040.0f);
    p = vf_fmadd(p, r, vf_set1(1.0f / 720.0f));
    p = vf_fmadd(p, r, vf_set1(1.0f / 120.0f));
    p = vf_fmadd(p, r, vf_set1(1.0f / 24.0f));
    p = vf_fmadd(p, r, vf_set1(1.0f / 6.0f));
    p = vf_fmadd(p, r, vf_set1(0.5f));
    p = vf_fmadd(p, r, vf_set1(1.0f));
    p = vf_fmadd(p, r, vf_set1(1.0f));
    return vf_scale2(p, n);
}

/* erf and erfc need two ranges, both fitted by Chebyshev interpolation in
 * double (then rounded to float; max relative error of the fits ~3e-8 and
 * ~6e-8): for |z| < 1, erf(z) = z P(t) with t = 2 z^2 - 1; for 1 <= a = |z|
 * <= 6.5, erfc(a) = exp(-a^2) G(t) with t = (1/a - 0.5769) / 0.4231 (exp(a^2)
 * erfc(a) is smooth and nearly linear in 1/a). exp(-a^2) uses the exact
 * product error of a^2 (fma), or its rounding would cost 1e-6 at a = 4. */
static inline vf vf_horner(vf t, const float *c, int n)
{
    vf p = vf_set1(c[n - 1]);
    for (int i = n - 2; i >= 0; i--)
        p = vf_fmadd(p, t, vf_set1(c[i]));
    return p;
}
static const float tr_erf_small[7] = {9.654687643e-01f,  -1.405360997e-01f, 1.985249668e-02f,
                                      -2.285419498e-03f, 2.175135451e-04f,  -1.766906826e-05f,
                                      1.230605449e-06f};
static const float tr_erfc_large[11] = {
    2.871707678e-01f,  1.688720137e-01f, -3.191969544e-02f, 2.884358168e-03f,
    1.160953077e-03f,  -8.208291838e-04f, 2.975558455e-04f, -6.778755778e-05f,
    -6.052344361e-06f, 2.119293822e-05f, -8.905572940e-06f};

/* erfc(a) for a >= 1 (a clamped to 6.5, where erfc is 3e-20) */
static inline vf vf_erfc_ge1(vf a)
{
    a = vf_min(a, vf_set1(6.5f));
    vf t = vf_mul(vf_sub(vf_div(vf_set1(1.0f), a), vf_set1(5.769230769e-01f)), vf_set1(1.0f / 4.230769231e-01f));
    vf g = vf_horner(t, tr_erfc_large, 11);
    vf hi = vf_mul(a, a);
    vf lo = vf_fmsub(a, a, hi); /* a*a - hi, exactly */
    vf e = vf_exp(vf_sub(vf_zero(), hi));
    e = vf_fnmadd(e, lo, e); /* exp(-hi - lo) ~ exp(-hi) (1 - lo) */
    return vf_mul(e, g);
}

/* erfc(a) = exp(-a^2) erfcx(a) for 0 <= a (clamped to 6.5, where erfc is
 * 3e-20): erfcx is smooth and positive on the whole range, so one
 * polynomial in u = alpha / (1 + 0.4 a) + beta (t = 1 / (1 + 0.4 a) mapped
 * onto [-1, 1]) fits it: a Chebyshev fit of degree 8 in double, 4.4e-8
 * relative, 6.2e-7 once evaluated in float (numpy, 400001 points). */
static const float tr_erfcx_poly[9] = {
    3.364117444e-01f,  3.929128051e-01f,  1.955932826e-01f, 6.448696554e-02f, 1.139036752e-02f,
    -2.893955680e-04f, -5.165772745e-04f, -1.323138713e-05f, 2.399659206e-05f};
static inline vf vf_erfc_nonneg(vf a)
{
    a = vf_min(a, vf_set1(6.5f));
    vf t = vf_div(vf_set1(1.0f), vf_fmadd(a, vf_set1(0.4f), vf_set1(1.0f)));
    vf u = vf_fmadd(t, vf_set1(2.769230843e+00f), vf_set1(-1.769230723e+00f));
    vf g = vf_horner(u, tr_erfcx_poly, 9);
    vf hi = vf_mul(a, a);
    vf lo = vf_fmsub(a, a, hi); /* a*a - hi, exactly */
    vf e = vf_exp(vf_sub(vf_zero(), hi));
    e = vf_fnmadd(e, lo, e); /* exp(-hi - lo) ~ exp(-hi) (1 - lo) */
    return vf_mul(e, g);
}

/* 1 + erf(z) = erfc(-z), accurate in relative terms also where it is tiny
 * (z << 0): GELU needs exactly this. One range, no branch: 2 - erfc(z) for
 * z >= 0 (erfc <= 1 there: no cancellation), erfc(|z|) below. */
static inline vf vf_one_plus_erf(vf z)
{
    vf c = vf_erfc_nonneg(vf_abs(z));
    return vf_blend(vf_lt(z, vf_zero()), vf_sub(vf_set1(2.0f), c), c);
}

static inline vf vf_erf(vf z)
{
    vf a = vf_abs(z);
    vf t = vf_fmsub(vf_set1(2.0f), vf_mul(z, z), vf_set1(1.0f));
    vf small = vf_mul(z, vf_horner(vf_min(t, vf_set1(1.0f)), tr_erf_small, 7));
    vf large = vf_xor(vf_sub(vf_set1(1.0f), vf_erfc_ge1(vf_max(a, vf_set1(1.0f)))), vf_sign(z));
    return vf_blend(vf_lt(a, vf_set1(1.0f)), large, small);
}

/* tanh: x P(t), t = 2 x^2 / 0.390625 - 1 for |x| < 0.625 (Chebyshev fit,
 * ~3e-8), else sign(x) (1 - 2 / (exp(2|x|) + 1)), which has no cancellation
 * there (tanh >= 0.55). */
static const float tr_tanh_small[7] = {9.396094680e-01f,  -5.602212995e-02f, 4.048424773e-03f,
                                       -2.964827872e-04f, 2.174338442e-05f,  -1.610023105e-06f,
                                       1.180963807e-07f};
static inline vf vf_tanh(vf x)
{
    vf a = vf_abs(x);
    vf t = vf_fmsub(vf_set1(2.0f / 0.390625f), vf_mul(x, x), vf_set1(1.0f));
    vf small = vf_mul(x, vf_horner(vf_min(t, vf_set1(1.0f)), tr_tanh_small, 7));
    vf e = vf_exp(vf_add(a, a));
    vf large = vf_sub(vf_set1(1.0f), vf_div(vf_set1(2.0f), vf_add(e, vf_set1(1.0f))));
    large = vf_xor(large, vf_sign(x));
    return vf_blend(vf_lt(a, vf_set1(0.625f)), large, small);
}

#endif
