/* attention_ref.c - reference attention of one head over one sequence, and
 * the element-wise activations. Dot products and sums in double. */
#include <math.h>

#include "format/schema_ids.h"
#include "kernels/kernels.h"

/* p: the kernel scratch (tr_attention_scratch_floats(past + len, d) floats);
 * one row of past + len probabilities is all the reference needs of it. */
void tr_f32_attention__ref(size_t len, size_t past, size_t d, const float *q, size_t q_stride,
                           const float *k, size_t k_stride, const float *v, size_t v_stride,
                           float scale, int causal, float *out, size_t out_stride, float *p)
{
    for (size_t i = 0; i < len; i++) {
        const float *qi = q + i * q_stride;
        const size_t end = causal ? past + i + 1 : past + len;
        for (size_t j = 0; j < end; j++) {
            const float *kj = k + j * k_stride;
            double dot = 0.0;
            for (size_t c = 0; c < d; c++)
                dot += (double)qi[c] * kj[c];
            p[j] = (float)(dot * scale);
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

void tr_f32_activation__ref(int act, size_t n, const float *x, float *y)
{
    switch (act) {
    case TR_ACT_GELU_ERF:
        for (size_t i = 0; i < n; i++)
            y[i] = tr_f32_gelu_erf__ref(x[i]);
        break;
    case TR_ACT_GELU_TANH:
        for (size_t i = 0; i < n; i++)
            y[i] = tr_f32_gelu_tanh__ref(x[i]);
        break;
    case TR_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case TR_ACT_SILU:
        for (size_t i = 0; i < n; i++)
            y[i] = (float)(x[i] / (1.0 + exp(-(double)x[i])));
        break;
    case TR_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            y[i] = (float)tanh((double)x[i]);
        break;
    default:
        for (size_t i = 0; i < n; i++)
            y[i] = x[i];
        break;
    }
}

void tr_f32_add__ref(size_t n, const float *a, const float *b, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = a[i] + b[i];
}

/* act(gate) rounded to float first, then the product: what applying the
 * activation and multiplying in two passes gives */
void tr_f32_glu__ref(int act, size_t n, const float *gate, const float *up, float *y)
{
    for (size_t i = 0; i < n; i++) {
        float g;
        tr_f32_activation__ref(act, 1, gate + i, &g);
        y[i] = g * up[i];
    }
}
