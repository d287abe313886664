/* op_embedding.c - out[t] = table[ids[t] + index_offset]. An I8 table is
 * dequantized per row (one scale per row) as it is read. */
#include <string.h>

#include "ops/ops.h"

static int check(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out, char *msg,
                 size_t len)
{
    const tr_tensor *ids = in[0], *table = in[1];
    (void)n;
    /* [TOKENS] ids, or one id per sequence / a fixed count (T5 decoder steps) */
    if (ids->dtype != TR_DT_I32 || ids->ndim != 1) {
        tr_msg(msg, len, "embedding ids must be I32 [rows]");
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    if (table->kind != TR_TK_CONSTANT || table->ndim != 2 ||
        (table->dtype != TR_DT_F32 && table->dtype != TR_DT_I8)) {
        tr_msg(msg, len, "embedding table '%.*s' must be a constant F32/I8 matrix",
               (int)table->name_len, table->name);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    if (table->dtype == TR_DT_I8 && (table->quant_axis != 0 || table->n_scales != (uint32_t)table->dims[0])) {
        tr_msg(msg, len, "I8 embedding table '%.*s' needs one scale per row", (int)table->name_len,
               table->name);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    if (out->dtype != TR_DT_F32 || out->ndim != 2 || out->dims[0] != ids->dims[0] ||
        out->dims[1] != table->dims[1]) {
        tr_msg(msg, len, "embedding output must be F32 [rows of the ids, %d]", (int)table->dims[1]);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    return TINYRANK_OK;
}

static int eval(tr_exec *x, const tr_node *n)
{
    const tr_tensor *table = &x->tensors[n->in[1]];
    const int32_t *ids = tr_exec_data(x, n->in[0]);
    float *out = tr_exec_data(x, n->out);
    size_t rows = (size_t)table->dims[0], cols = (size_t)table->dims[1];
    const size_t n_ids = tr_exec_rows(x, n->in[0]);
    for (size_t t = 0; t < n_ids; t++) {
        int64_t r = (int64_t)ids[t] + n->opt.embedding.index_offset;
        if (r < 0 || (uint64_t)r >= rows) {
            tr_msg(x->msg, x->msglen, "token id %lld is outside embedding '%.*s' (%zu rows)",
                   (long long)r, (int)table->name_len, table->name, rows);
            return TINYRANK_ERR_INVALID_ARGUMENT;
        }
        float *o = out + t * cols;
        if (table->dtype == TR_DT_F32) {
            memcpy(o, (const float *)table->data + (size_t)r * cols, cols * sizeof(float));
        } else {
            const int8_t *q = (const int8_t *)table->data + (size_t)r * cols;
            float s = table->scales[r];
            for (size_t c = 0; c < cols; c++)
                o[c] = (float)q[c] * s;
        }
    }
    return TINYRANK_OK;
}

const tr_op_def tr_op_embedding = {"EMBEDDING", 2, 2, check, NULL, eval};
