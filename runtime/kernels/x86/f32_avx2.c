/* f32_avx2.c - the f32 kernels (f32_kernels_impl.h) for AVX2 + FMA: 8 lanes,
 * 16 registers, so the GEMM tile is 2x4 (8 accumulators). Compiled with
 * -mavx2 -mfma (CMakeLists.txt); only called when the CPU has them. */
#define TR_SIMD_AVX2 1
#define TR_SFX(name) name##__avx2
#define TR_GEMM_MR 2
#define TR_GEMM_NAME tr_f32_gemm_ukernel_2x4__avx2
#include "kernels/x86/f32_kernels_impl.h"
