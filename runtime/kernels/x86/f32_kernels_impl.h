/* f32_kernels_impl.h - the f32 kernels written once over the vector layer of
 * f32_simd.h and instantiated per ISA by f32_avx512.c / f32_avx2.c, which
 * define TR_SFX(name) (the __<arch> suffix) and TR_GEMM_MR before including
 * this file. Sums are in float (the reference works in double): the tests
 * hold them to 1e-5 relative. */
#include "format/schema_ids.h"
#include "kernels/kernels.h"
#include "kernels/x86/f32_simd.h"
#include "kernels/x86/x86_kernels.h"

#define TR_GEMM_NR 4

/* C = A W^T + bias, both operands read along k. A tile of TR_GEMM_MR rows x
 * 4 columns keeps MR*4 vector accumulators (AVX-512: 16 of 32 registers;
 * AVX2: 8 of 16) and reduces each one horizontally at the end. Edge tiles
 * repeat the last valid row/column pointer (reads stay in bounds) and store
 * only the valid part. */
void TR_GEMM_NAME(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *W,
                  size_t ldw, const float *bias, float *C, size_t ldc)
{
    const size_t kfull = K / VL * VL;
    const vmask tail = vmask_n(K - kfull);
    for (size_t m0 = 0; m0 < M; m0 += TR_GEMM_MR) {
        const size_t mr = M - m0 < TR_GEMM_MR ? M - m0 : TR_GEMM_MR;
        const float *a[TR_GEMM_MR];
        for (size_t i = 0; i < TR_GEMM_MR; i++)
            a[i] = A + (m0 + (i < mr ? i : mr - 1)) * lda;
        for (size_t n0 = 0; n0 < N; n0 += TR_GEMM_NR) {
            const size_t nr = N - n0 < TR_GEMM_NR ? N - n0 : TR_GEMM_NR;
            const float *w[TR_GEMM_NR];
            for (size_t j = 0; j < TR_GEMM_NR; j++)
                w[j] = W + (n0 + (j < nr ? j : nr - 1)) * ldw;
            vf acc[TR_GEMM_MR][TR_GEMM_NR];
#pragma GCC unroll 4
            for (size_t i = 0; i < TR_GEMM_MR; i++)
#pragma GCC unroll 4
                for (size_t j = 0; j < TR_GEMM_NR; j++)
                    acc[i][j] = vf_zero();
            for (size_t k = 0; k < kfull; k += VL) {
                vf wv[TR_GEMM_NR];
#pragma GCC unroll 4
                for (size_t j = 0; j < TR_GEMM_NR; j++)
                    wv[j] = vf_load(w[j] + k);
#pragma GCC unroll 4
                for (size_t i = 0; i < TR_GEMM_MR; i++) {
                    vf av = vf_load(a[i] + k);
#pragma GCC unroll 4
                    for (size_t j = 0; j < TR_GEMM_NR; j++)
                        acc[i][j] = vf_fmadd(av, wv[j], acc[i][j]);
                }
            }
            if (kfull < K) {
#pragma GCC unroll 4
                for (size_t i = 0; i < TR_GEMM_MR; i++) {
                    vf av = vf_loadm(a[i] + kfull, tail);
#pragma GCC unroll 4
                    for (size_t j = 0; j < TR_GEMM_NR; j++)
                        acc[i][j] = vf_fmadd(av, vf_loadm(w[j] + kfull, tail), acc[i][j]);
                }
            }
            /* constant bounds (fully unrolled) keep acc in registers */
#pragma GCC unroll 4
            for (size_t i = 0; i < TR_GEMM_MR; i++)
#pragma GCC unroll 4
                for (size_t j = 0; j < TR_GEMM_NR; j++)
                    if (i < mr && j < nr)
                        C[(m0 + i) * ldc + n0 + j] =
                            vf_hsum(acc[i][j]) + (bias ? bias[n0 + j] : 0.0f);
        }
    }
}

/* Sum of a row in vectors (two accumulators, then one horizontal sum). */
static inline float row_sum(const float *x, size_t n)
{
    vf s0 = vf_zero(), s1 = vf_zero();
    size_t i = 0;
    for (; i + 2 * VL <= n; i += 2 * VL) {
        s0 = vf_add(s0, vf_load(x + i));
        s1 = vf_add(s1, vf_load(x + i + VL));
    }
    for (; i + VL <= n; i += VL)
        s0 = vf_add(s0, vf_load(x + i));
    if (i < n)
        s1 = vf_add(s1, vf_loadm(x + i, vmask_n(n - i)));
    return vf_hsum(vf_add(s0, s1));
}

/* Sum of (x - c)^2 over a row; masked-out tail lanes load 0 and must not
 * count, hence the masked subtraction there. */
static inline float row_sqdev(const float *x, size_t n, float c)
{
    const vf cv = vf_set1(c);
    vf s0 = vf_zero(), s1 = vf_zero();
    size_t i = 0;
    for (; i + VL <= n; i += VL) {
        vf d = vf_sub(vf_load(x + i), cv);
        s0 = vf_fmadd(d, d, s0);
    }
    if (i < n) {
        const vmask m = vmask_n(n - i);
        vf d = vf_keep(m, vf_sub(vf_loadm(x + i, m), cv));
        s1 = vf_fmadd(d, d, s1);
    }
    return vf_hsum(vf_add(s0, s1));
}

void TR_SFX(tr_f32_layernorm)(size_t rows, size_t n, const float *x, const float *gamma,
                              const float *beta, float eps, float *y)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * n;
        float *yr = y + r * n;
        const float mean = row_sum(xr, n) / (float)n;
        const float var = row_sqdev(xr, n, mean) / (float)n; /* biased, as torch */
        const vf inv = vf_set1(1.0f / __builtin_sqrtf(var + eps));
        const vf mv = vf_set1(mean);
        for (size_t i = 0; i < n; i += VL) {
            const vmask m = vmask_n(n - i < VL ? n - i : 0);
            const int full = n - i >= VL;
            vf xv = full ? vf_load(xr + i) : vf_loadm(xr + i, m);
            vf g = full ? vf_load(gamma + i) : vf_loadm(gamma + i, m);
            vf v = vf_mul(vf_mul(vf_sub(xv, mv), inv), g);
            if (beta)
                v = vf_add(v, full ? vf_load(beta + i) : vf_loadm(beta + i, m));
            if (full)
                vf_store(yr + i, v);
            else
                vf_storem(yr + i, m, v);
        }
    }
}

void TR_SFX(tr_f32_rmsnorm)(size_t rows, size_t n, const float *x, const float *gamma, float eps,
                            float *y)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * n;
        float *yr = y + r * n;
        const float ss = row_sqdev(xr, n, 0.0f);
        const vf inv = vf_set1(1.0f / __builtin_sqrtf(ss / (float)n + eps));
        for (size_t i = 0; i < n; i += VL) {
            const int full = n - i >= VL;
            const vmask m = vmask_n(full ? 0 : n - i);
            vf xv = full ? vf_load(xr + i) : vf_loadm(xr + i, m);
            vf g = full ? vf_load(gamma + i) : vf_loadm(gamma + i, m);
            vf v = vf_mul(vf_mul(xv, inv), g);
            if (full)
                vf_store(yr + i, v);
            else
                vf_storem(yr + i, m, v);
        }
    }
}

static inline vf act_gelu_erf(vf x)
{
    return vf_mul(vf_mul(vf_set1(0.5f), x), vf_one_plus_erf(vf_mul(x, vf_set1(0.70710678118654752f))));
}
/* 0.5 x (1 + tanh(u)) == x / (1 + exp(-2u)): no cancellation for x < 0 */
static inline vf act_gelu_tanh(vf x)
{
    vf u = vf_mul(vf_set1(0.79788456080286535588f),
                  vf_fmadd(vf_mul(vf_set1(0.044715f), x), vf_mul(x, x), x));
    return vf_div(x, vf_add(vf_set1(1.0f), vf_exp(vf_mul(vf_set1(-2.0f), u))));
}
static inline vf act_silu(vf x)
{
    return vf_div(x, vf_add(vf_set1(1.0f), vf_exp(vf_sub(vf_zero(), x))));
}
static inline vf act_relu(vf x)
{
    return vf_max(x, vf_zero()); /* max(x, 0) gives 0 for -0 and NaN, as x > 0 ? x : 0 */
}
static inline vf act_copy(vf x)
{
    return x;
}

/* One loop per activation so that the switch is outside the loop. */
#define TR_ACT_LOOP(fn)                                                                           \
    do {                                                                                          \
        size_t i = 0;                                                                             \
        for (; i + VL <= n; i += VL)                                                              \
            vf_store(y + i, fn(vf_load(x + i)));                                                  \
        if (i < n) {                                                                              \
            const vmask m = vmask_n(n - i);                                                       \
            vf_storem(y + i, m, fn(vf_loadm(x + i, m)));                                          \
        }                                                                                         \
    } while (0)

void TR_SFX(tr_f32_activation)(int act, size_t n, const float *x, float *y)
{
    switch (act) {
    case TR_ACT_GELU_ERF: TR_ACT_LOOP(act_gelu_erf); break;
    case TR_ACT_GELU_TANH: TR_ACT_LOOP(act_gelu_tanh); break;
    case TR_ACT_RELU: TR_ACT_LOOP(act_relu); break;
    case TR_ACT_SILU: TR_ACT_LOOP(act_silu); break;
    case TR_ACT_TANH: TR_ACT_LOOP(vf_tanh); break;
    default:
        if (x != y)
            TR_ACT_LOOP(act_copy);
        break;
    }
}

void TR_SFX(tr_f32_add)(size_t n, const float *a, const float *b, float *y)
{
    size_t i = 0;
    for (; i + 2 * VL <= n; i += 2 * VL) {
        const vf s0 = vf_add(vf_load(a + i), vf_load(b + i));
        const vf s1 = vf_add(vf_load(a + i + VL), vf_load(b + i + VL));
        vf_store(y + i, s0);
        vf_store(y + i + VL, s1);
    }
    for (; i < n; i += VL) {
        const vmask m = vmask_n(n - i < VL ? n - i : VL);
        vf_storem(y + i, m, vf_add(vf_loadm(a + i, m), vf_loadm(b + i, m)));
    }
}

/* act(gate) into a small stack block by the activation kernel, then the
 * product: the activation loops are not instantiated a second time (the
 * x86 library has a size budget), and the block is still in L1. */
#define TR_GLU_BLOCK 256
void TR_SFX(tr_f32_glu)(int act, size_t n, const float *gate, const float *up, float *y)
{
    float a[TR_GLU_BLOCK];
    for (size_t i0 = 0; i0 < n; i0 += TR_GLU_BLOCK) {
        const size_t m = n - i0 < TR_GLU_BLOCK ? n - i0 : TR_GLU_BLOCK;
        TR_SFX(tr_f32_activation)(act, m, gate + i0, a);
        size_t i = 0;
        for (; i + VL <= m; i += VL)
            vf_store(y + i0 + i, vf_mul(vf_load(a + i), vf_load(up + i0 + i)));
        if (i < m) {
            const vmask k = vmask_n(m - i);
            vf_storem(y + i0 + i, k, vf_mul(vf_loadm(a + i, k), vf_loadm(up + i0 + i, k)));
        }
    }
}

void TR_SFX(tr_f32_vexp)(size_t n, const float *x, float *y)
{
    TR_ACT_LOOP(vf_exp);
}
void TR_SFX(tr_f32_verf)(size_t n, const float *x, float *y)
{
    TR_ACT_LOOP(vf_erf);
}
void TR_SFX(tr_f32_vtanh)(size_t n, const float *x, float *y)
{
    TR_ACT_LOOP(vf_tanh);
}

/* Attention of one head, blocked: ATT_R query rows at a time go through
 *   1. scores S = scale * Q K^T against all the keys they see,
 *   2. an exact softmax per row (max, exp, sum: whole vectors, one horizontal
 *      sum per row),
 *   3. out = (P V) / sum.
 * Both products are register-blocked (ATT_R rows x two vectors of keys or
 * columns, one broadcast per row and step: 24 independent FMAs per step on
 * AVX-512). Compared with an online (flash) softmax over key blocks, the
 * scores of a block of rows fit in L1 at these lengths, so there is no
 * per-key-block horizontal max/sum, no rescaling of the output rows and K is
 * transposed once per call instead of once per row block. The scratch
 * (tr_attention_scratch_floats) holds:
 *   kt [d][lp]       K transposed once per call (lp = len rounded up to 16,
 *                    zero past len), so that one load gives VL keys' c-th
 *                    components;
 *   sc [lp/VL][R][VL] the block's scores, then probabilities, interleaved by
 *                    key block so that row r of key j sits at a constant
 *                    offset from the key block: the compiler keeps one
 *                    pointer instead of one per row;
 *   qt [d][VL]       the block's query rows transposed, for the same reason.
 * Every row's arithmetic depends only on its own data and len (rows past the
 * end of the last block repeat its last row and are not stored), so results
 * do not depend on how the caller splits work. */
#if VL == 16
#define ATT_R 12 /* 32 registers: 24 accumulators + 2 operands */
#else
#define ATT_R 6 /* AVX2 has 16 registers: 12 accumulators + 2 operands + 1 broadcast */
#endif
#define ATT_NB 2 /* vectors of keys (scores) or columns (P V) per row and step */

/* kt[c][j] = k_j[c] for j < len, 0 for len <= j < lp (lp a multiple of VL) */
static void att_transpose_k(size_t len, size_t d, const float *k, size_t k_stride, float *kt,
                            size_t lp)
{
    for (size_t j0 = 0; j0 < lp; j0 += VL) {
        const size_t n = j0 >= len ? 0 : (len - j0 < VL ? len - j0 : VL);
        for (size_t c0 = 0; c0 < d; c0 += VL) {
            const size_t w = d - c0 < VL ? d - c0 : VL;
            const vmask m = vmask_n(w);
            vf t[VL];
            for (size_t j = 0; j < VL; j++)
                t[j] = j < n ? vf_loadm(k + (j0 + j) * k_stride + c0, m) : vf_zero();
            vf_transpose(t); /* t[c] lane j = k_{j0+j}[c0+c] */
            for (size_t c = 0; c < w; c++)
                vf_store(kt + (c0 + c) * lp + j0, t[c]);
        }
    }
}

/* qt[c][r] = q_r[c] for the rn (<= ATT_R <= VL) rows at q; rows rn..VL-1
 * repeat row rn - 1 (their scores are computed and never used) */
static inline void att_transpose_q(size_t d, const float *q, size_t q_stride, size_t rn, float *qt)
{
    for (size_t c0 = 0; c0 < d; c0 += VL) {
        const size_t w = d - c0 < VL ? d - c0 : VL;
        const vmask m = vmask_n(w);
        vf t[VL];
        for (size_t r = 0; r < VL; r++)
            t[r] = vf_loadm(q + (r < rn ? r : rn - 1) * q_stride + c0, m);
        vf_transpose(t); /* t[c] lane r = q_r[c0+c] */
        for (size_t c = 0; c < w; c++)
            vf_store(qt + (c0 + c) * VL, t[c]);
    }
}

/* One tile of scores: nb (1 or ATT_NB, a constant once inlined) vectors of
 * keys from kc (= kt + j0) for the ATT_R rows, scaled, into the sc blocks
 * from blk (= sc + (j0 / VL) ATT_R VL). */
static inline __attribute__((always_inline)) void att_scores_tile(size_t d, const float *qt,
                                                                  const float *kc, size_t lp,
                                                                  vf sv, float *blk, size_t nb)
{
    vf acc[ATT_R][ATT_NB];
#pragma GCC unroll 12
    for (size_t r = 0; r < ATT_R; r++)
#pragma GCC unroll 2
        for (size_t b = 0; b < nb; b++)
            acc[r][b] = vf_zero();
    for (size_t c = 0; c < d; c++, kc += lp, qt += VL) {
        vf kv[ATT_NB];
#pragma GCC unroll 2
        for (size_t b = 0; b < nb; b++)
            kv[b] = vf_load(kc + b * VL);
#pragma GCC unroll 12
        for (size_t r = 0; r < ATT_R; r++) {
            const vf qv = vf_set1(qt[r]);
#pragma GCC unroll 2
            for (size_t b = 0; b < nb; b++)
                acc[r][b] = vf_fmadd(qv, kv[b], acc[r][b]);
        }
    }
    /* constant bounds (fully unrolled) keep acc in registers */
#pragma GCC unroll 2
    for (size_t b = 0; b < nb; b++)
#pragma GCC unroll 12
        for (size_t r = 0; r < ATT_R; r++)
            vf_store(blk + (b * ATT_R + r) * VL, vf_mul(acc[r][b], sv));
}

/* sc block jb, row r, lane l = scale * q_r . k_{jb VL + l} for the keys
 * below round_up(jend, VL) (<= lp; padding keys are zero: finite) */
static void att_scores(size_t d, const float *qt, const float *kt, size_t lp, size_t jend,
                       float scale, float *sc)
{
    const vf sv = vf_set1(scale);
    const size_t jv = tr_round_up(jend, VL);
    size_t j0 = 0;
    for (; j0 + ATT_NB * VL <= jv; j0 += ATT_NB * VL)
        att_scores_tile(d, qt, kt + j0, lp, sv, sc + j0 * ATT_R, ATT_NB);
    if (j0 < jv) /* one vector of keys left: no work on a second one */
        att_scores_tile(d, qt, kt + j0, lp, sv, sc + j0 * ATT_R, 1);
}

#define ATT_EXP vf_exp
#include "kernels/x86/attention_softmax_impl.h"

/* out_r[c0 .. c0 + ATT_NB VL) = inv_r sum_{j < jend} p_rj v_j[...] for r < rn */
static inline void att_pv(size_t d, size_t c0, const float *sc, const float *v, size_t v_stride,
                          size_t jend, const float inv[ATT_R], float *const orow[ATT_R], size_t rn)
{
    vmask mk[ATT_NB];
    int full = 1;
    for (size_t b = 0; b < ATT_NB; b++) {
        const size_t cb = c0 + b * VL;
        const size_t w = cb >= d ? 0 : (d - cb < VL ? d - cb : VL);
        mk[b] = vmask_n(w);
        full &= w == VL;
    }
    vf acc[ATT_R][ATT_NB];
#pragma GCC unroll 12
    for (size_t r = 0; r < ATT_R; r++)
#pragma GCC unroll 2
        for (size_t b = 0; b < ATT_NB; b++)
            acc[r][b] = vf_zero();
    const float *vt = v + c0;
    for (size_t j0 = 0; j0 < jend; j0 += VL) {
        const size_t n = jend - j0 < VL ? jend - j0 : VL;
        const float *blk = sc + (j0 / VL) * ATT_R * VL;
        for (size_t t = 0; t < n; t++, vt += v_stride) {
            vf vv[ATT_NB];
#pragma GCC unroll 2
            for (size_t b = 0; b < ATT_NB; b++)
                vv[b] = full ? vf_load(vt + b * VL) : vf_loadm(vt + b * VL, mk[b]);
#pragma GCC unroll 12
            for (size_t r = 0; r < ATT_R; r++) {
                const vf p = vf_set1(blk[r * VL + t]);
#pragma GCC unroll 2
                for (size_t b = 0; b < ATT_NB; b++)
                    acc[r][b] = vf_fmadd(p, vv[b], acc[r][b]);
            }
        }
    }
#pragma GCC unroll 12
    for (size_t r = 0; r < ATT_R; r++)
#pragma GCC unroll 2
        for (size_t b = 0; b < ATT_NB; b++)
            if (r < rn)
                vf_storem(orow[r] + c0 + b * VL, mk[b], vf_mul(acc[r][b], vf_set1(inv[r])));
}

/* len query rows over past + len keys: query row i is key row past + i (the
 * first past keys are a decoder's cached prefix). */
void TR_SFX(tr_f32_attention)(size_t len, size_t past, size_t d, const float *q, size_t q_stride,
                              const float *k, size_t k_stride, const float *v, size_t v_stride,
                              float scale, int causal, float *out, size_t out_stride, float *scratch)
{
    _Static_assert(ATT_R <= VL && VL <= TR_ATTENTION_MAX_ROWS, "scratch covers the rows");
    _Static_assert(VL <= TR_ATTENTION_KEY_ROUND, "scratch formula rounds len enough");
    if (len == 0 || d == 0)
        return;
    const size_t nk = past + len;
    const size_t lp = tr_round_up(nk, TR_ATTENTION_KEY_ROUND);
    float *kt = scratch, *sc = kt + d * lp, *qt = sc + lp * ATT_R;
    att_transpose_k(nk, d, k, k_stride, kt, lp);
    for (size_t i0 = 0; i0 < len; i0 += ATT_R) {
        const size_t rn = len - i0 < ATT_R ? len - i0 : ATT_R;
        const size_t jend = causal ? past + i0 + rn : nk;
        float *orow[ATT_R]; /* rows past rn alias row rn - 1 and are never stored */
        float inv[ATT_R];
        for (size_t r = 0; r < ATT_R; r++) {
            orow[r] = out + (i0 + (r < rn ? r : rn - 1)) * out_stride;
            inv[r] = 0.0f;
        }
        att_transpose_q(d, q + i0 * q_stride, q_stride, rn, qt);
        att_scores(d, qt, kt, lp, jend, scale, sc);
        float mx[ATT_R];
        for (size_t r = 0; r < rn; r++)
            mx[r] = att_row_max(sc, r, causal ? past + i0 + r + 1 : nk);
        for (size_t r = 0; r < rn; r++)
            inv[r] = att_row_exp(sc, r, causal ? past + i0 + r + 1 : nk, jend, mx[r]);
        for (size_t c0 = 0; c0 < d; c0 += ATT_NB * VL)
            att_pv(d, c0, sc, v, v_stride, jend, inv, orow, rn);
    }
}
