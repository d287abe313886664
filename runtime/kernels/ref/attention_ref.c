/* attention_ref.c - reference attention of one head over one sequence, and
 * the element-wise activations. Dot products and sums in double. */
#include <math.h>
#include <string.h>

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

float tr_f32_round_bf16(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7f800000u) == 0x7f800000u) /* inf, NaN: keep (NaN stays NaN) */
        u = (u & 0x7fffffu) ? (u | 0x400000u) & 0xffff0000u : u;
    else
        u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u; /* nearest, ties to even */
    memcpy(&x, &u, 4);
    return x;
}

/* p: the kernel scratch; past + len floats of it hold one row of scores. */
void tr_f32_attention_bf16__ref(size_t len, size_t past, size_t d, const float *q,
                                size_t q_stride, const float *k, size_t k_stride, const float *v,
                                size_t v_stride, float scale, int causal, float *out,
                                size_t out_stride, float *p)
{
    for (size_t i = 0; i < len; i++) {
        const float *qi = q + i * q_stride;
        const size_t end = causal ? past + i + 1 : past + len;
        float mx = -INFINITY;
        for (size_t j = 0; j < end; j++) {
            const float *kj = k + j * k_stride;
            double dot = 0.0;
            for (size_t c = 0; c < d; c++)
                dot += (double)tr_f32_round_bf16(qi[c]) * tr_f32_round_bf16(kj[c]);
            p[j] = (float)dot * scale;
            mx = p[j] > mx ? p[j] : mx;
        }
        double sum = 0.0;
        for (size_t j = 0; j < end; j++) {
            p[j] = (float)exp((double)p[j] - mx);
            sum += p[j];
        }
        const float inv = (float)(1.0 / sum);
        float *oi = out + i * out_stride;
        for (size_t c = 0; c < d; c++) {
            double acc = 0.0;
            for (size_t j = 0; j < end; j++)
                acc += (double)tr_f32_round_bf16(p[j]) * tr_f32_round_bf16(v[j * v_stride + c]);
            oi[c] = (float)acc * inv;
        }
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
