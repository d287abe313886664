/* qs8_gemm_ref.c - reference int8 x int8 -> int32 GEMM with per-row
 * activation scales and per-output-channel weight scales, and the dynamic
 * per-row quantization that feeds it. The integer part is exact, so every
 * optimized kernel must reproduce ACC bit for bit. */
#include <math.h>

#include "kernels/kernels.h"

void tr_qs8_quantize_rows__ref(size_t M, size_t K, const float *A, size_t lda, int8_t *Q,
                               size_t ldq, float *scale)
{
    for (size_t m = 0; m < M; m++) {
        const float *a = A + m * lda;
        float amax = 0.0f;
        for (size_t k = 0; k < K; k++) {
            float v = fabsf(a[k]);
            amax = v > amax ? v : amax;
        }
        int8_t *q = Q + m * ldq;
        if (!(amax > 0.0f) || !isfinite(amax)) {
            /* zero row (or non-finite input, which cannot be represented):
             * all zeros with scale 0 keep the output finite and defined */
            for (size_t k = 0; k < K; k++)
                q[k] = 0;
            scale[m] = 0.0f;
            continue;
        }
        float s = amax / 127.0f;
        float inv = 127.0f / amax;
        for (size_t k = 0; k < K; k++) {
            float v = roundf(a[k] * inv); /* half away from zero */
            v = v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v);
            q[k] = (int8_t)v;
        }
        scale[m] = s;
    }
}

void tr_qs8_gemm_ukernel_1x1__ref(size_t M, size_t N, size_t K, const int8_t *Q, size_t ldq,
                                  const float *a_scale, const int8_t *W, size_t ldw,
                                  const float *w_scale, const float *bias, float *C, size_t ldc)
{
    for (size_t m = 0; m < M; m++) {
        const int8_t *q = Q + m * ldq;
        for (size_t n = 0; n < N; n++) {
            const int8_t *w = W + n * ldw;
            int32_t acc = 0;
            for (size_t k = 0; k < K; k++)
                acc += (int32_t)q[k] * (int32_t)w[k];
            float v = (float)acc * (a_scale[m] * w_scale[n]);
            C[m * ldc + n] = bias ? v + bias[n] : v;
        }
    }
}
