/* quantize.c - per-row symmetric int8 weight quantization (see quantize.h). */
#include "converter/quantize/quantize.h"

#include <math.h>
#include <stdlib.h>

#include "kernels/kernels.h"

void tr_quantize_rows_s8(const float *w, size_t rows, size_t cols, int8_t *q, float *scales)
{
    for (size_t r = 0; r < rows; r++) {
        const float *wr = w + r * cols;
        float amax = 0.0f;
        for (size_t c = 0; c < cols; c++)
            amax = fabsf(wr[c]) > amax ? fabsf(wr[c]) : amax;
        float scale = amax / 127.0f;
        scales[r] = scale;
        for (size_t c = 0; c < cols; c++) {
            float v = scale > 0.0f ? roundf(wr[c] / scale) : 0.0f;
            v = v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v);
            q[r * cols + c] = (int8_t)v;
        }
    }
}

double tr_quantize_max_error(const float *w, size_t rows, size_t cols, const int8_t *q,
                             const float *scales)
{
    double worst = 0.0;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            double e = fabs((double)w[r * cols + c] - (double)q[r * cols + c] * scales[r]);
            worst = e > worst ? e : worst;
        }
    return worst;
}

int8_t *tr_pack_n16k4(const int8_t *w, size_t n, size_t k)
{
    int8_t *p = calloc(tr_n16k4_bytes(n, k) + 1, 1);
    if (p == NULL)
        return NULL;
    for (size_t r = 0; r < n; r++)
        for (size_t c = 0; c < k; c++)
            p[tr_n16k4_index(r, c, k)] = w[r * k + c];
    return p;
}
