/* attention_t5_ref.c - reference kernels of t5_kernels.h (sums in double). */
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/t5_kernels.h"

void tr_f32_attention_relbias__ref(size_t len, size_t d, const float *q, size_t q_stride,
                                   const float *k, size_t k_stride, const float *v,
                                   size_t v_stride, float scale, const float *rel_bias, int causal,
                                   float *out, size_t out_stride, float *p)
{
    for (size_t i = 0; i < len; i++) {
        const float *qi = q + i * q_stride;
        const float *bias_i = rel_bias + (len - 1) - i; /* bias_i[j] is distance j - i */
        const size_t end = causal ? i + 1 : len;
        for (size_t j = 0; j < end; j++) {
            const float *kj = k + j * k_stride;
            double dot = 0.0;
            for (size_t c = 0; c < d; c++)
                dot += (double)qi[c] * kj[c];
            p[j] = (float)(dot * scale + bias_i[j]);
        }
        tr_f32_softmax_inplace__ref(end, p);
        float *oi = out + i * out_stride;
        for (size_t c = 0; c < d; c++) {
            double acc = 0.0;
            for (size_t j = 0; j < end; j++)
                acc += (double)p[j] * v[j * v_stride + c];
            oi[c] = (float)acc;
        }
    }
}

void tr_f32_attention_row__ref(size_t n, size_t d, const float *q, const float *k,
                               size_t k_stride, const float *v, size_t v_stride,
                               const uint32_t *rows, float scale, float *out, float *p)
{
    for (size_t r = 0; r < n; r++) {
        const float *kr = k + (rows ? rows[r] : r) * k_stride;
        double dot = 0.0;
        for (size_t c = 0; c < d; c++)
            dot += (double)q[c] * kr[c];
        p[r] = (float)(dot * scale);
    }
    tr_f32_softmax_inplace__ref(n, p);
    for (size_t c = 0; c < d; c++) {
        double acc = 0.0;
        for (size_t r = 0; r < n; r++)
            acc += (double)p[r] * v[(rows ? rows[r] : r) * v_stride + c];
        out[c] = (float)acc;
    }
}
