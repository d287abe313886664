/* op_gather_rows.c - one row per sequence (its first or last token), e.g.
 * BERT's [CLS] vector for the pooler, or a decoder's last position. */
#include <string.h>

#include "ops/ops.h"

static int check(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out, char *msg,
                 size_t len)
{
    const tr_tensor *x = in[0];
    if (x->dtype != TR_DT_F32 || x->ndim != 2 || x->dims[0] != TR_DIM_TOKENS ||
        out->dtype != TR_DT_F32 || out->ndim != 2 || out->dims[0] != TR_DIM_SEQUENCES ||
        out->dims[1] != x->dims[1] || n->opt.gather.pick > TR_PICK_LAST) {
        tr_msg(msg, len, "gather rows maps F32 [TOKENS, H] to [SEQUENCES, H]");
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    return TINYRANK_OK;
}

static int eval(tr_exec *x, const tr_node *n)
{
    const float *in = tr_exec_data(x, n->in[0]);
    float *out = tr_exec_data(x, n->out);
    size_t h = (size_t)x->tensors[n->in[0]].dims[1];
    for (size_t s = 0; s < x->dims.seqs; s++) {
        size_t row = n->opt.gather.pick == TR_PICK_FIRST ? x->seq_start[s] : x->seq_start[s + 1] - 1;
        memcpy(out + s * h, in + row * h, h * sizeof(float));
    }
    return TINYRANK_OK;
}

const tr_op_def tr_op_gather_rows = {"GATHER_ROWS", 1, 1, check, NULL, eval};
