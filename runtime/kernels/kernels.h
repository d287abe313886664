/* kernels.h - the compute kernels behind the operators, chosen per CPU at run
 * time. Names follow XNNPACK's <type>_<op>_ukernel_<tile>__<arch> habit:
 * the portable reference kernels (kernels/ref) are the ground truth that every
 * optimized variant is tested against (bit-exact in the integer part).
 *
 * Conventions: row-major matrices with explicit strides in elements; a weight
 * W is [N][K] (output channel major, as PyTorch Linear stores it). */
#ifndef TR_KERNELS_H
#define TR_KERNELS_H

#include <stddef.h>
#include <math.h>
#include <stdint.h>

/* The signature of f32_attention and f32_attention_bf16 (below). */
typedef void (*tr_f32_attention_fn)(size_t len, size_t past, size_t d, const float *q,
                                    size_t q_stride, const float *k, size_t k_stride,
                                    const float *v, size_t v_stride, float scale, int causal,
                                    float *out, size_t out_stride, float *scratch);

typedef struct tr_kernels {
    const char *name; /* e.g. "ref" */

    /* C[m][n] = sum_k A[m][k] * W[n][k] + (bias ? bias[n] : 0) */
    void (*f32_gemm)(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *W,
                     size_t ldw, const float *bias, float *C, size_t ldc);

    /* Asymmetric per-row quantization to uint8 (the range always holds 0, so
     * that 0 is exact): lo = min(0, min_k A), hi = max(0, max_k A),
     * scale[m] = (hi - lo) / 255, zp[m] = round(-lo / scale) in [0, 255],
     * Q = clamp(round(A / scale) + zp, 0, 255) (round half away from zero);
     * an all-zero row gets scale 0, zp 0 and zeros; a NaN element gives 0. Bytes K..ldq-1 of each
     * row are set to 0. Asymmetric because the
     * inputs of half the matrices (after GELU) are nearly all positive:
     * symmetric int8 would waste half its codes there. */
    void (*qu8_quantize_rows)(size_t M, size_t K, const float *A, size_t lda, uint8_t *Q,
                              size_t ldq, float *scale, int32_t *zp);

    /* ACC[m][n] = sum_k Q[m][k] * W[n][k] (uint8 x int8 -> int32, exact), then
     * C[m][n] = (float)(ACC - zp[m] * w_sum[n]) * (a_scale[m] * w_scale[n])
     *           + (bias ? bias[n] : 0),
     * with w_sum[n] = sum_k W[n][k] (stored in the model) and w_scale one
     * scale per output channel. W is packed N16K4 (see tinyrank.fbs and
     * tr_n16k4_index) with kp = round_up(K, 4); a caller may pass a range of
     * 16-channel blocks by offsetting W by (n0 / 16) * kp * 16 bytes and the
     * per-channel arrays by n0. Q rows hold ldq >= round_up(K, 64) bytes whose
     * tail past K is zero (tr_qu8_quantize_rows writes it), so that kernels
     * may read whole 4- or 64-byte groups. K <= 32768 keeps ACC and also
     * ACC - zp * w_sum (each at most 255 * 127 * K in magnitude) in int32,
     * which the SIMD kernels compute in 32-bit lanes. */
    void (*qu8s8_gemm)(size_t M, size_t N, size_t K, const uint8_t *Q, size_t ldq,
                       const float *a_scale, const int32_t *a_zp, const int8_t *W,
                       const float *w_scale, const int32_t *w_sum, const float *bias, float *C,
                       size_t ldc);

    /* Row-wise float ops. Optimized versions must stay within 1e-5 relative
     * of the reference (which works in double). */
    void (*f32_layernorm)(size_t rows, size_t n, const float *x, const float *gamma,
                          const float *beta, float eps, float *y);
    void (*f32_rmsnorm)(size_t rows, size_t n, const float *x, const float *gamma, float eps,
                        float *y);
    /* y[i] = act(x[i]) for act a TR_ACT_* (x == y allowed). */
    void (*f32_activation)(int act, size_t n, const float *x, float *y);
    /* y[i] = a[i] + b[i] (y may be a or b): residual connections. Exact. */
    void (*f32_add)(size_t n, const float *a, const float *b, float *y);
    /* y[i] = act(gate[i]) * up[i], the gated linear unit (SwiGLU, gated
     * GELU); y may be gate or up. Within 1e-5 relative of the reference. */
    void (*f32_glu)(int act, size_t n, const float *gate, const float *up, float *y);

    /* Attention of one head over one sequence: len query rows, past + len
     * key/value rows (the first `past` keys come before query row 0: a
     * decoder's cached prompt prefix). For each row i, p = softmax(scale *
     * q_i . k_j for j < (causal ? past + i + 1 : past + len)), out_i =
     * sum_j p_j v_j. Rows are d floats at the given strides; scratch holds
     * tr_attention_scratch_floats(past + len, d) floats (the reference uses
     * past + len of them; blocked kernels keep K transposed and a block of
     * scores there). */
    void (*f32_attention)(size_t len, size_t past, size_t d, const float *q, size_t q_stride,
                          const float *k,
                          size_t k_stride, const float *v, size_t v_stride, float scale, int causal,
                          float *out, size_t out_stride, float *scratch);
    /* The same attention where the model allows bfloat16 products
     * (ATTENTION options.bf16; numerics: tr_f32_attention_bf16__ref). NULL
     * in a set whose CPU has no bf16 dot product: the op then runs
     * f32_attention, which is only more exact. */
    void (*f32_attention_bf16)(size_t len, size_t past, size_t d, const float *q,
                               size_t q_stride, const float *k, size_t k_stride, const float *v,
                               size_t v_stride, float scale, int causal, float *out,
                               size_t out_stride, float *scratch);
} tr_kernels;

/* The kernels this CPU runs best (this build: the reference kernels). */
const tr_kernels *tr_kernels_select(void);
/* Every kernel set this build has that this CPU can run (index 0 is the
 * reference); the differential tests walk them all. */
size_t tr_kernels_count(void);
const tr_kernels *tr_kernels_at(size_t i);
/* The portable reference kernels. */
const tr_kernels *tr_kernels_ref(void);

/* Reference kernels (kernels/ref), also used directly by tests. */
void tr_f32_gemm_ukernel_1x1__ref(size_t M, size_t N, size_t K, const float *A, size_t lda,
                                  const float *W, size_t ldw, const float *bias, float *C,
                                  size_t ldc);
void tr_qu8_quantize_rows__ref(size_t M, size_t K, const float *A, size_t lda, uint8_t *Q,
                               size_t ldq, float *scale, int32_t *zp);
void tr_qu8s8_gemm_ukernel_1x1__ref(size_t M, size_t N, size_t K, const uint8_t *Q, size_t ldq,
                                    const float *a_scale, const int32_t *a_zp, const int8_t *W,
                                    const float *w_scale, const int32_t *w_sum, const float *bias,
                                    float *C, size_t ldc);

/* The N16K4 packed int8 layout (see tinyrank.fbs). */
static inline size_t tr_round_up(size_t x, size_t m)
{
    return (x + m - 1) / m * m;
}
static inline size_t tr_n16k4_bytes(size_t n, size_t k)
{
    return tr_round_up(n, 16) * tr_round_up(k, 4);
}
static inline size_t tr_n16k4_index(size_t n, size_t k, size_t K)
{
    return ((n / 16) * (tr_round_up(K, 4) / 4) + k / 4) * 64 + (n % 16) * 4 + k % 4;
}
/* Scratch of f32_attention and f32_attention_bf16, the maximum over every
 * kernel set (so that the planner need not know which set runs). f32: K^T
 * [d][lp], scores of up to TR_ATTENTION_MAX_ROWS query rows [lp] and those
 * rows transposed [d]; bf16 (attention_bf16_avx512.c): K^T and V in pairs
 * (about d lp), scores [lp][12], probabilities in pairs [12][lp / 2] and
 * queries [12][d / 2]; lp = len rounded up to TR_ATTENTION_KEY_ROUND. */
#define TR_ATTENTION_MAX_ROWS 16
#define TR_ATTENTION_KEY_ROUND 16
static inline size_t tr_attention_scratch_floats(size_t len, size_t d)
{
    const size_t lp = (len + TR_ATTENTION_KEY_ROUND - 1) / TR_ATTENTION_KEY_ROUND *
                      TR_ATTENTION_KEY_ROUND;
    return lp * (d + 2 * TR_ATTENTION_MAX_ROWS) + TR_ATTENTION_MAX_ROWS * (d + 2);
}
/* The scale, its reciprocal and the zero point of a row whose minimum is
 * lo <= 0 and maximum hi >= 0, as tr_qu8_quantize_rows defines them. Every
 * quantizer (reference and SIMD) calls this one function so that they agree
 * bit for bit. Returns 0 for a row that quantizes to zeros (empty or
 * non-finite range), 1 otherwise. */
static inline int tr_qu8_row_params(float lo, float hi, float *scale, float *inv, float *zero)
{
    const float range = hi - lo;
    /* a denormal range would make 255/range infinite and the zero point NaN
     * (undefined when converted to an integer): such a row is zeros too */
    if (!(range > 0.0f) || !isfinite(range) || !isfinite(255.0f / range))
        return 0;
    *scale = range / 255.0f;
    *inv = 255.0f / range;
    float z = roundf(-lo * *inv);
    *zero = z < 0.0f ? 0.0f : (z > 255.0f ? 255.0f : z);
    return 1;
}

/* Row stride of quantized activations for K inputs. */
static inline size_t tr_qu8_row_bytes(size_t k)
{
    return tr_round_up(k, 64);
}

void tr_f32_activation__ref(int act, size_t n, const float *x, float *y);
/* Attention with q, k, v and the unnormalized probabilities rounded to
 * bfloat16 (nearest even) and the softmax in float: what the bf16 kernels
 * compute, in double sums. */
void tr_f32_attention_bf16__ref(size_t len, size_t past, size_t d, const float *q,
                                size_t q_stride, const float *k, size_t k_stride, const float *v,
                                size_t v_stride, float scale, int causal, float *out,
                                size_t out_stride, float *scratch);
/* x rounded to the nearest bfloat16 (ties to even), as a float. */
float tr_f32_round_bf16(float x);
void tr_f32_add__ref(size_t n, const float *a, const float *b, float *y);
void tr_f32_glu__ref(int act, size_t n, const float *gate, const float *up, float *y);
void tr_f32_attention__ref(size_t len, size_t past, size_t d, const float *q, size_t q_stride,
                           const float *k,
                           size_t k_stride, const float *v, size_t v_stride, float scale, int causal,
                           float *out, size_t out_stride, float *scratch);

/* Row-wise reference ops. */
void tr_f32_layernorm__ref(size_t rows, size_t n, const float *x, const float *gamma,
                           const float *beta, float eps, float *y);
void tr_f32_rmsnorm__ref(size_t rows, size_t n, const float *x, const float *gamma, float eps,
                         float *y);
void tr_f32_softmax_inplace__ref(size_t n, float *x);
float tr_f32_gelu_erf__ref(float x);
float tr_f32_gelu_tanh__ref(float x);

#endif
