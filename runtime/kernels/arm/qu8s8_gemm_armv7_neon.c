/* qu8s8_gemm_armv7_neon.c - uint8 x int8 -> int32 GEMM over N16K4 weights for
 * 32-bit Arm with NEON (armv7-a: no dot product instructions; compiled with
 * -mfpu=neon, CMakeLists.txt).
 *
 * Widening makes it exact without the zero-point trick of the dotprod
 * kernel: activations (0..255) and weights (-128..127) both fit int16, and
 * VMLAL.S16 multiplies 16 x 16 -> 32 bits and accumulates in int32, so the
 * sums are the reference's integers (no wrap for K <= 32768, the contract).
 *
 * A 64-byte N16K4 group is 16 channels x 4 k, k fastest. VLD4.8 splits 32
 * of its bytes (8 channels) into 4 registers, one per k, each holding that
 * k for 8 channels: a channel-vector per k, which VMLAL by lane multiplies
 * by the row's activation of that k. Tile: 2 rows x 16 channels = 8 int32x4
 * accumulators + 4 widened weight registers + 1 activation register, within
 * the 16 q-registers of armv7 (3 rows would spill).
 *
 * Activation bytes in [K, round_up(K, 4)) are zero by the GEMM contract
 * (kernels.h), and the 8-byte loads stay inside the round_up(K, 64) bytes
 * of a row. The epilogue is the reference's expression in scalar VFP (IEEE,
 * unlike NEON's flush-to-zero float), so outputs are bit-identical. */
#if defined(__ARM_NEON) && !defined(__aarch64__)
#include <arm_neon.h>

#include "kernels/arm/armv7_neon_kernels.h"
#include "kernels/kernels.h"

/* acc[i][0..3] += the 16 channels of k = 4g + L times a[i] lane L, with
 * lo/hi the VLD4 halves (channels 0-7, 8-15) of group g. */
#define TR_MLAL_K(L)                                                                           \
    do {                                                                                       \
        const int16x8_t wl = vmovl_s8(lo.val[L]), wh = vmovl_s8(hi.val[L]);                    \
        for (size_t i = 0; i < MR; i++) {                                                      \
            acc[i][0] = vmlal_lane_s16(acc[i][0], vget_low_s16(wl), a[i], L);                  \
            acc[i][1] = vmlal_lane_s16(acc[i][1], vget_high_s16(wl), a[i], L);                 \
            acc[i][2] = vmlal_lane_s16(acc[i][2], vget_low_s16(wh), a[i], L);                  \
            acc[i][3] = vmlal_lane_s16(acc[i][3], vget_high_s16(wh), a[i], L);                 \
        }                                                                                      \
    } while (0)

#define TR_GROUP(wg)                                                                           \
    do {                                                                                       \
        const int8x8x4_t lo = vld4_s8((wg)), hi = vld4_s8((wg) + 32);                          \
        TR_MLAL_K(0);                                                                          \
        TR_MLAL_K(1);                                                                          \
        TR_MLAL_K(2);                                                                          \
        TR_MLAL_K(3);                                                                          \
    } while (0)

/* The integer sums of MR rows (1 or 2) x 16 channels of one block. */
static inline __attribute__((always_inline)) void tile_sums(size_t MR, const uint8_t *q,
                                                            size_t ldq, size_t groups,
                                                            const int8_t *w, int32_t out[2][16])
{
    int32x4_t acc[2][4];
    int16x4_t a[2];
    int16x8_t a8[2];
    for (size_t i = 0; i < MR; i++)
        for (size_t j = 0; j < 4; j++)
            acc[i][j] = vdupq_n_s32(0);
    size_t g = 0;
    /* two groups per step: one 8-byte activation load per row */
    for (; g + 2 <= groups; g += 2) {
        for (size_t i = 0; i < MR; i++)
            a8[i] = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(q + i * ldq + 4 * g)));
        for (size_t i = 0; i < MR; i++)
            a[i] = vget_low_s16(a8[i]);
        TR_GROUP(w + g * 64);
        for (size_t i = 0; i < MR; i++)
            a[i] = vget_high_s16(a8[i]);
        TR_GROUP(w + g * 64 + 64);
    }
    if (g < groups) { /* an odd last group: its 8-byte load is still in the row */
        for (size_t i = 0; i < MR; i++)
            a[i] = vget_low_s16(vreinterpretq_s16_u16(vmovl_u8(vld1_u8(q + i * ldq + 4 * g))));
        TR_GROUP(w + g * 64);
    }
    for (size_t i = 0; i < MR; i++)
        for (size_t j = 0; j < 4; j++)
            vst1q_s32(out[i] + 4 * j, acc[i][j]);
}

void tr_qu8s8_gemm_ukernel_2x16__neon(size_t M, size_t N, size_t K, const uint8_t *Q, size_t ldq,
                                      const float *a_scale, const int32_t *a_zp, const int8_t *W,
                                      const float *w_scale, const int32_t *w_sum,
                                      const float *bias, float *C, size_t ldc)
{
    const size_t kp = tr_round_up(K, 4), groups = kp / 4;
    int32_t sums[2][16];
    for (size_t n0 = 0; n0 < N; n0 += 16) {
        const int8_t *w = W + (n0 / 16) * kp * 16;
        const size_t nc = N - n0 < 16 ? N - n0 : 16;
        for (size_t m0 = 0; m0 < M; m0 += 2) {
            const size_t mr = M - m0 < 2 ? 1 : 2;
            if (mr == 2) /* constant row counts: each call is unrolled */
                tile_sums(2, Q + m0 * ldq, ldq, groups, w, sums);
            else
                tile_sums(1, Q + m0 * ldq, ldq, groups, w, sums);
            for (size_t i = 0; i < mr; i++) {
                const size_t m = m0 + i;
                for (size_t j = 0; j < nc; j++) {
                    const size_t n = n0 + j;
                    /* the reference's expression, operation for operation */
                    int64_t centered = (int64_t)sums[i][j] - (int64_t)a_zp[m] * w_sum[n];
                    float v = (float)centered * (a_scale[m] * w_scale[n]);
                    C[m * ldc + n] = bias ? v + bias[n] : v;
                }
            }
        }
    }
}
#endif
