/* f32_gemm_ref.c - reference f32 GEMM: C = A W^T + bias.
 * Accumulates in double so that it is a trustworthy reference; the optimized
 * f32 kernels are compared against it with a tolerance. */
#include "kernels/kernels.h"

void tr_f32_gemm_ukernel_1x1__ref(size_t M, size_t N, size_t K, const float *A, size_t lda,
                                  const float *W, size_t ldw, const float *bias, float *C,
                                  size_t ldc)
{
    for (size_t m = 0; m < M; m++) {
        const float *a = A + m * lda;
        for (size_t n = 0; n < N; n++) {
            const float *w = W + n * ldw;
            double acc = bias ? (double)bias[n] : 0.0;
            for (size_t k = 0; k < K; k++)
                acc += (double)a[k] * (double)w[k];
            C[m * ldc + n] = (float)acc;
        }
    }
}
