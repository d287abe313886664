/* qu8s8_gemm_neondot.c - uint8 x int8 -> int32 GEMM over N16K4 weights with
 * the ARMv8.2 dot product (compiled with -march=armv8.2-a+dotprod).
 *
 * SDOT multiplies int8 x int8, but activations are uint8 with a zero point.
 * Flipping the top bit turns q into q - 128 (an int8), and the exact identity
 *   sum_k (q - zp) w = sum_k (q - 128) w - (zp - 128) * w_sum
 * gives the reference's integer from it (all in int32, wrapping like the
 * reference's arithmetic whenever that one is defined).
 *
 * One 16-byte quarter of a 64-byte N16K4 group is 4 channels x 4 k, which is
 * exactly one SDOT: the by-element form broadcasts the row's 4 activation
 * bytes of that group from a register holding 16 of them (4 groups).
 * Tile: 4 rows x 16 channels = 16 accumulators + 4 activation + 4 weight
 * registers (of 32). Activation bytes at k >= K are forced to 0 after the
 * flip, so the result never depends on the weights' zero padding. The
 * dequantization is the reference's float expression, operation for
 * operation, so the outputs are bit-identical to it. */
#include <arm_neon.h>

#include "kernels/arm/arm_kernels.h"
#include "kernels/kernels.h"

/* acc[i][0..3] += the 4 channel quarters of group w (64 bytes) times lane L
 * (4 activation bytes) of a[i]. */
#define TR_DOT_GROUP(L, w)                                                                      \
    do {                                                                                        \
        const int8x16_t w0 = vld1q_s8((w)), w1 = vld1q_s8((w) + 16);                            \
        const int8x16_t w2 = vld1q_s8((w) + 32), w3 = vld1q_s8((w) + 48);                       \
        for (size_t i = 0; i < MR; i++) {                                                       \
            acc[i][0] = vdotq_laneq_s32(acc[i][0], w0, a[i], L);                                \
            acc[i][1] = vdotq_laneq_s32(acc[i][1], w1, a[i], L);                                \
            acc[i][2] = vdotq_laneq_s32(acc[i][2], w2, a[i], L);                                \
            acc[i][3] = vdotq_laneq_s32(acc[i][3], w3, a[i], L);                                \
        }                                                                                       \
    } while (0)

/* The per-channel data of one 16-channel block, zero past N. */
typedef struct {
    int32x4_t wsum[4];
    float32x4_t wscale[4], bias[4];
    size_t nc; /* valid channels, 1..16 */
} tr_block_params;

static void block_params(size_t n0, size_t N, const float *w_scale, const int32_t *w_sum,
                         const float *bias, tr_block_params *p)
{
    int32_t s[16] = {0};
    float sc[16] = {0.0f}, b[16] = {0.0f};
    p->nc = N - n0 < 16 ? N - n0 : 16;
    for (size_t j = 0; j < p->nc; j++) {
        s[j] = w_sum[n0 + j];
        sc[j] = w_scale[n0 + j];
        b[j] = bias ? bias[n0 + j] : 0.0f;
    }
    for (size_t j = 0; j < 4; j++) {
        p->wsum[j] = vld1q_s32(s + 4 * j);
        p->wscale[j] = vld1q_f32(sc + 4 * j);
        p->bias[j] = vld1q_f32(b + 4 * j);
    }
}

static inline __attribute__((always_inline)) void tile(size_t MR, const uint8_t *q, size_t ldq,
                                                       size_t K, const int8_t *w, size_t m0,
                                                       size_t n0, const float *a_scale,
                                                       const int32_t *a_zp, const float *bias,
                                                       const tr_block_params *p, float *C,
                                                       size_t ldc)
{
    const uint8x16_t flip = vdupq_n_u8(0x80);
    int32x4_t acc[4][4];
    int8x16_t a[4];
    for (size_t i = 0; i < MR; i++)
        for (size_t j = 0; j < 4; j++)
            acc[i][j] = vdupq_n_s32(0);

    /* whole 16-byte activation chunks inside K: 4 groups each */
    const size_t full = K / 16;
    for (size_t c = 0; c < full; c++) {
        const int8_t *wc = w + c * 256;
        for (size_t i = 0; i < MR; i++)
            a[i] = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(q + i * ldq + c * 16), flip));
        TR_DOT_GROUP(0, wc);
        TR_DOT_GROUP(1, wc + 64);
        TR_DOT_GROUP(2, wc + 128);
        TR_DOT_GROUP(3, wc + 192);
    }
    /* the last 1..15 k: the chunk is readable (rows hold round_up(K, 64)
     * bytes), bytes past K are masked to 0, and only the groups that exist
     * in W (round_up(K, 4) / 4 of them) are read */
    const size_t left = K - full * 16;
    if (left) {
        static const uint8_t iota[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
        const uint8x16_t keep = vcltq_u8(vld1q_u8(iota), vdupq_n_u8((uint8_t)left));
        const int8_t *wc = w + full * 256;
        for (size_t i = 0; i < MR; i++)
            a[i] = vreinterpretq_s8_u8(
                vandq_u8(veorq_u8(vld1q_u8(q + i * ldq + full * 16), flip), keep));
        TR_DOT_GROUP(0, wc);
        if (left > 4)
            TR_DOT_GROUP(1, wc + 64);
        if (left > 8)
            TR_DOT_GROUP(2, wc + 128);
        if (left > 12)
            TR_DOT_GROUP(3, wc + 192);
    }

    /* dequantize: (float)(acc - (zp - 128) * w_sum) * (a_scale * w_scale) + bias */
    for (size_t i = 0; i < MR; i++) {
        const size_t m = m0 + i;
        const int32x4_t zc = vdupq_n_s32(a_zp[m] - 128);
        const float32x4_t as = vdupq_n_f32(a_scale[m]);
        float *crow = C + m * ldc + n0;
        for (size_t j = 0; j < 4 && 4 * j < p->nc; j++) {
            const int32x4_t x = vmlsq_s32(acc[i][j], zc, p->wsum[j]);
            float32x4_t v = vmulq_f32(vcvtq_f32_s32(x), vmulq_f32(as, p->wscale[j]));
            if (bias)
                v = vaddq_f32(v, p->bias[j]);
            if (4 * j + 4 <= p->nc) {
                vst1q_f32(crow + 4 * j, v);
            } else {
                float t[4];
                vst1q_f32(t, v);
                for (size_t c = 4 * j; c < p->nc; c++)
                    crow[c] = t[c - 4 * j];
            }
        }
    }
}

void tr_qu8s8_gemm_ukernel_4x16__neondot(size_t M, size_t N, size_t K, const uint8_t *Q,
                                         size_t ldq, const float *a_scale, const int32_t *a_zp,
                                         const int8_t *W, const float *w_scale,
                                         const int32_t *w_sum, const float *bias, float *C,
                                         size_t ldc)
{
    const size_t kp = tr_round_up(K, 4);
    for (size_t n0 = 0; n0 < N; n0 += 16) {
        const int8_t *w = W + (n0 / 16) * kp * 16;
        tr_block_params p;
        block_params(n0, N, w_scale, w_sum, bias, &p);
        size_t m0 = 0;
        for (; m0 + 4 <= M; m0 += 4)
            tile(4, Q + m0 * ldq, ldq, K, w, m0, n0, a_scale, a_zp, bias, &p, C, ldc);
        switch (M - m0) { /* constant row counts, so each tile is unrolled */
        case 3:
            tile(3, Q + m0 * ldq, ldq, K, w, m0, n0, a_scale, a_zp, bias, &p, C, ldc);
            break;
        case 2:
            tile(2, Q + m0 * ldq, ldq, K, w, m0, n0, a_scale, a_zp, bias, &p, C, ldc);
            break;
        case 1:
            tile(1, Q + m0 * ldq, ldq, K, w, m0, n0, a_scale, a_zp, bias, &p, C, ldc);
            break;
        default:
            break;
        }
    }
}
