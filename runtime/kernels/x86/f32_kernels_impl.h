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
            for (size_t i = 0; i < mr; i++)
                for (size_t j = 0; j < nr; j++)
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

/* q . k over d floats */
static inline float dot(const float *a, const float *b, size_t d)
{
    vf s0 = vf_zero(), s1 = vf_zero();
    size_t c = 0;
    for (; c + 2 * VL <= d; c += 2 * VL) {
        s0 = vf_fmadd(vf_load(a + c), vf_load(b + c), s0);
        s1 = vf_fmadd(vf_load(a + c + VL), vf_load(b + c + VL), s1);
    }
    for (; c + VL <= d; c += VL)
        s0 = vf_fmadd(vf_load(a + c), vf_load(b + c), s0);
    if (c < d) {
        const vmask m = vmask_n(d - c);
        s1 = vf_fmadd(vf_loadm(a + c, m), vf_loadm(b + c, m), s1);
    }
    return vf_hsum(vf_add(s0, s1));
}

/* Per row: scores into p, max, exp and sum in one vector pass, then the
 * weighted sum of v rows with the 1/sum folded into the final store (one
 * multiply per output instead of one per probability). */
void TR_SFX(tr_f32_attention)(size_t len, size_t d, const float *q, size_t q_stride,
                              const float *k, size_t k_stride, const float *v, size_t v_stride,
                              float scale, int causal, float *out, size_t out_stride, float *p)
{
    for (size_t i = 0; i < len; i++) {
        const float *qi = q + i * q_stride;
        const size_t end = causal ? i + 1 : len;
        float mx = -__builtin_inff();
        for (size_t j = 0; j < end; j++) {
            p[j] = dot(qi, k + j * k_stride, d) * scale;
            mx = p[j] > mx ? p[j] : mx;
        }
        const vf mv = vf_set1(mx);
        vf sv = vf_zero();
        size_t j = 0;
        for (; j + VL <= end; j += VL) {
            vf e = vf_exp(vf_sub(vf_load(p + j), mv));
            vf_store(p + j, e);
            sv = vf_add(sv, e);
        }
        if (j < end) {
            const vmask m = vmask_n(end - j);
            vf e = vf_exp(vf_sub(vf_loadm(p + j, m), mv));
            vf_storem(p + j, m, e);
            /* lanes past end must not count: they are exp(0 - mx) here */
            sv = vf_add(sv, vf_loadm(p + j, m));
        }
        const vf inv = vf_set1(1.0f / vf_hsum(sv));
        float *oi = out + i * out_stride;
        for (size_t c = 0; c < d; c += 2 * VL) {
            const size_t left = d - c;
            const vmask m0 = vmask_n(left >= VL ? 0 : left);
            const vmask m1 = vmask_n(left >= 2 * VL ? 0 : (left > VL ? left - VL : 0));
            vf a0 = vf_zero(), a1 = vf_zero();
            if (left >= 2 * VL) {
                for (size_t t = 0; t < end; t++) {
                    const float *vt = v + t * v_stride + c;
                    const vf pt = vf_set1(p[t]);
                    a0 = vf_fmadd(pt, vf_load(vt), a0);
                    a1 = vf_fmadd(pt, vf_load(vt + VL), a1);
                }
                vf_store(oi + c, vf_mul(a0, inv));
                vf_store(oi + c + VL, vf_mul(a1, inv));
            } else if (left >= VL) {
                for (size_t t = 0; t < end; t++) {
                    const float *vt = v + t * v_stride + c;
                    const vf pt = vf_set1(p[t]);
                    a0 = vf_fmadd(pt, vf_load(vt), a0);
                    a1 = vf_fmadd(pt, vf_loadm(vt + VL, m1), a1);
                }
                vf_store(oi + c, vf_mul(a0, inv));
                vf_storem(oi + c + VL, m1, vf_mul(a1, inv));
            } else {
                for (size_t t = 0; t < end; t++)
                    a0 = vf_fmadd(vf_set1(p[t]), vf_loadm(v + t * v_stride + c, m0), a0);
                vf_storem(oi + c, m0, vf_mul(a0, inv));
            }
        }
    }
}
