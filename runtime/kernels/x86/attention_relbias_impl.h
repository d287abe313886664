/* attention_relbias_impl.h - T5 self-attention with a relative position bias
 * (t5_kernels.h), written once over the vector layer of f32_simd.h and
 * compiled for AVX-512 and AVX2 (attention_relbias_avx512.c / _avx2.c).
 *
 * Per (sequence, head), with the set's register-blocked f32 GEMM (TR_GEMM):
 *   S = Q K^T            one GEMM (K rows are the GEMM's weight rows as they are)
 *   S = softmax(scale S + bias[len - 1 + j - i]) row by row (vector exp),
 *       normalized in place, 0 past a causal row's end
 *   O = S V              one GEMM against V transposed into scratch
 * Checked against tr_f32_attention_relbias__ref (tests/test_t5_ops.c). */
#include "kernels/t5_kernels.h"
#include "kernels/x86/f32_simd.h"
#include "kernels/x86/x86_kernels.h"

void TR_SFX(tr_f32_attention_relbias)(size_t len, size_t d, const float *q, size_t q_stride,
                                      const float *k, size_t k_stride, const float *v,
                                      size_t v_stride, float scale, const float *rel_bias,
                                      int causal, float *out, size_t out_stride, float *scratch)
{
    const size_t lp = tr_attention_relbias_row_floats(len);
    float *sc = scratch;            /* [len][lp] */
    float *vt = scratch + len * lp; /* [d][lp]: V transposed */
    TR_GEMM(len, len, d, q, q_stride, k, k_stride, NULL, sc, lp);
    const vf vscale = vf_set1(scale);
    for (size_t i = 0; i < len; i++) {
        float *row = sc + i * lp;
        const float *bias_i = rel_bias + (len - 1) - i; /* bias_i[j]: distance j - i */
        const size_t end = causal ? i + 1 : len;
        vf mx = vf_set1(-__builtin_inff());
        size_t j = 0;
        for (; j + VL <= end; j += VL) {
            const vf s = vf_fmadd(vf_load(row + j), vscale, vf_load(bias_i + j));
            vf_store(row + j, s);
            mx = vf_max(mx, s);
        }
        if (j < end) {
            const vmask m = vmask_n(end - j);
            const vf s = vf_fmadd(vf_loadm(row + j, m), vscale, vf_loadm(bias_i + j, m));
            vf_storem(row + j, m, s);
            mx = vf_max(mx, vf_select(m, mx, s));
        }
        const vf vm = vf_set1(vf_hmax(mx));
        vf sum = vf_zero();
        for (j = 0; j + VL <= end; j += VL) {
            const vf e = vf_exp(vf_sub(vf_load(row + j), vm));
            vf_store(row + j, e);
            sum = vf_add(sum, e);
        }
        if (j < end) {
            const vmask m = vmask_n(end - j);
            const vf e = vf_keep(m, vf_exp(vf_sub(vf_loadm(row + j, m), vm)));
            vf_storem(row + j, m, e);
            sum = vf_add(sum, e);
        }
        const float inv = 1.0f / vf_hsum(sum);
        const vf vinv = vf_set1(inv);
        for (j = 0; j + VL <= end; j += VL)
            vf_store(row + j, vf_mul(vf_load(row + j), vinv));
        for (; j < end; j++)
            row[j] *= inv;
        for (; j < len; j++)
            row[j] = 0.0f; /* causal: keys after this row */
    }
    for (size_t j = 0; j < len; j++)
        for (size_t c = 0; c < d; c++)
            vt[c * lp + j] = v[j * v_stride + c];
    TR_GEMM(len, d, len, sc, lp, vt, lp, NULL, out, out_stride);
}
