/* attention_relbias_avx2.c - attention_relbias_impl.h for AVX2 + FMA
 * (compiled with -mavx2 -mfma; only called on CPUs that have them). */
#define TR_SIMD_AVX2 1
#define TR_SFX(name) name##__avx2
#define TR_GEMM tr_f32_gemm_ukernel_2x4__avx2
#include "kernels/x86/attention_relbias_impl.h"
