/* dispatch.c - picks the kernels for this CPU at run time.
 * Sets, from the most portable to the fastest: "ref" (any CPU), "avx2"
 * (AVX2 + FMA), "avxvnni" (avx2 with the VEX vpdpbusd GEMM),
 * "avx512vnni" (AVX-512 F/BW/VL + VNNI) and "avx512bf16" (the
 * same with bfloat16 attention products for models that allow them). Each SIMD set is
 * chosen only when CPUID and the OS (XCR0) both allow it, and each is tested
 * against the reference (tests/test_kernels.c); last "amx" (avx512bf16 with
 * the AMX-INT8 GEMM; also needs Linux's permission for the tile data, asked
 * once by cpu_x86.c). The environment variable
 * TINYRANK_KERNELS=ref|avx2|avx512vnni|...|amx caps the choice (for tests and A/B
 * runs); a set the CPU lacks falls back to the best one below it. Firmware
 * builds (CMAKE_SYSTEM_NAME Generic) define TINYRANK_NO_GETENV; on a
 * Cortex-M55/M85 the "mve" set (Helium) is chosen at build time, tested on
 * the target by platforms/baremetal/firmware/kernel_test.c. No other libc
 * calls. */
#include "kernels/kernels.h"

#if !defined(TINYRANK_NO_GETENV)
#include <stdlib.h>
#endif

#if defined(__x86_64__) || defined(_M_X64)
#define TR_HAVE_X86 1
#include "kernels/x86/x86_kernels.h"
#endif

/* AArch64: "neondot" (SDOT, HWCAP_ASIMDDP) and "i8mm" (USMMLA, HWCAP2_I8MM),
 * same TINYRANK_KERNELS convention (ref|neondot|i8mm). The f32 kernels stay
 * the reference ones there for now. */
#if defined(__aarch64__)
#define TR_HAVE_ARM 1
#include "kernels/arm/arm_kernels.h"
#endif

/* 32-bit Arm Linux/Android (armv7-a): "neon" (HWCAP_NEON), the int8 GEMM
 * only; the CMake build adds its files for armv7 targets alone. */
#if defined(__arm__) && !defined(__aarch64__) && defined(__linux__) && \
    !(defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1))
#define TR_HAVE_ARMV7 1
#include "kernels/arm/armv7_neon_kernels.h"
#endif

/* Cortex-M55/M85 (Armv8.1-M with Helium): "mve", chosen at build time since a
 * bare-metal core has no cpuid/HWCAP and a binary built for MVE runs only
 * on such cores (needs 0 below). Integer MVE is bit 0 of __ARM_FEATURE_MVE. */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define TR_HAVE_MVE 1
#include "kernels/mve/mve_kernels.h"
#endif

/* The portable row-wise and attention kernels: the reference set's, and the
 * Arm sets' (whose SIMD is in the int8 GEMM and quantizer so far). */
#define TR_REF_ROWWISE                                                                            \
    .f32_layernorm = tr_f32_layernorm__ref, .f32_rmsnorm = tr_f32_rmsnorm__ref,                   \
    .f32_activation = tr_f32_activation__ref, .f32_attention = tr_f32_attention__ref,             \
    .f32_add = tr_f32_add__ref, .f32_glu = tr_f32_glu__ref

static const tr_kernels k_ref = {
    .name = "ref",
    .f32_gemm = tr_f32_gemm_ukernel_1x1__ref,
    .qu8_quantize_rows = tr_qu8_quantize_rows__ref,
    .qu8s8_gemm = tr_qu8s8_gemm_ukernel_1x1__ref,
    TR_REF_ROWWISE,
};

#if defined(TR_HAVE_X86)
/* The f32 and row-wise kernels each x86 ISA family shares across its sets
 * (the sets differ in the int8 GEMM and the bf16 attention). */
#define TR_AVX2_F32_AND_QUANTIZE                                                                  \
    .f32_gemm = tr_f32_gemm_ukernel_2x4__avx2, .qu8_quantize_rows = tr_qu8_quantize_rows__avx2
#define TR_AVX2_ROWWISE                                                                           \
    .f32_layernorm = tr_f32_layernorm__avx2, .f32_rmsnorm = tr_f32_rmsnorm__avx2,                 \
    .f32_activation = tr_f32_activation__avx2, .f32_attention = tr_f32_attention__avx2,           \
    .f32_add = tr_f32_add__avx2, .f32_glu = tr_f32_glu__avx2
#define TR_AVX512_F32_AND_QUANTIZE                                                                \
    .f32_gemm = tr_f32_gemm_ukernel_4x4__avx512,                                                  \
    .qu8_quantize_rows = tr_qu8_quantize_rows__avx512
#define TR_AVX512_ROWWISE                                                                         \
    .f32_layernorm = tr_f32_layernorm__avx512, .f32_rmsnorm = tr_f32_rmsnorm__avx512,             \
    .f32_activation = tr_f32_activation__avx512, .f32_attention = tr_f32_attention__avx512,       \
    .f32_add = tr_f32_add__avx512, .f32_glu = tr_f32_glu__avx512

static const tr_kernels k_avx2 = {
    .name = "avx2",
    TR_AVX2_F32_AND_QUANTIZE,
    .qu8s8_gemm = tr_qu8s8_gemm_ukernel_6x8__avx2,
    TR_AVX2_ROWWISE,
};

/* avx2 with the AVX-VNNI GEMM (VEX vpdpbusd on ymm): laptops and desktops
 * without AVX-512 (Alder Lake .. Arrow Lake, Meteor/Lunar Lake; Zen 5 has
 * it too, but also AVX-512, which wins there) */
static const tr_kernels k_avxvnni = {
    .name = "avxvnni",
    TR_AVX2_F32_AND_QUANTIZE,
    .qu8s8_gemm = tr_qu8s8_gemm_ukernel_6x16__avxvnni,
    TR_AVX2_ROWWISE,
};

static const tr_kernels k_avx512vnni = {
    .name = "avx512vnni",
    TR_AVX512_F32_AND_QUANTIZE,
    .qu8s8_gemm = tr_qu8s8_gemm_ukernel_6x64__avx512vnni,
    TR_AVX512_ROWWISE,
};

/* avx512vnni plus bfloat16 attention products (AVX512_BF16: Zen 4/5,
 * Cooper Lake, Sapphire Rapids) for the models that allow them */
static const tr_kernels k_avx512bf16 = {
    .name = "avx512bf16",
    TR_AVX512_F32_AND_QUANTIZE,
    .qu8s8_gemm = tr_qu8s8_gemm_ukernel_6x64__avx512vnni,
    TR_AVX512_ROWWISE,
    .f32_attention_bf16 = tr_f32_attention_bf16__avx512,
};

/* avx512bf16 with the AMX-INT8 GEMM (tdpbusd; M < 16 runs the VNNI kernel,
 * see qu8s8_gemm_amx.c). Last in the list: every AMX CPU (Sapphire Rapids
 * and later) also has AVX512_BF16, and a set below it would otherwise win. */
static const tr_kernels k_amx = {
    .name = "amx",
    TR_AVX512_F32_AND_QUANTIZE,
    .qu8s8_gemm = tr_qu8s8_gemm__amx,
    TR_AVX512_ROWWISE,
    .f32_attention_bf16 = tr_f32_attention_bf16__avx512,
};
#endif

#if defined(TR_HAVE_ARM)
static const tr_kernels k_neondot = {
    .name = "neondot",
    .f32_gemm = tr_f32_gemm_ukernel_1x1__ref,
    .qu8_quantize_rows = tr_qu8_quantize_rows__neon,
    .qu8s8_gemm = tr_qu8s8_gemm_ukernel_4x16__neondot,
    TR_REF_ROWWISE,
};

static const tr_kernels k_i8mm = {
    .name = "i8mm",
    .f32_gemm = tr_f32_gemm_ukernel_1x1__ref,
    .qu8_quantize_rows = tr_qu8_quantize_rows__neon,
    .qu8s8_gemm = tr_qu8s8_gemm_ukernel_4x16__i8mm,
    TR_REF_ROWWISE,
};
#endif

#if defined(TR_HAVE_ARMV7)
static const tr_kernels k_armv7_neon = {
    .name = "neon",
    .f32_gemm = tr_f32_gemm_ukernel_1x1__ref,
    .qu8_quantize_rows = tr_qu8_quantize_rows__ref,
    .qu8s8_gemm = tr_qu8s8_gemm_ukernel_2x16__neon,
    TR_REF_ROWWISE,
};
#endif

#if defined(TR_HAVE_MVE)
static const tr_kernels k_mve = {
    .name = "mve",
    .f32_gemm = tr_f32_gemm_ukernel_1x1__ref,
#if __ARM_FEATURE_MVE & 2 /* MVE with floating point (Cortex-M55/M85 with an FPU) */
    .qu8_quantize_rows = tr_qu8_quantize_rows__mve,
#else
    .qu8_quantize_rows = tr_qu8_quantize_rows__ref,
#endif
    .qu8s8_gemm = tr_qu8s8_gemm_ukernel_4x1__mve,
    TR_REF_ROWWISE,
};
#endif

/* Every set this build knows, in rising order, with the CPU check it needs
 * (0: none). */
typedef struct {
    const tr_kernels *k;
    unsigned needs;
} tr_kernel_entry;

static const tr_kernel_entry k_all[] = {
    {&k_ref, 0},
#if defined(TR_HAVE_X86)
    {&k_avx2, TR_X86_AVX2_FMA},
    {&k_avxvnni, TR_X86_AVX2_FMA | TR_X86_AVX_VNNI},
    {&k_avx512vnni, TR_X86_AVX512_VNNI},
    {&k_avx512bf16, TR_X86_AVX512_VNNI | TR_X86_AVX512_BF16},
    {&k_amx, TR_X86_AVX512_VNNI | TR_X86_AVX512_BF16 | TR_X86_AMX_INT8},
#endif
#if defined(TR_HAVE_ARM)
    {&k_neondot, TR_ARM_DOTPROD},
    {&k_i8mm, TR_ARM_I8MM},
#endif
#if defined(TR_HAVE_ARMV7)
    {&k_armv7_neon, 1u},
#endif
#if defined(TR_HAVE_MVE)
    {&k_mve, 0},
#endif
};
#define TR_NUM_SETS (sizeof k_all / sizeof k_all[0])

static unsigned cpu_features(void)
{
#if defined(TR_HAVE_X86)
    return tr_x86_cpu_features();
#elif defined(TR_HAVE_ARM)
    return tr_arm_cpu_features();
#elif defined(TR_HAVE_ARMV7)
    return tr_armv7_has_neon(); /* bit 0: the "neon" set's need */
#else
    return 0;
#endif
}

#if !defined(TINYRANK_NO_GETENV)
static int same_name(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}
#endif

/* The highest set index allowed by TINYRANK_KERNELS (all when unset or
 * unknown). */
static size_t env_cap(void)
{
#if !defined(TINYRANK_NO_GETENV)
    const char *want = getenv("TINYRANK_KERNELS");
    if (want)
        for (size_t i = 0; i < TR_NUM_SETS; i++)
            if (same_name(want, k_all[i].k->name))
                return i;
#endif
    return TR_NUM_SETS - 1;
}

const tr_kernels *tr_kernels_ref(void)
{
    return &k_ref;
}

const tr_kernels *tr_kernels_select(void)
{
    const unsigned feat = cpu_features();
    for (size_t i = env_cap() + 1; i-- > 0;)
        if ((feat & k_all[i].needs) == k_all[i].needs)
            return k_all[i].k;
    return &k_ref;
}

/* The sets this CPU runs, ref first (ignores TINYRANK_KERNELS: the tests
 * walk them all). */
size_t tr_kernels_count(void)
{
    const unsigned feat = cpu_features();
    size_t n = 0;
    for (size_t i = 0; i < TR_NUM_SETS; i++)
        n += (feat & k_all[i].needs) == k_all[i].needs;
    return n;
}

const tr_kernels *tr_kernels_at(size_t i)
{
    const unsigned feat = cpu_features();
    for (size_t j = 0; j < TR_NUM_SETS; j++)
        if ((feat & k_all[j].needs) == k_all[j].needs && i-- == 0)
            return k_all[j].k;
    return NULL;
}
