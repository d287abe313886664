/* t5_kernels.h - the attention kernels of T5 encoder-decoders (internal):
 * self-attention with a relative position bias, and attention of single
 * query rows over a chosen set of memory rows (decoder steps).
 *
 * The reference kernels work in double, as attention_ref.c does; the AVX2
 * and AVX-512 variants of the biased attention (x86/attention_relbias_*)
 * are checked against a double formula on odd shapes (test_t5_ops.c). */
#ifndef TR_T5_KERNELS_H
#define TR_T5_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Attention of one head over one sequence of len rows where the score of
 * (query i, key j) is scale * q_i . k_j + rel_bias[len - 1 + j - i]:
 * rel_bias holds one value per relative distance -(len-1) .. len-1 (T5's
 * bucketed bias, already looked up for this head). causal: j <= i only.
 * scratch: tr_attention_relbias_scratch_floats(len, d) floats. */
typedef void (*tr_f32_attention_relbias_fn)(size_t len, size_t d, const float *q, size_t q_stride,
                                            const float *k, size_t k_stride, const float *v,
                                            size_t v_stride, float scale, const float *rel_bias,
                                            int causal, float *out, size_t out_stride,
                                            float *scratch);

/* Row stride of the SIMD kernels' score matrix: len rounded up to 16. */
static inline size_t tr_attention_relbias_row_floats(size_t len)
{
    return (len + 15) / 16 * 16;
}
/* The scores [len][lp] and V transposed [d][lp] (the most any kernel set
 * needs; the reference uses len floats of it). */
static inline size_t tr_attention_relbias_scratch_floats(size_t len, size_t d)
{
    return tr_attention_relbias_row_floats(len) * (len + d);
}

void tr_f32_attention_relbias__avx2(size_t len, size_t d, const float *q, size_t q_stride,
                                    const float *k, size_t k_stride, const float *v,
                                    size_t v_stride, float scale, const float *rel_bias, int causal,
                                    float *out, size_t out_stride, float *scratch);
void tr_f32_attention_relbias__avx512(size_t len, size_t d, const float *q, size_t q_stride,
                                      const float *k, size_t k_stride, const float *v,
                                      size_t v_stride, float scale, const float *rel_bias,
                                      int causal, float *out, size_t out_stride, float *scratch);
void tr_f32_attention_relbias__ref(size_t len, size_t d, const float *q, size_t q_stride,
                                   const float *k, size_t k_stride, const float *v,
                                   size_t v_stride, float scale, const float *rel_bias, int causal,
                                   float *out, size_t out_stride, float *scratch);

/* The relbias kernel of a kernel set (by its name: "ref", "avx2",
 * "avx512vnni", ...): the AVX2 / AVX-512 variant for those sets, else the
 * reference (t5_dispatch.c). */
tr_f32_attention_relbias_fn tr_f32_attention_relbias_for(const char *kernel_set_name);

/* One query row q (d floats) over n memory rows: row r of K and V is at
 * k + rows[r] * k_stride (rows NULL: row r itself). out = sum_r p_r v_r with
 * p = softmax(scale * q . k_r). scratch: n floats. */
void tr_f32_attention_row__ref(size_t n, size_t d, const float *q, const float *k,
                               size_t k_stride, const float *v, size_t v_stride,
                               const uint32_t *rows, float scale, float *out, float *scratch);

#endif
