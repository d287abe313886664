/* arm_kernels.h - the AArch64 NEON kernels (dotprod, i8mm) and the CPU
 * feature check that dispatch.c uses to choose among them. Each .c file here
 * is compiled with its own -march flags (CMakeLists.txt), never the whole
 * library, so that libtinyrank runs on any ARMv8-A core (Cortex-A53 too) and
 * picks a set at run time. */
#ifndef TR_ARM_KERNELS_H
#define TR_ARM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* CPU features that the kernel sets need (Linux: from the auxiliary vector;
 * elsewhere: what the compiler was told the target has). */
enum {
    TR_ARM_DOTPROD = 1u << 0, /* SDOT/UDOT (ARMv8.2 optional, v8.4 mandatory) */
    TR_ARM_I8MM = 1u << 1     /* USMMLA/SUDOT/USDOT (ARMv8.6 optional) */
};
unsigned tr_arm_cpu_features(void);

/* Plain AArch64 NEON (every ARMv8-A core): bit-identical to the reference
 * quantization (vrndaq_f32 rounds half away from zero, as roundf). */
void tr_qu8_quantize_rows__neon(size_t M, size_t K, const float *A, size_t lda, uint8_t *Q,
                                size_t ldq, float *scale, int32_t *zp);

/* dotprod: SDOT by element on (q - 128) x w, corrected by the zero point. */
void tr_qu8s8_gemm_ukernel_4x16__neondot(size_t M, size_t N, size_t K, const uint8_t *Q,
                                         size_t ldq, const float *a_scale, const int32_t *a_zp,
                                         const int8_t *W, const float *w_scale,
                                         const int32_t *w_sum, const float *bias, float *C,
                                         size_t ldc);

/* i8mm: USMMLA takes uint8 x int8 directly (2 rows x 2 channels x 8 k). */
void tr_qu8s8_gemm_ukernel_4x16__i8mm(size_t M, size_t N, size_t K, const uint8_t *Q,
                                      size_t ldq, const float *a_scale, const int32_t *a_zp,
                                      const int8_t *W, const float *w_scale,
                                      const int32_t *w_sum, const float *bias, float *C,
                                      size_t ldc);

#endif
