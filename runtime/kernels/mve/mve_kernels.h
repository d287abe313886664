/* mve_kernels.h - Helium (M-Profile Vector Extension) kernels for
 * Cortex-M55/M85. Chosen at build time: a bare-metal core has no cpuid or
 * HWCAP, and a binary built with -mcpu=cortex-m55 (which defines
 * __ARM_FEATURE_MVE) only ever runs on such a core. dispatch.c adds the
 * "mve" set when the compiler says the target has integer MVE. */
#ifndef TR_MVE_KERNELS_H
#define TR_MVE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* uint8 x int8 -> int32 GEMM over N16K4 weights, 4 rows x 1 channel per
 * step, 16 k per VMLADAVA; bit-identical to tr_qu8s8_gemm_ukernel_1x1__ref. */
void tr_qu8s8_gemm_ukernel_4x1__mve(size_t M, size_t N, size_t K, const uint8_t *Q, size_t ldq,
                                    const float *a_scale, const int32_t *a_zp, const int8_t *W,
                                    const float *w_scale, const int32_t *w_sum, const float *bias,
                                    float *C, size_t ldc);

/* Per-row asymmetric uint8 quantization (MVE with floating point, bit 1 of
 * __ARM_FEATURE_MVE); bit-identical to tr_qu8_quantize_rows__ref. */
void tr_qu8_quantize_rows__mve(size_t M, size_t K, const float *A, size_t lda, uint8_t *Q,
                               size_t ldq, float *scale, int32_t *zp);

#endif
