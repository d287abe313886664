/* qu8_quantize_neon.c - per-row uint8 quantization of activations with
 * baseline AArch64 NEON, bit-identical to tr_qu8_quantize_rows__ref:
 * - min/max with FMINNM/FMAXNM, which (like the reference's `a < lo ? a : lo`)
 *   ignore NaN; min and max are exact, so the reduction order is free;
 * - the per-row scale, inverse and zero point are the reference's scalar
 *   expressions, unchanged;
 * - FRINTA (vrndaq_f32) rounds half away from zero exactly as roundf, and the
 *   float multiply, add and clamp are the same IEEE operations in the same
 *   order, so every byte matches. */
#include <arm_neon.h>
#include <math.h>

#include "kernels/arm/arm_kernels.h"
#include "kernels/kernels.h"

/* lo = min(0, min a), hi = max(0, max a) over one row, NaN ignored. */
static void row_range(size_t K, const float *a, float *lo_out, float *hi_out)
{
    float32x4_t lo4 = vdupq_n_f32(0.0f), hi4 = vdupq_n_f32(0.0f);
    size_t k = 0;
    for (; k + 4 <= K; k += 4) {
        const float32x4_t v = vld1q_f32(a + k);
        lo4 = vminnmq_f32(lo4, v);
        hi4 = vmaxnmq_f32(hi4, v);
    }
    float lo = vminnmvq_f32(lo4), hi = vmaxnmvq_f32(hi4);
    for (; k < K; k++) {
        lo = a[k] < lo ? a[k] : lo;
        hi = a[k] > hi ? a[k] : hi;
    }
    *lo_out = lo;
    *hi_out = hi;
}

/* 4 floats -> 4 clamped codes in int32 lanes. */
static inline uint32x4_t codes4(float32x4_t a, float32x4_t inv, float32x4_t z)
{
    float32x4_t v = vaddq_f32(vrndaq_f32(vmulq_f32(a, inv)), z);
    v = vminq_f32(vmaxq_f32(v, vdupq_n_f32(0.0f)), vdupq_n_f32(255.0f));
    return vcvtq_u32_f32(v); /* integral and in range: exact */
}

void tr_qu8_quantize_rows__neon(size_t M, size_t K, const float *A, size_t lda, uint8_t *Q,
                                size_t ldq, float *scale, int32_t *zp)
{
    for (size_t m = 0; m < M; m++) {
        const float *a = A + m * lda;
        uint8_t *q = Q + m * ldq;
        float lo, hi;
        row_range(K, a, &lo, &hi);
        float s, inv, z;
        if (!tr_qu8_row_params(lo, hi, &s, &inv, &z)) {
            /* all zeros or non-finite input: zeros, as the reference */
            for (size_t k = 0; k < ldq; k++)
                q[k] = 0;
            scale[m] = 0.0f;
            zp[m] = 0;
            continue;
        }
        const float32x4_t inv4 = vdupq_n_f32(inv), z4 = vdupq_n_f32(z);
        size_t k = 0;
        for (; k + 16 <= K; k += 16) {
            const uint16x8_t lo8 = vcombine_u16(vmovn_u32(codes4(vld1q_f32(a + k), inv4, z4)),
                                                vmovn_u32(codes4(vld1q_f32(a + k + 4), inv4, z4)));
            const uint16x8_t hi8 = vcombine_u16(vmovn_u32(codes4(vld1q_f32(a + k + 8), inv4, z4)),
                                                vmovn_u32(codes4(vld1q_f32(a + k + 12), inv4, z4)));
            vst1q_u8(q + k, vcombine_u8(vmovn_u16(lo8), vmovn_u16(hi8)));
        }
        for (; k + 4 <= K; k += 4) {
            const uint32x4_t c = codes4(vld1q_f32(a + k), inv4, z4);
            q[k] = (uint8_t)vgetq_lane_u32(c, 0);
            q[k + 1] = (uint8_t)vgetq_lane_u32(c, 1);
            q[k + 2] = (uint8_t)vgetq_lane_u32(c, 2);
            q[k + 3] = (uint8_t)vgetq_lane_u32(c, 3);
        }
        if (k < K) {
            /* the last 1..3 values through the same vector path (padded with
             * zeros), so that a NaN converts to a defined 0 here too */
            float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            for (size_t i = 0; k + i < K; i++)
                t[i] = a[k + i];
            const uint32x4_t c = codes4(vld1q_f32(t), inv4, z4);
            uint32_t u[4];
            vst1q_u32(u, c);
            for (size_t i = 0; k + i < K; i++)
                q[k + i] = (uint8_t)u[i];
        }
        /* the GEMM kernels read whole groups past K: they must be zero */
        for (k = K; k < ldq; k++)
            q[k] = 0;
        scale[m] = s;
        zp[m] = (int32_t)z;
    }
}
