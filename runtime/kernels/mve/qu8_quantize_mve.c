/* qu8_quantize_mve.c - per-row asymmetric uint8 quantization of float
 * activations with Helium (MVE with floating point: Cortex-M55/M85).
 *
 * Bit-identical to tr_qu8_quantize_rows__ref: the range comes from
 * VMINNMV/VMAXNMV (which skip NaNs, as the reference's comparisons do), the
 * row parameters from the same tr_qu8_row_params, and each element is the
 * same float operations: a * inv (one IEEE multiply), VRINTA (round half
 * away from zero = roundf), + zero, then VMAXNM/VMINNM clamp to [0, 255]
 * (a NaN becomes 0, as in the reference). The bytes are written by a
 * narrowing store (VSTRB.32) of the 32-bit integers. The last K % 4 elements
 * use predicated loads and stores, so nothing past the row is read.
 *
 * MVE floating point flushes denormals to zero (it uses the standard FPSCR
 * value, whatever FPSCR.FZ says). In the range that matters only when the
 * row's minimum (maximum) is a denormal, and then the vector minimum
 * (maximum) comes out as exactly 0: such a row's range is recomputed with
 * scalar FPU code (which keeps denormals), as the reference does. In the
 * element path it cannot change a byte while inv < 2^125: a denormal times
 * inv is then below 0.5 and rounds to 0 either way. Rows with a larger inv
 * (a range under ~6e-36) take the reference's scalar loop. */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/mve/mve_kernels.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
#include <arm_mve.h>

void tr_qu8_quantize_rows__mve(size_t M, size_t K, const float *A, size_t lda, uint8_t *Q,
                               size_t ldq, float *scale, int32_t *zp)
{
    for (size_t m = 0; m < M; m++) {
        const float *a = A + m * lda;
        uint8_t *q = Q + m * ldq;
        float lo = 0.0f, hi = 0.0f;
        size_t k = 0;
        for (; k + 4 <= K; k += 4) {
            const float32x4_t v = vldrwq_f32(a + k);
            lo = vminnmvq_f32(lo, v);
            hi = vmaxnmvq_f32(hi, v);
        }
        if (k < K) {
            /* inactive lanes load as 0, which is inside [lo, hi] already */
            const float32x4_t v = vldrwq_z_f32(a + k, vctp32q((uint32_t)(K - k)));
            lo = vminnmvq_f32(lo, v);
            hi = vmaxnmvq_f32(hi, v);
        }
        if (lo == 0.0f || hi == 0.0f) {
            /* a denormal may have been flushed: exact scalar range */
            lo = 0.0f;
            hi = 0.0f;
            for (k = 0; k < K; k++) {
                lo = a[k] < lo ? a[k] : lo;
                hi = a[k] > hi ? a[k] : hi;
            }
        }
        float s, inv, z;
        if (!tr_qu8_row_params(lo, hi, &s, &inv, &z)) {
            memset(q, 0, ldq);
            scale[m] = 0.0f;
            zp[m] = 0;
            continue;
        }
        if (!(inv < 0x1p125f)) {
            for (k = 0; k < K; k++) {
                float v = roundf(a[k] * inv) + z;
                v = v > 0.0f ? (v < 255.0f ? v : 255.0f) : 0.0f;
                q[k] = (uint8_t)v;
            }
            memset(q + K, 0, ldq - K);
            scale[m] = s;
            zp[m] = (int32_t)z;
            continue;
        }
        const float32x4_t vz = vdupq_n_f32(z), v0 = vdupq_n_f32(0.0f), v255 = vdupq_n_f32(255.0f);
        for (k = 0; k < K; k += 4) {
            const mve_pred16_t p = vctp32q((uint32_t)(K - k));
            float32x4_t v = vldrwq_z_f32(a + k, p);
            v = vaddq_f32(vrndaq_f32(vmulq_n_f32(v, inv)), vz);
            v = vminnmq_f32(vmaxnmq_f32(v, v0), v255);
            vstrbq_p_u32(q + k, vcvtq_u32_f32(v), p);
        }
        memset(q + K, 0, ldq - K);
        scale[m] = s;
        zp[m] = (int32_t)z;
    }
}
#else
/* No MVE floating point (or not an MVE target): nothing to build. */
typedef int tr_mve_quantize_not_built;
#endif
