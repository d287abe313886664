/* f32_avx512.c - the f32 kernels (f32_kernels_impl.h) for AVX-512F: 16
 * lanes, 32 registers, a 4x4 tile of dot-product accumulators in the GEMM.
 * Compiled with -mavx512f -mfma (CMakeLists.txt); only called when the CPU
 * and OS support them (dispatch.c). */
#define TR_SIMD_AVX512 1
#define TR_SFX(name) name##__avx512
#define TR_GEMM_MR 4
#define TR_GEMM_NAME tr_f32_gemm_ukernel_4x4__avx512
#include "kernels/x86/f32_kernels_impl.h"
