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

/* Attention in blocks of ATT_R query rows against blocks of VL key rows,
 * with an online softmax (the flash-attention recurrence): per row a running
 * max m and sum l; the output rows (kept in `out` itself) are rescaled by
 * exp(m_old - m_new) before a block's p_j v_j are added. Why this shape:
 * - a head's k and v slices of a 256-token sequence (2 x 32 KiB at d = 32)
 *   do not fit in L1; they are walked once per ATT_R rows, not per row;
 * - each key block is transposed once (VL keys in the lanes) and shared by
 *   the ATT_R rows, so scores come out as vectors with no horizontal sums;
 * - ATT_R independent accumulators hide the FMA latency.
 * The caller's scratch is not needed. */
#if VL == 16
#define ATT_R 12 /* 32 registers: 24 accumulators in the weighted sum */
#define ATT_CB 2 /* column chunks per pass of the weighted sum */
#else
#define ATT_R 8 /* AVX2 has 16 registers: 8 accumulators */
#define ATT_CB 1
#endif

/* scores[r] lane j = q_r . k_j for the n (<= VL) keys at k */
static inline void block_scores(const float *const qr[ATT_R], const float *k, size_t k_stride,
                                size_t d, size_t n, vf scores[ATT_R])
{
    vf acc[ATT_R];
#pragma GCC unroll 12
    for (size_t r = 0; r < ATT_R; r++)
        acc[r] = vf_zero();
    for (size_t c0 = 0; c0 < d; c0 += VL) {
        const size_t w = d - c0 < VL ? d - c0 : VL;
        const vmask m = vmask_n(w);
        vf kt[VL];
        for (size_t j = 0; j < VL; j++)
            kt[j] = j < n ? vf_loadm(k + j * k_stride + c0, m) : vf_zero();
        vf_transpose(kt); /* kt[c] lane j = k_j[c0 + c] */
        for (size_t c = 0; c < w; c++) {
#pragma GCC unroll 12
            for (size_t r = 0; r < ATT_R; r++)
                acc[r] = vf_fmadd(vf_set1(qr[r][c0 + c]), kt[c], acc[r]);
        }
    }
#pragma GCC unroll 12
    for (size_t r = 0; r < ATT_R; r++)
        scores[r] = acc[r];
}

void TR_SFX(tr_f32_attention)(size_t len, size_t d, const float *q, size_t q_stride,
                              const float *k, size_t k_stride, const float *v, size_t v_stride,
                              float scale, int causal, float *out, size_t out_stride, float *scratch)
{
    (void)scratch;
    const vf scale_v = vf_set1(scale);
    for (size_t i0 = 0; i0 < len; i0 += ATT_R) {
        const size_t rn = len - i0 < ATT_R ? len - i0 : ATT_R;
        const size_t jend = causal ? i0 + rn : len;
        float m[ATT_R], l[ATT_R], corr[ATT_R];
        float pb[ATT_R][VL] __attribute__((aligned(64)));
        const float *qr[ATT_R];
        float *orow[ATT_R]; /* rows past rn alias row rn - 1 and are never stored */
        for (size_t r = 0; r < ATT_R; r++) {
            const size_t i = i0 + (r < rn ? r : rn - 1);
            qr[r] = q + i * q_stride;
            orow[r] = out + i * out_stride;
            m[r] = -__builtin_inff();
            l[r] = 0.0f;
        }
        for (size_t r = 0; r < rn; r++)
            for (size_t c = 0; c < d; c++)
                orow[r][c] = 0.0f;
        for (size_t j0 = 0; j0 < jend; j0 += VL) {
            const size_t n = jend - j0 < VL ? jend - j0 : VL;
            vf sc[ATT_R];
            block_scores(qr, k + j0 * k_stride, k_stride, d, n, sc);
            for (size_t r = 0; r < ATT_R; r++) {
                const size_t row_end = r >= rn ? 0 : (causal ? i0 + r + 1 : len);
                const size_t nv = row_end <= j0 ? 0 : (row_end - j0 < n ? row_end - j0 : n);
                if (nv == 0) { /* past rn, or a causal row that sees none of this block */
                    corr[r] = 1.0f;
                    vf_store(pb[r], vf_zero());
                    continue;
                }
                const vmask valid = vmask_n(nv);
                const vf s = vf_mul(sc[r], scale_v);
                const float bm = vf_hmax(vf_select(valid, vf_set1(-__builtin_inff()), s));
                const float mn = bm > m[r] ? bm : m[r];
                /* exp(m_old - m_new): 0 on the first block (m_old = -inf),
                 * 1 (no exp) in the usual case where the max did not move */
                if (mn == m[r]) {
                    corr[r] = 1.0f;
                } else if (m[r] == -__builtin_inff()) {
                    corr[r] = 0.0f;
                } else {
                    vf_store(pb[r], vf_exp(vf_set1(m[r] - mn)));
                    corr[r] = pb[r][0];
                }
                const vf e = vf_keep(valid, vf_exp(vf_sub(s, vf_set1(mn))));
                vf_store(pb[r], e);
                l[r] = l[r] * corr[r] + vf_hsum(e);
                m[r] = mn;
            }
            /* out_r = out_r * corr_r + sum_j p_rj v_j over ATT_CB column
             * chunks per pass */
            for (size_t c = 0; c < d; c += ATT_CB * VL) {
                vmask mk[ATT_CB];
                int full = 1;
                for (size_t b = 0; b < ATT_CB; b++) {
                    const size_t cb = c + b * VL;
                    const size_t w = cb >= d ? 0 : (d - cb < VL ? d - cb : VL);
                    mk[b] = vmask_n(w);
                    full &= w == VL;
                }
                vf acc[ATT_R][ATT_CB];
#pragma GCC unroll 12
                for (size_t r = 0; r < ATT_R; r++)
#pragma GCC unroll 2
                    for (size_t b = 0; b < ATT_CB; b++)
                        acc[r][b] = vf_mul(vf_loadm(orow[r] + c + b * VL, mk[b]), vf_set1(corr[r]));
                for (size_t t = 0; t < n; t++) {
                    const float *vt = v + (j0 + t) * v_stride + c;
                    vf vv[ATT_CB];
#pragma GCC unroll 2
                    for (size_t b = 0; b < ATT_CB; b++)
                        vv[b] = full ? vf_load(vt + b * VL) : vf_loadm(vt + b * VL, mk[b]);
#pragma GCC unroll 12
                    for (size_t r = 0; r < ATT_R; r++) {
                        const vf p = vf_set1(pb[r][t]);
#pragma GCC unroll 2
                        for (size_t b = 0; b < ATT_CB; b++)
                            acc[r][b] = vf_fmadd(p, vv[b], acc[r][b]);
                    }
                }
                /* constant bounds (fully unrolled) keep acc in registers */
#pragma GCC unroll 12
                for (size_t r = 0; r < ATT_R; r++)
#pragma GCC unroll 2
                    for (size_t b = 0; b < ATT_CB; b++)
                        if (r < rn)
                            vf_storem(orow[r] + c + b * VL, mk[b], acc[r][b]);
            }
        }
        for (size_t r = 0; r < rn; r++) {
            const float inv = 1.0f / l[r];
            for (size_t c = 0; c < d; c++)
                orow[r][c] *= inv;
        }
    }
}
