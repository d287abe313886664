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
#include <stdint.h>

typedef struct tr_kernels {
    const char *name; /* e.g. "ref" */

    /* C[m][n] = sum_k A[m][k] * W[n][k] + (bias ? bias[n] : 0) */
    void (*f32_gemm)(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *W,
                     size_t ldw, const float *bias, float *C, size_t ldc);

    /* Symmetric per-row quantization: scale[m] = max_k |A[m][k]| / 127,
     * Q[m][k] = round_half_away(A[m][k] / scale[m]) clamped to [-127, 127];
     * an all-zero row gets scale 0 and zeros. */
    void (*qs8_quantize_rows)(size_t M, size_t K, const float *A, size_t lda, int8_t *Q,
                              size_t ldq, float *scale);

    /* ACC[m][n] = sum_k Q[m][k] * W[n][k] in int32, then
     * C[m][n] = (float)ACC * (a_scale[m] * w_scale[n]) + (bias ? bias[n] : 0).
     * w_scale has N entries (per output channel). */
    void (*qs8_gemm)(size_t M, size_t N, size_t K, const int8_t *Q, size_t ldq,
                     const float *a_scale, const int8_t *W, size_t ldw, const float *w_scale,
                     const float *bias, float *C, size_t ldc);
} tr_kernels;

/* The kernels this CPU runs best (this build: the reference kernels). */
const tr_kernels *tr_kernels_select(void);
/* The portable reference kernels. */
const tr_kernels *tr_kernels_ref(void);

/* Reference kernels (kernels/ref), also used directly by tests. */
void tr_f32_gemm_ukernel_1x1__ref(size_t M, size_t N, size_t K, const float *A, size_t lda,
                                  const float *W, size_t ldw, const float *bias, float *C,
                                  size_t ldc);
void tr_qs8_quantize_rows__ref(size_t M, size_t K, const float *A, size_t lda, int8_t *Q,
                               size_t ldq, float *scale);
void tr_qs8_gemm_ukernel_1x1__ref(size_t M, size_t N, size_t K, const int8_t *Q, size_t ldq,
                                  const float *a_scale, const int8_t *W, size_t ldw,
                                  const float *w_scale, const float *bias, float *C, size_t ldc);

/* Row-wise reference ops (used by the operators directly). */
void tr_f32_layernorm__ref(size_t rows, size_t n, const float *x, const float *gamma,
                           const float *beta, float eps, float *y);
void tr_f32_rmsnorm__ref(size_t rows, size_t n, const float *x, const float *gamma, float eps,
                         float *y);
void tr_f32_softmax_inplace__ref(size_t n, float *x);
float tr_f32_gelu_erf__ref(float x);
float tr_f32_gelu_tanh__ref(float x);

#endif
