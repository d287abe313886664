/* quantize.h - symmetric int8 quantization of weights at conversion time.
 * Per row (= per output channel of a [N][K] Linear weight, per token of an
 * embedding table): scale = max|row| / 127, q = round(w / scale) in
 * [-127, 127] (never -128, so that negation is safe in every kernel). */
#ifndef TR_QUANTIZE_H
#define TR_QUANTIZE_H

#include <stddef.h>
#include <stdint.h>

/* q: rows*cols int8, scales: rows floats (caller-allocated). */
void tr_quantize_rows_s8(const float *w, size_t rows, size_t cols, int8_t *q, float *scales);

/* Largest |w - dequant(q)| over the matrix, for the converter's report. */
double tr_quantize_max_error(const float *w, size_t rows, size_t cols, const int8_t *q,
                             const float *scales);

/* Packs a row-major int8 matrix [n][k] into the N16K4 layout the int8 GEMM
 * kernels read (runtime/format/tinyrank.fbs), zero-padded; malloc'd, NULL
 * when out of memory. */
int8_t *tr_pack_n16k4(const int8_t *w, size_t n, size_t k);

#endif
