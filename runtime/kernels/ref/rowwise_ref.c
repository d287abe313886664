/* rowwise_ref.c - reference row-wise ops: LayerNorm, RMSNorm, softmax, GELU.
 * Statistics are computed in double: these are the references, and the cost
 * is small next to the matrix products. */
#include <math.h>

#include "kernels/kernels.h"

void tr_f32_layernorm__ref(size_t rows, size_t n, const float *x, const float *gamma,
                           const float *beta, float eps, float *y)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * n;
        float *yr = y + r * n;
        double mean = 0.0, var = 0.0;
        for (size_t i = 0; i < n; i++)
            mean += xr[i];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double d = xr[i] - mean;
            var += d * d;
        }
        var /= (double)n; /* biased, as torch.nn.LayerNorm */
        double inv = 1.0 / sqrt(var + (double)eps);
        for (size_t i = 0; i < n; i++) {
            double v = (xr[i] - mean) * inv * gamma[i];
            yr[i] = (float)(beta ? v + beta[i] : v);
        }
    }
}

void tr_f32_rmsnorm__ref(size_t rows, size_t n, const float *x, const float *gamma, float eps,
                         float *y)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * n;
        float *yr = y + r * n;
        double ss = 0.0;
        for (size_t i = 0; i < n; i++)
            ss += (double)xr[i] * xr[i];
        double inv = 1.0 / sqrt(ss / (double)n + (double)eps);
        for (size_t i = 0; i < n; i++)
            yr[i] = (float)(xr[i] * inv * gamma[i]);
    }
}

void tr_f32_softmax_inplace__ref(size_t n, float *x)
{
    if (n == 0)
        return;
    float mx = x[0];
    for (size_t i = 1; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = exp((double)x[i] - mx);
        x[i] = (float)e;
        sum += e;
    }
    double inv = 1.0 / sum;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(x[i] * inv);
}

float tr_f32_gelu_erf__ref(float x)
{
    /* exact GELU, as torch.nn.functional.gelu (BERT's hidden_act "gelu") */
    return (float)(0.5 * x * (1.0 + erf(x * 0.70710678118654752440)));
}

float tr_f32_gelu_tanh__ref(float x)
{
    /* tanh approximation ("gelu_new", "gelu_pytorch_tanh") */
    double xd = x;
    return (float)(0.5 * xd * (1.0 + tanh(0.79788456080286535588 * (xd + 0.044715 * xd * xd * xd))));
}
