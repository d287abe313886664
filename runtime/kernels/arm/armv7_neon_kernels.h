/* armv7_neon_kernels.h - the 32-bit Arm (armv7-a) NEON kernels and the CPU
 * check that dispatch.c uses for them. NEON is optional on armv7-a (Debian's
 * armhf baseline has none), so only the kernel files are compiled with
 * -mfpu=neon (CMakeLists.txt) and the set is chosen at run time from
 * HWCAP_NEON. The AArch64 kernels are in arm_kernels.h. */
#ifndef TR_ARMV7_NEON_KERNELS_H
#define TR_ARMV7_NEON_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* 1 when this CPU (and the kernel) run NEON code, else 0. */
unsigned tr_armv7_has_neon(void);

/* uint8 x int8 -> int32 with VMLAL (16 x 16 -> 32 bits, exact), 2 rows x 16
 * channels per tile; the float epilogue is the reference's, in scalar VFP. */
void tr_qu8s8_gemm_ukernel_2x16__neon(size_t M, size_t N, size_t K, const uint8_t *Q, size_t ldq,
                                      const float *a_scale, const int32_t *a_zp, const int8_t *W,
                                      const float *w_scale, const int32_t *w_sum,
                                      const float *bias, float *C, size_t ldc);

#endif
