/* attention_bf16_avx512.c - attention of one head with bfloat16 products:
 * vdpbf16ps (AVX-512 BF16: Zen 4/5, Cooper Lake, Sapphire Rapids) does 32
 * multiply-adds per instruction where vfmadd231ps does 16, so both products
 * (scores and P V) take half the instructions of the f32 kernel.
 *
 * What is rounded: q, k, v and the unnormalized probabilities
 * exp(s - max) are rounded to bfloat16 (nearest even); their products are
 * exact in float and summed in float; the softmax (max, exp, sum) and the
 * final 1 / sum stay f32. tr_f32_attention_bf16__ref defines these numerics.
 * Models ask for it per ATTENTION node (options.bf16: the converter sets it
 * for int8 models, where it is far below the int8 activation noise: bf16
 * keeps 8 significant bits of each value, an int8 row keeps 8 bits of the
 * row's whole range); a kernel set without BF16 runs f32 attention instead.
 *
 * Layout, blocked as the f32 kernel (f32_kernels_impl.h): ATT_R query rows
 * at a time, scores against all keys, the row softmax, then P V. vdpbf16ps
 * multiplies PAIRS of bf16 in each 32-bit lane, so every operand is stored
 * as 32-bit pair words (low half = the even element):
 *   kt2 [dp][lp]     K transposed, channel pairs: lane j = (k_j[2c], k_j[2c+1])
 *   vt2 [lp/2][dv]   V, key pairs: lane c = (v_2j[c], v_2j+1[c])
 *   sc  [lp/VL][ATT_R][VL]  scores, then exp(s - max), f32
 *   pb  [ATT_R][lp/2] probabilities, key pairs
 *   qb  [ATT_R][dp]   the block's queries, channel pairs
 * with dp = ceil(d / 2), dv = d rounded up to 16, lp = keys rounded up to
 * 16; all padding is zero. Compiled with -mavx512f -mavx512bw -mavx512vl
 * -mavx512bf16 (CMakeLists.txt); called only when the CPU has AVX512_BF16. */
#include <string.h>

#define TR_SIMD_AVX512 1
#include "kernels/kernels.h"
#include "kernels/x86/f32_simd.h"
#include "kernels/x86/x86_kernels.h"

#define ATT_R 12 /* 24 accumulators + 2 operands + the broadcast */
#define ATT_NB 2 /* vectors of keys (scores) or channels (P V) per step */

/* exp(x) for the probabilities, which are rounded to bf16 (2^-9) right after:
 * a degree-4 polynomial on [-ln2/2, ln2/2] (least squares, 7.3e-6 relative
 * in double) instead of vf_exp's degree 7, one ln2 constant. x <= 0 here
 * (scores minus their row maximum); the clamp keeps absurd inputs finite. */
static inline vf att_exp_bf16(vf x)
{
    x = vf_max(x, vf_set1(-87.0f));
    const vf n = vf_round(vf_mul(x, vf_set1(1.44269504088896341f)));
    const vf r = vf_fnmadd(n, vf_set1(0.693147180559945309f), x);
    vf p = vf_set1(4.189472e-02f);
    p = vf_fmadd(p, r, vf_set1(1.6778206e-01f));
    p = vf_fmadd(p, r, vf_set1(4.9999086e-01f));
    p = vf_fmadd(p, r, vf_set1(9.9997126e-01f));
    p = vf_fmadd(p, r, vf_set1(1.00000005f));
    return vf_scale2(p, n);
}
#define ATT_EXP att_exp_bf16
#include "kernels/x86/attention_softmax_impl.h"

/* 16 floats -> their bf16 bits (nearest even) in the low half of 32-bit lanes */
static inline __m512i bf16_bits(vf x)
{
    return _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(x));
}
/* lane i = (lo_i, hi_i) as one bf16 pair */
static inline __m512i bf16_pair(vf lo, vf hi)
{
    return _mm512_or_si512(bf16_bits(lo), _mm512_slli_epi32(bf16_bits(hi), 16));
}

/* acc += pairwise products of a and b. Spelled in asm because GCC 12 does
 * not tie the accumulator of _mm512_dpbf16_ps to its output and copies it
 * around every instruction (the same as with vpdpbusd, see
 * qu8s8_gemm_avx512vnni.c). */
static inline vf dot2(vf acc, __m512i a, __m512i b)
{
    __asm__("vdpbf16ps %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
    return acc;
}

static void pack_k(size_t nk, size_t d, const float *k, size_t k_stride, uint32_t *kt2, size_t lp)
{
    for (size_t j0 = 0; j0 < lp; j0 += VL) {
        const size_t n = j0 >= nk ? 0 : (nk - j0 < VL ? nk - j0 : VL);
        for (size_t c0 = 0; c0 < d; c0 += VL) {
            const size_t w = d - c0 < VL ? d - c0 : VL;
            const vmask m = vmask_n(w);
            vf t[VL];
            for (size_t j = 0; j < VL; j++)
                t[j] = j < n ? vf_loadm(k + (j0 + j) * k_stride + c0, m) : vf_zero();
            vf_transpose(t); /* t[c] lane j = k_{j0+j}[c0+c]; zero for c >= w */
            for (size_t c = 0; c < w; c += 2)
                _mm512_storeu_si512(kt2 + (c0 + c) / 2 * lp + j0, bf16_pair(t[c], t[c + 1]));
        }
    }
}

static void pack_v(size_t nk, size_t d, const float *v, size_t v_stride, uint32_t *vt2, size_t dv)
{
    for (size_t jp = 0; jp < (nk + 1) / 2; jp++) {
        const float *v0 = v + 2 * jp * v_stride;
        const int has1 = 2 * jp + 1 < nk;
        for (size_t c0 = 0; c0 < dv; c0 += VL) {
            const vmask m = vmask_n(c0 >= d ? 0 : (d - c0 < VL ? d - c0 : VL));
            const vf lo = vf_loadm(v0 + c0, m);
            const vf hi = has1 ? vf_loadm(v0 + v_stride + c0, m) : vf_zero();
            _mm512_storeu_si512(vt2 + jp * dv + c0, bf16_pair(lo, hi));
        }
    }
}

/* qb[r][cp] for the rn rows at q; rows rn..ATT_R-1 repeat row rn - 1 (their
 * scores are computed and never used) */
static void pack_q(size_t d, const float *q, size_t q_stride, size_t rn, uint32_t *qb, size_t dp)
{
    for (size_t r = 0; r < ATT_R; r++) {
        const float *row = q + (r < rn ? r : rn - 1) * q_stride;
        for (size_t c0 = 0; c0 < d; c0 += 2 * VL) {
            const size_t w0 = d - c0 < VL ? d - c0 : VL;
            const size_t w1 = d - c0 <= VL ? 0 : (d - c0 - VL < VL ? d - c0 - VL : VL);
            const vf lo = vf_loadm(row + c0, vmask_n(w0)), hi = vf_loadm(row + c0 + VL, vmask_n(w1));
            /* 32 bf16 in channel order = 16 channel pairs */
            const __m512i pairs = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
            const size_t words = dp - c0 / 2 < VL ? dp - c0 / 2 : VL;
            _mm512_mask_storeu_epi32(qb + r * dp + c0 / 2, vmask_n(words), pairs);
        }
    }
}

static inline __attribute__((always_inline)) void scores_tile(size_t dp, const uint32_t *qb,
                                                              const uint32_t *kc, size_t lp,
                                                              vf sv, float *blk, size_t nb)
{
    vf acc[ATT_R][ATT_NB];
#pragma GCC unroll 12
    for (size_t r = 0; r < ATT_R; r++)
#pragma GCC unroll 2
        for (size_t b = 0; b < nb; b++)
            acc[r][b] = vf_zero();
    for (size_t cp = 0; cp < dp; cp++, kc += lp) {
        __m512i kv[ATT_NB];
#pragma GCC unroll 2
        for (size_t b = 0; b < nb; b++)
            kv[b] = _mm512_loadu_si512(kc + b * VL);
#pragma GCC unroll 12
        for (size_t r = 0; r < ATT_R; r++) {
            const __m512i qv = _mm512_set1_epi32((int)qb[r * dp + cp]);
#pragma GCC unroll 2
            for (size_t b = 0; b < nb; b++)
                acc[r][b] = dot2(acc[r][b], qv, kv[b]);
        }
    }
#pragma GCC unroll 2
    for (size_t b = 0; b < nb; b++)
#pragma GCC unroll 12
        for (size_t r = 0; r < ATT_R; r++)
            vf_store(blk + (b * ATT_R + r) * VL, vf_mul(acc[r][b], sv));
}

/* pb[r][jp] for the key pairs of blocks below ceil(jend / VL), all rows */
static void pack_p(const float *sc, size_t jend, uint32_t *pb, size_t lp)
{
    const size_t blocks = (jend + VL - 1) / VL;
    for (size_t r = 0; r < ATT_R; r++) {
        uint32_t *row = pb + r * (lp / 2);
        size_t jb = 0;
        for (; jb + 2 <= blocks; jb += 2) {
            const vf lo = vf_load(sc + (jb * ATT_R + r) * VL);
            const vf hi = vf_load(sc + ((jb + 1) * ATT_R + r) * VL);
            _mm512_storeu_si512(row + jb * VL / 2, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
        }
        if (jb < blocks) {
            const vf lo = vf_load(sc + (jb * ATT_R + r) * VL);
            _mm512_mask_storeu_epi32(row + jb * VL / 2, vmask_n(VL / 2),
                                     (__m512i)_mm512_cvtne2ps_pbh(vf_zero(), lo));
        }
    }
}

/* out_r[c0 .. c0 + ATT_NB VL) = inv_r sum over key pairs below ceil(jend/2) */
static inline void pv_tile(size_t d, size_t dv, size_t c0, const uint32_t *pb, size_t lp,
                           const uint32_t *vt2, size_t jend, const float inv[ATT_R],
                           float *const orow[ATT_R], size_t rn)
{
    vf acc[ATT_R][ATT_NB];
    vmask mk[ATT_NB];
    size_t nb = 0;
    for (size_t b = 0; b < ATT_NB; b++) {
        const size_t cb = c0 + b * VL;
        mk[b] = vmask_n(cb >= d ? 0 : (d - cb < VL ? d - cb : VL));
        nb += cb < dv;
    }
#pragma GCC unroll 12
    for (size_t r = 0; r < ATT_R; r++)
#pragma GCC unroll 2
        for (size_t b = 0; b < ATT_NB; b++)
            acc[r][b] = vf_zero();
    const size_t pairs = (jend + 1) / 2, half = lp / 2;
    if (nb == ATT_NB) {
        for (size_t jp = 0; jp < pairs; jp++) {
            const __m512i v0 = _mm512_loadu_si512(vt2 + jp * dv + c0);
            const __m512i v1 = _mm512_loadu_si512(vt2 + jp * dv + c0 + VL);
#pragma GCC unroll 12
            for (size_t r = 0; r < ATT_R; r++) {
                const __m512i p = _mm512_set1_epi32((int)pb[r * half + jp]);
                acc[r][0] = dot2(acc[r][0], p, v0);
                acc[r][1] = dot2(acc[r][1], p, v1);
            }
        }
    } else {
        for (size_t jp = 0; jp < pairs; jp++) {
            const __m512i v0 = _mm512_loadu_si512(vt2 + jp * dv + c0);
#pragma GCC unroll 12
            for (size_t r = 0; r < ATT_R; r++)
                acc[r][0] = dot2(acc[r][0], _mm512_set1_epi32((int)pb[r * half + jp]), v0);
        }
    }
#pragma GCC unroll 12
    for (size_t r = 0; r < ATT_R; r++)
#pragma GCC unroll 2
        for (size_t b = 0; b < ATT_NB; b++)
            if (r < rn)
                vf_storem(orow[r] + c0 + b * VL, mk[b], vf_mul(acc[r][b], vf_set1(inv[r])));
}

void tr_f32_attention_bf16__avx512(size_t len, size_t past, size_t d, const float *q,
                                   size_t q_stride, const float *k, size_t k_stride,
                                   const float *v, size_t v_stride, float scale, int causal,
                                   float *out, size_t out_stride, float *scratch)
{
    _Static_assert(ATT_R <= TR_ATTENTION_MAX_ROWS, "scratch covers the rows");
    if (len == 0 || d == 0)
        return;
    const size_t nk = past + len;
    const size_t lp = tr_round_up(nk, TR_ATTENTION_KEY_ROUND);
    const size_t dp = (d + 1) / 2, dv = tr_round_up(d, VL);
    uint32_t *kt2 = (uint32_t *)(void *)scratch;
    uint32_t *vt2 = kt2 + dp * lp;
    float *sc = (float *)(void *)(vt2 + lp / 2 * dv);
    uint32_t *pb = (uint32_t *)(void *)(sc + lp * ATT_R);
    uint32_t *qb = pb + ATT_R * (lp / 2);
    pack_k(nk, d, k, k_stride, kt2, lp);
    pack_v(nk, d, v, v_stride, vt2, dv);
    /* key pairs past nk up to lp / 2 stay unread: P V stops at ceil(jend/2) */
    const vf sv = vf_set1(scale);
    for (size_t i0 = 0; i0 < len; i0 += ATT_R) {
        const size_t rn = len - i0 < ATT_R ? len - i0 : ATT_R;
        const size_t jend = causal ? past + i0 + rn : nk;
        float *orow[ATT_R];
        float inv[ATT_R];
        for (size_t r = 0; r < ATT_R; r++) {
            orow[r] = out + (i0 + (r < rn ? r : rn - 1)) * out_stride;
            inv[r] = 0.0f;
        }
        pack_q(d, q + i0 * q_stride, q_stride, rn, qb, dp);
        const size_t jv = tr_round_up(jend, VL);
        size_t j0 = 0;
        for (; j0 + ATT_NB * VL <= jv; j0 += ATT_NB * VL)
            scores_tile(dp, qb, kt2 + j0, lp, sv, sc + j0 * ATT_R, ATT_NB);
        if (j0 < jv)
            scores_tile(dp, qb, kt2 + j0, lp, sv, sc + j0 * ATT_R, 1);
        float mx[ATT_R];
        for (size_t r = 0; r < rn; r++)
            mx[r] = att_row_max(sc, r, causal ? past + i0 + r + 1 : nk);
        for (size_t r = 0; r < rn; r++)
            inv[r] = att_row_exp(sc, r, causal ? past + i0 + r + 1 : nk, jend, mx[r]);
        pack_p(sc, jend, pb, lp);
        for (size_t c0 = 0; c0 < d; c0 += ATT_NB * VL)
            pv_tile(d, dv, c0, pb, lp, vt2, jend, inv, orow, rn);
    }
}
