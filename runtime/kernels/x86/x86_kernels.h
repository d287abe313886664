/* x86_kernels.h - the x86 SIMD kernels (AVX2+FMA and AVX-512 VNNI) and the
 * CPU feature check that dispatch.c uses to choose among them. Each .c file
 * here is compiled with its own -m flags (CMakeLists.txt), never the whole
 * library, so that libtinyrank runs on any x86-64 and picks at run time. */
#ifndef TR_X86_KERNELS_H
#define TR_X86_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* CPU features that the kernel sets need, each already confirmed to be
 * enabled by the OS (XCR0 says it saves the YMM / ZMM state). */
enum {
    TR_X86_AVX2_FMA = 1u << 0,   /* AVX2 + FMA, YMM state */
    TR_X86_AVX512_VNNI = 1u << 1, /* AVX-512 F/BW/VL + VNNI, ZMM + opmask state */
    TR_X86_AVX_VNNI = 1u << 2,    /* VEX vpdpbusd on ymm (the "avxvnni" set, with AVX2_FMA) */
    TR_X86_AVX512_BF16 = 1u << 8, /* vdpbf16ps (with AVX-512 state) */
    TR_X86_AMX_INT8 = 1u << 9     /* AMX-TILE + INT8, tile state in XCR0, Linux permission */
};
unsigned tr_x86_cpu_features(void);

/* AVX-512 VNNI: uint8 x int8 GEMM over N16K4 weights (kernels.h contract). */
void tr_qu8s8_gemm_ukernel_6x64__avx512vnni(size_t M, size_t N, size_t K, const uint8_t *Q,
                                             size_t ldq, const float *a_scale,
                                             const int32_t *a_zp, const int8_t *W,
                                             const float *w_scale, const int32_t *w_sum,
                                             const float *bias, float *C, size_t ldc);
void tr_qu8_quantize_rows__avx512(size_t M, size_t K, const float *A, size_t lda, uint8_t *Q,
                                  size_t ldq, float *scale, int32_t *zp);

/* AMX-INT8 (qu8s8_gemm_amx.c): the tdpbusd kernel alone (any M), and the
 * "amx" set's entry, which sends M < 16 to the VNNI kernel. Call only when
 * tr_x86_cpu_features() has TR_X86_AMX_INT8 (it asks Linux for the tile
 * data permission). */
void tr_qu8s8_gemm_ukernel_32x32__amx(size_t M, size_t N, size_t K, const uint8_t *Q,
                                      size_t ldq, const float *a_scale, const int32_t *a_zp,
                                      const int8_t *W, const float *w_scale,
                                      const int32_t *w_sum, const float *bias, float *C,
                                      size_t ldc);
void tr_qu8s8_gemm__amx(size_t M, size_t N, size_t K, const uint8_t *Q, size_t ldq,
                        const float *a_scale, const int32_t *a_zp, const int8_t *W,
                        const float *w_scale, const int32_t *w_sum, const float *bias, float *C,
                        size_t ldc);

/* AVX2: the same GEMM with 16-bit widening (vpmaddwd is exact where
 * vpmaddubsw would saturate). */
void tr_qu8s8_gemm_ukernel_6x8__avx2(size_t M, size_t N, size_t K, const uint8_t *Q, size_t ldq,
                                     const float *a_scale, const int32_t *a_zp, const int8_t *W,
                                     const float *w_scale, const int32_t *w_sum,
                                     const float *bias, float *C, size_t ldc);
void tr_qu8_quantize_rows__avx2(size_t M, size_t K, const float *A, size_t lda, uint8_t *Q,
                                size_t ldq, float *scale, int32_t *zp);

/* AVX-VNNI (VEX vpdpbusd on ymm, no AVX-512: Alder Lake+ clients, Zen 5):
 * the same GEMM (qu8s8_gemm_avxvnni.c). Needs TR_X86_AVX_VNNI. */
void tr_qu8s8_gemm_ukernel_6x16__avxvnni(size_t M, size_t N, size_t K, const uint8_t *Q,
                                         size_t ldq, const float *a_scale, const int32_t *a_zp,
                                         const int8_t *W, const float *w_scale,
                                         const int32_t *w_sum, const float *bias, float *C,
                                         size_t ldc);

/* f32 kernels, one instantiation of f32_kernels_impl.h per ISA. */
#define TR_X86_F32_DECLARE(tile, sfx)                                                                   \
    void tr_f32_gemm_ukernel_##tile##__##sfx(size_t M, size_t N, size_t K, const float *A,      \
                                        size_t lda, const float *W, size_t ldw,                   \
                                        const float *bias, float *C, size_t ldc);                 \
    void tr_f32_layernorm__##sfx(size_t rows, size_t n, const float *x, const float *gamma,       \
                                 const float *beta, float eps, float *y);                         \
    void tr_f32_rmsnorm__##sfx(size_t rows, size_t n, const float *x, const float *gamma,         \
                               float eps, float *y);                                              \
    void tr_f32_activation__##sfx(int act, size_t n, const float *x, float *y);                   \
    void tr_f32_add__##sfx(size_t n, const float *a, const float *b, float *y);                   \
    void tr_f32_glu__##sfx(int act, size_t n, const float *gate, const float *up, float *y);      \
    void tr_f32_attention__##sfx(size_t len, size_t past, size_t d, const float *q,               \
                                 size_t q_stride,                                                 \
                                 const float *k, size_t k_stride, const float *v,                 \
                                 size_t v_stride, float scale, int causal, float *out,            \
                                 size_t out_stride, float *scratch);                              \
    /* the vector math behind them, exposed for the accuracy tests */                             \
    void tr_f32_vexp__##sfx(size_t n, const float *x, float *y);                                  \
    void tr_f32_verf__##sfx(size_t n, const float *x, float *y);                                  \
    void tr_f32_vtanh__##sfx(size_t n, const float *x, float *y);
TR_X86_F32_DECLARE(4x4, avx512)
/* attention with bfloat16 products (attention_bf16_avx512.c) */
void tr_f32_attention_bf16__avx512(size_t len, size_t past, size_t d, const float *q,
                                   size_t q_stride, const float *k, size_t k_stride,
                                   const float *v, size_t v_stride, float scale, int causal,
                                   float *out, size_t out_stride, float *scratch);
TR_X86_F32_DECLARE(2x4, avx2)

#endif
