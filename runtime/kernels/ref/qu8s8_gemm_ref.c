/* qu8s8_gemm_ref.c - reference dynamic quantization of activations (uint8,
 * asymmetric, per row) and the uint8 x int8 -> int32 GEMM with per-output-
 * channel weight scales. The integer part is exact, so every optimized
 * kernel must reproduce ACC bit for bit (AVX-512 VNNI's vpdpbusd and Arm
 * i8mm's usmmla take exactly these operand types). */
#include <math.h>

#include "kernels/kernels.h"

void tr_qu8_quantize_rows__ref(size_t M, size_t K, const float *A, size_t lda, uint8_t *Q,
                               size_t ldq, float *scale, int32_t *zp)
{
    for (size_t m = 0; m < M; m++) {
        const float *a = A + m * lda;
        uint8_t *q = Q + m * ldq;
        float lo = 0.0f, hi = 0.0f;
        for (size_t k = 0; k < K; k++) {
            lo = a[k] < lo ? a[k] : lo;
            hi = a[k] > hi ? a[k] : hi;
        }
        float s, inv, z;
        if (!tr_qu8_row_params(lo, hi, &s, &inv, &z)) {
            /* all zeros (or non-finite input, which int8 cannot carry):
             * zeros keep the output finite and defined */
            for (size_t k = 0; k < ldq; k++)
                q[k] = 0;
            scale[m] = 0.0f;
            zp[m] = 0;
            continue;
        }
        for (size_t k = 0; k < K; k++) {
            float v = roundf(a[k] * inv) + z;
            /* clamp; written so that a NaN element becomes 0 (as max/min do
             * in the SIMD kernels) instead of an undefined conversion */
            v = v > 0.0f ? (v < 255.0f ? v : 255.0f) : 0.0f;
            q[k] = (uint8_t)v;
        }
        for (size_t k = K; k < ldq; k++)
            q[k] = 0;
        scale[m] = s;
        zp[m] = (int32_t)z;
    }
}

void tr_qu8s8_gemm_ukernel_1x1__ref(size_t M, size_t N, size_t K, const uint8_t *Q, size_t ldq,
                                    const float *a_scale, const int32_t *a_zp, const int8_t *W,
                                    const float *w_scale, const int32_t *w_sum, const float *bias,
                                    float *C, size_t ldc)
{
    for (size_t m = 0; m < M; m++) {
        const uint8_t *q = Q + m * ldq;
        for (size_t n = 0; n < N; n++) {
            /* channel n's bytes: 4 consecutive k every 64 bytes of its block */
            const int8_t *w = W + tr_n16k4_index(n, 0, K);
            int32_t acc = 0;
            for (size_t k = 0; k < K; k++)
                acc += (int32_t)q[k] * (int32_t)w[(k / 4) * 64 + k % 4];
            /* in 64 bits: exact for any inputs, even row sums of a model
             * that lies about them */
            int64_t centered = (int64_t)acc - (int64_t)a_zp[m] * w_sum[n];
            float v = (float)centered * (a_scale[m] * w_scale[n]);
            C[m * ldc + n] = bias ? v + bias[n] : v;
        }
    }
}
