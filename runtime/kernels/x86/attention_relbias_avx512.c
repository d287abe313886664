/* attention_relbias_avx512.c - attention_relbias_impl.h for AVX-512 F
 * (compiled with the AVX-512 flags; only called on CPUs that have them). */
#define TR_SIMD_AVX512 1
#define TR_SFX(name) name##__avx512
#define TR_GEMM tr_f32_gemm_ukernel_4x4__avx512
#include "kernels/x86/attention_relbias_impl.h"
