/* qu8s8_gemm_i8mm.c - uint8 x int8 -> int32 GEMM over N16K4 weights with the
 * ARMv8.6 int8 matrix multiply (compiled with -march=armv8.6-a+i8mm).
 *
 * USMMLA takes exactly our operand types (uint8 activations, int8 weights),
 * so no zero-point trick is needed: acc = sum q w, then acc - zp * w_sum as in
 * the reference. One USMMLA is a 2x8 by 8x2 product into 2x2 int32 (32
 * multiply-adds, twice an SDOT). Its weight operand is 2 channels x 8
 * consecutive k; N16K4 keeps 4 k per channel per 64-byte group, so the same
 * quarter of two consecutive groups, zipped by 32-bit words, is
 * [c0 k0-3, c0 k4-7, c1 k0-3, c1 k4-7] (ZIP1) and the same for c2, c3 (ZIP2).
 * The activation operand is 8 bytes of two rows.
 *
 * Tile: 4 rows (2 row pairs) x 16 channels (8 channel pairs) = 16
 * accumulators. Bytes of Q past K are zero (the quantizer writes them; the
 * contract in kernels.h), and an odd last group is zipped with zeros, so
 * nothing past the weight blob is read. The dequantization is the
 * reference's float expression, operation for operation. */
#include <arm_neon.h>

#include "kernels/arm/arm_kernels.h"
#include "kernels/kernels.h"

static inline __attribute__((always_inline)) void tile(size_t MR, const uint8_t *q, size_t ldq,
                                                       size_t kgroups, const int8_t *w,
                                                       size_t m0, size_t n0, size_t nc,
                                                       const float *a_scale, const int32_t *a_zp,
                                                       const int32x4_t *wsum,
                                                       const float32x4_t *wscale,
                                                       const float32x4_t *bv, int has_bias,
                                                       float *C, size_t ldc)
{
    const size_t pairs = (MR + 1) / 2;
    int32x4_t acc[2][8];
    for (size_t r = 0; r < pairs; r++)
        for (size_t c = 0; c < 8; c++)
            acc[r][c] = vdupq_n_s32(0);
    /* a missing odd row reads its partner again (valid memory); its
     * results are dropped */
    const uint8_t *row[4];
    for (size_t i = 0; i < 4; i++)
        row[i] = q + (i < MR ? i : i - 1) * ldq;

    for (size_t g = 0; g < kgroups; g += 2) {
        const int8_t *wg = w + g * 64;
        const int last_odd = g + 1 == kgroups;
        uint8x16_t a[2];
        for (size_t r = 0; r < pairs; r++)
            a[r] = vcombine_u8(vld1_u8(row[2 * r] + g * 4), vld1_u8(row[2 * r + 1] + g * 4));
        for (size_t j = 0; j < 4; j++) {
            const int32x4_t lo = vreinterpretq_s32_s8(vld1q_s8(wg + 16 * j));
            const int32x4_t hi =
                last_odd ? vdupq_n_s32(0) : vreinterpretq_s32_s8(vld1q_s8(wg + 64 + 16 * j));
            const int8x16_t b01 = vreinterpretq_s8_s32(vzip1q_s32(lo, hi));
            const int8x16_t b23 = vreinterpretq_s8_s32(vzip2q_s32(lo, hi));
            for (size_t r = 0; r < pairs; r++) {
                acc[r][2 * j] = vusmmlaq_s32(acc[r][2 * j], a[r], b01);
                acc[r][2 * j + 1] = vusmmlaq_s32(acc[r][2 * j + 1], a[r], b23);
            }
        }
    }

    /* acc[r][2j] = [r0 c0, r0 c1, r1 c0, r1 c1] for channels 4j, 4j+1 and
     * acc[r][2j+1] the same for 4j+2, 4j+3: 64-bit zips give rows */
    for (size_t i = 0; i < MR; i++) {
        const size_t m = m0 + i;
        const int32x4_t zp = vdupq_n_s32(a_zp[m]);
        const float32x4_t as = vdupq_n_f32(a_scale[m]);
        float *crow = C + m * ldc + n0;
        for (size_t j = 0; j < 4 && 4 * j < nc; j++) {
            const int64x2_t p0 = vreinterpretq_s64_s32(acc[i / 2][2 * j]);
            const int64x2_t p1 = vreinterpretq_s64_s32(acc[i / 2][2 * j + 1]);
            const int32x4_t s = vreinterpretq_s32_s64(i % 2 ? vzip2q_s64(p0, p1) : vzip1q_s64(p0, p1));
            const int32x4_t x = vmlsq_s32(s, zp, wsum[j]);
            float32x4_t v = vmulq_f32(vcvtq_f32_s32(x), vmulq_f32(as, wscale[j]));
            if (has_bias)
                v = vaddq_f32(v, bv[j]);
            if (4 * j + 4 <= nc) {
                vst1q_f32(crow + 4 * j, v);
            } else {
                float t[4];
                vst1q_f32(t, v);
                for (size_t c = 4 * j; c < nc; c++)
                    crow[c] = t[c - 4 * j];
            }
        }
    }
}

void tr_qu8s8_gemm_ukernel_4x16__i8mm(size_t M, size_t N, size_t K, const uint8_t *Q,
                                      size_t ldq, const float *a_scale, const int32_t *a_zp,
                                      const int8_t *W, const float *w_scale,
                                      const int32_t *w_sum, const float *bias, float *C,
                                      size_t ldc)
{
    const size_t kp = tr_round_up(K, 4), kgroups = kp / 4;
    for (size_t n0 = 0; n0 < N; n0 += 16) {
        const int8_t *w = W + (n0 / 16) * kp * 16;
        /* per-channel data of this block, zero past N */
        const size_t nc = N - n0 < 16 ? N - n0 : 16;
        int32_t s[16] = {0};
        float sc[16] = {0.0f}, b[16] = {0.0f};
        for (size_t j = 0; j < nc; j++) {
            s[j] = w_sum[n0 + j];
            sc[j] = w_scale[n0 + j];
            b[j] = bias ? bias[n0 + j] : 0.0f;
        }
        int32x4_t wsum[4];
        float32x4_t wscale[4], bv[4];
        for (size_t j = 0; j < 4; j++) {
            wsum[j] = vld1q_s32(s + 4 * j);
            wscale[j] = vld1q_f32(sc + 4 * j);
            bv[j] = vld1q_f32(b + 4 * j);
        }
        const int hb = bias != NULL;
        size_t m0 = 0;
        for (; m0 + 4 <= M; m0 += 4)
            tile(4, Q + m0 * ldq, ldq, kgroups, w, m0, n0, nc, a_scale, a_zp, wsum, wscale, bv,
                 hb, C, ldc);
        switch (M - m0) { /* constant row counts, so each tile is unrolled */
        case 3:
            tile(3, Q + m0 * ldq, ldq, kgroups, w, m0, n0, nc, a_scale, a_zp, wsum, wscale, bv,
                 hb, C, ldc);
            break;
        case 2:
            tile(2, Q + m0 * ldq, ldq, kgroups, w, m0, n0, nc, a_scale, a_zp, wsum, wscale, bv,
                 hb, C, ldc);
            break;
        case 1:
            tile(1, Q + m0 * ldq, ldq, kgroups, w, m0, n0, nc, a_scale, a_zp, wsum, wscale, bv,
                 hb, C, ldc);
            break;
        default:
            break;
        }
    }
}
