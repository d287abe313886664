/* dispatch.c - picks the kernels for this CPU at run time.
 * This build has the portable reference kernels only; the SIMD variants
 * (AVX2, AVX-512 VNNI, AMX, NEON dotprod/i8mm, Helium) plug in here, each
 * chosen by a CPU feature check and each tested against the reference. */
#include "kernels/kernels.h"

static const tr_kernels k_ref = {
    "ref",
    tr_f32_gemm_ukernel_1x1__ref,
    tr_qu8_quantize_rows__ref,
    tr_qu8s8_gemm_ukernel_1x1__ref,
    tr_f32_layernorm__ref,
    tr_f32_rmsnorm__ref,
    tr_f32_activation__ref,
    tr_f32_attention__ref,
};

const tr_kernels *tr_kernels_ref(void)
{
    return &k_ref;
}

const tr_kernels *tr_kernels_select(void)
{
    return &k_ref;
}

size_t tr_kernels_count(void)
{
    return 1;
}

const tr_kernels *tr_kernels_at(size_t i)
{
    return i == 0 ? &k_ref : NULL;
}
