/* arch_common.c - tensor loading and quantization shared by the families. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "converter/arch/arch.h"
#include "converter/quantize/quantize.h"
#include "kernels/kernels.h"
#include "tinyrank.h"

static void shape_str(char *buf, size_t len, int ndim, const int64_t *shape)
{
    size_t at = 0;
    at += (size_t)snprintf(buf + at, len - at, "[");
    for (int i = 0; i < ndim && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (at < len)
        snprintf(buf + at, len - at, "]");
}

float *tr_arch_load_f32(tr_arch_ctx *c, const char *name, int ndim, const int64_t *shape)
{
    const tr_st_tensor *t = tr_st_use(c->weights, name);
    if (t == NULL) {
        snprintf(c->err, c->errlen, "missing tensor '%s' in %s", name, c->opt->input_dir);
        return NULL;
    }
    bool ok = t->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++)
        ok = t->shape[i] == shape[i];
    if (!ok) {
        char want[96], got[96];
        shape_str(want, sizeof want, ndim, shape);
        shape_str(got, sizeof got, t->ndim, t->shape);
        snprintf(c->err, c->errlen, "tensor '%s' in %s has shape %s, expected %s", name, t->file,
                 got, want);
        return NULL;
    }
    float *data = malloc((size_t)t->numel * sizeof(float) + 1);
    if (data == NULL) {
        snprintf(c->err, c->errlen, "out of memory loading tensor '%s'", name);
        return NULL;
    }
    if (tr_st_to_f32(t, data, c->err, c->errlen) != TINYRANK_OK) {
        free(data);
        return NULL;
    }
    return data;
}

int32_t tr_arch_constant(tr_arch_ctx *c, const char *name, int ndim, const int64_t *shape, int how)
{
    float *w = tr_arch_load_f32(c, name, ndim, shape);
    if (w == NULL)
        return -1;
    return tr_arch_constant_from(c, name, ndim, shape, w, how);
}

int32_t tr_arch_constant_from(tr_arch_ctx *c, const char *name, int ndim, const int64_t *shape,
                              float *w, int how)
{
    int32_t dims[TR_MAX_DIMS];
    size_t numel = 1;
    for (int i = 0; i < ndim; i++) {
        dims[i] = (int32_t)shape[i];
        numel *= (size_t)shape[i];
    }
    if (how == TR_ARCH_F32 || ndim != 2)
        return tr_ir_constant(c->ir, name, TR_DT_F32, ndim, dims, w, numel * sizeof(float), NULL, 0);
    size_t rows = (size_t)shape[0], cols = (size_t)shape[1];
    int8_t *q = malloc(numel ? numel : 1);
    float *scales = malloc(rows * sizeof(float) + 1);
    if (q == NULL || scales == NULL) {
        free(w);
        free(q);
        free(scales);
        snprintf(c->err, c->errlen, "out of memory quantizing '%s'", name);
        return -1;
    }
    tr_quantize_rows_s8(w, rows, cols, q, scales);
    free(w);
    size_t bytes = numel;
    uint8_t layout = TR_LAYOUT_ROW_MAJOR;
    if (how == TR_ARCH_I8_PACKED) {
        int8_t *packed = tr_pack_n16k4(q, rows, cols);
        free(q);
        if (packed == NULL) {
            free(scales);
            snprintf(c->err, c->errlen, "out of memory packing '%s'", name);
            return -1;
        }
        q = packed;
        bytes = tr_n16k4_bytes(rows, cols);
        layout = TR_LAYOUT_N16K4;
    }
    int32_t idx = tr_ir_constant(c->ir, name, TR_DT_I8, 2, dims, q, bytes, scales, (uint32_t)rows);
    if (idx >= 0) {
        c->ir->tensors[idx].quant_axis = 0;
        c->ir->tensors[idx].layout = layout;
    }
    return idx;
}

int32_t tr_arch_row_sums(tr_arch_ctx *c, int32_t weight)
{
    const tr_ir_tensor *w = &c->ir->tensors[weight];
    char name[512];
    size_t rows = (size_t)w->dims[0], cols = (size_t)w->dims[1];
    int32_t *sums = malloc(rows * sizeof(int32_t) + 1);
    if (sums == NULL) {
        snprintf(c->err, c->errlen, "out of memory");
        return -1;
    }
    const int8_t *q = w->data;
    for (size_t r = 0; r < rows; r++) {
        int32_t s = 0;
        for (size_t k = 0; k < cols; k++)
            s += q[w->layout == TR_LAYOUT_N16K4 ? tr_n16k4_index(r, k, cols) : r * cols + k];
        sums[r] = s;
    }
    snprintf(name, sizeof name, "%s:row_sums", w->name);
    const int32_t dims[1] = {(int32_t)rows};
    return tr_ir_constant(c->ir, name, TR_DT_I32, 1, dims, sums, rows * sizeof(int32_t), NULL, 0);
}
