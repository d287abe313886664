/* qu8s8_gemm_mve.c - uint8 x int8 -> int32 GEMM over N16K4 weights with
 * Helium (MVE, Armv8.1-M: Cortex-M55/M85).
 *
 * MVE has no SDOT-like per-lane dot product, but VMLADAVA multiplies two
 * 16-byte vectors and adds all 16 products into one 32-bit scalar. Both
 * operands must have the same signedness, so (as the NEON dotprod kernel)
 * the activations' top bit is flipped (q -> q - 128, an int8) and the exact
 * identity
 *   sum_k (q - zp) w = sum_k (q - 128) w - (zp - 128) * w_sum
 * gives the reference's integer back.
 *
 * The 16 k of one channel are 4 words 64 bytes apart in the N16K4 layout
 * (each 64-byte group is 16 channels x 4 k), so one 4-word gather load
 * (VLDRW gather, byte offsets {0, 64, 128, 192}) brings them into k order.
 * Each gathered vector serves 4 rows (4 VMLADAVA), and the 4 accumulators
 * stay in general registers. The last 1..15 k are predicated: activation
 * lanes past K are left out of the sum and weight groups past round_up(K, 4)
 * are not read (they would be the next block's). Word gathers need 4-byte
 * alignment, which N16K4 gives (blobs are 64-byte aligned, channels start at
 * multiples of 4 bytes).
 *
 * The dequantization is the reference's scalar float expression, operation
 * for operation, so the outputs are bit-identical to it. */
#include "kernels/kernels.h"
#include "kernels/mve/mve_kernels.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <arm_mve.h>

static inline __attribute__((always_inline)) int8x16_t flipped(const uint8_t *q)
{
    return vreinterpretq_s8_u8(veorq_u8(vldrbq_u8(q), vdupq_n_u8(0x80)));
}

/* acc[i] = sum_k (q[i][k] - 128) * w[k] over K for MR rows of one channel,
 * whose first 4 k are at w (a 4-byte aligned pointer into N16K4). */
static inline __attribute__((always_inline)) void dot_rows(size_t MR, const uint8_t *q,
                                                           size_t ldq, size_t K,
                                                           const int8_t *w, int32_t acc[4])
{
    static const uint32_t group_offsets[4] = {0, 64, 128, 192};
    const uint32x4_t off = vldrwq_u32(group_offsets);
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    const size_t full = K / 16;
    for (size_t c = 0; c < full; c++) {
        const int8x16_t wv = vreinterpretq_s8_s32(
            vldrwq_gather_offset_s32((const int32_t *)(const void *)(w + c * 256), off));
        const uint8_t *qc = q + c * 16;
        a0 = vmladavaq_s8(a0, flipped(qc), wv);
        if (MR > 1)
            a1 = vmladavaq_s8(a1, flipped(qc + ldq), wv);
        if (MR > 2)
            a2 = vmladavaq_s8(a2, flipped(qc + 2 * ldq), wv);
        if (MR > 3)
            a3 = vmladavaq_s8(a3, flipped(qc + 3 * ldq), wv);
    }
    const size_t left = K - full * 16;
    if (left) {
        /* rows hold round_up(K, 64) readable bytes, so the 16-byte load is
         * in bounds; the predicates keep the sum to k < K and the gather to
         * the groups that exist */
        const mve_pred16_t pk = vctp8q((uint32_t)left);
        const mve_pred16_t pw = vctp32q((uint32_t)((left + 3) / 4));
        const int8x16_t wv = vreinterpretq_s8_s32(
            vldrwq_gather_offset_z_s32((const int32_t *)(const void *)(w + full * 256), off, pw));
        const uint8_t *qc = q + full * 16;
        a0 = vmladavaq_p_s8(a0, flipped(qc), wv, pk);
        if (MR > 1)
            a1 = vmladavaq_p_s8(a1, flipped(qc + ldq), wv, pk);
        if (MR > 2)
            a2 = vmladavaq_p_s8(a2, flipped(qc + 2 * ldq), wv, pk);
        if (MR > 3)
            a3 = vmladavaq_p_s8(a3, flipped(qc + 3 * ldq), wv, pk);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

static inline __attribute__((always_inline)) void tile(size_t MR, size_t m0, size_t N, size_t K,
                                                       const uint8_t *Q, size_t ldq,
                                                       const float *a_scale, const int32_t *a_zp,
                                                       const int8_t *W, const float *w_scale,
                                                       const int32_t *w_sum, const float *bias,
                                                       float *C, size_t ldc)
{
    const size_t kp = tr_round_up(K, 4);
    for (size_t n = 0; n < N; n++) {
        /* channel n's first 4 k: its block, then its 4-byte slot */
        const int8_t *w = W + (n / 16) * kp * 16 + (n % 16) * 4;
        int32_t acc[4];
        dot_rows(MR, Q + m0 * ldq, ldq, K, w, acc);
        for (size_t i = 0; i < MR; i++) {
            const size_t m = m0 + i;
            /* unsigned arithmetic wraps like the int32 sum of the other
             * kernels; the reference's int64 value whenever it fits */
            const int32_t x =
                (int32_t)((uint32_t)acc[i] - (uint32_t)(a_zp[m] - 128) * (uint32_t)w_sum[n]);
            const float v = (float)x * (a_scale[m] * w_scale[n]);
            C[m * ldc + n] = bias ? v + bias[n] : v;
        }
    }
}

void tr_qu8s8_gemm_ukernel_4x1__mve(size_t M, size_t N, size_t K, const uint8_t *Q, size_t ldq,
                                    const float *a_scale, const int32_t *a_zp, const int8_t *W,
                                    const float *w_scale, const int32_t *w_sum, const float *bias,
                                    float *C, size_t ldc)
{
    size_t m0 = 0;
    for (; m0 + 4 <= M; m0 += 4)
        tile(4, m0, N, K, Q, ldq, a_scale, a_zp, W, w_scale, w_sum, bias, C, ldc);
    switch (M - m0) { /* constant row counts, so each tile is unrolled */
    case 3:
        tile(3, m0, N, K, Q, ldq, a_scale, a_zp, W, w_scale, w_sum, bias, C, ldc);
        break;
    case 2:
        tile(2, m0, N, K, Q, ldq, a_scale, a_zp, W, w_scale, w_sum, bias, C, ldc);
        break;
    case 1:
        tile(1, m0, N, K, Q, ldq, a_scale, a_zp, W, w_scale, w_sum, bias, C, ldc);
        break;
    default:
        break;
    }
}
#else
/* Not an MVE target: CMakeLists.txt leaves this folder out of such builds;
 * a declaration keeps the file a valid translation unit anyway. */
typedef int tr_mve_kernels_not_built;
#endif
