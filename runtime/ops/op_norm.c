/* op_norm.c - LayerNorm (mean and variance) or RMSNorm over the last axis. */
#include "ops/ops.h"

static int check(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out, char *msg,
                 size_t len)
{
    const tr_tensor *x = in[0], *g = in[1], *b = in[2];
    if (x->dtype != TR_DT_F32 || x->ndim != 2 || !tr_same_shape(x, out) || out->dtype != TR_DT_F32) {
        tr_msg(msg, len, "norm needs F32 [rows, H] in and out of the same shape");
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    int h = x->dims[1];
    if (g->kind != TR_TK_CONSTANT || g->dtype != TR_DT_F32 || g->ndim != 1 || g->dims[0] != h ||
        (b != NULL && (b->kind != TR_TK_CONSTANT || b->dtype != TR_DT_F32 || b->ndim != 1 ||
                       b->dims[0] != h))) {
        tr_msg(msg, len, "norm weights '%.*s' must be constant F32 [%d]", (int)g->name_len, g->name, h);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    if (!(n->opt.norm.epsilon >= 0.0f) || (n->opt.norm.rms && b != NULL)) {
        tr_msg(msg, len, "bad norm options");
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    return TINYRANK_OK;
}

static int eval(tr_exec *x, const tr_node *n)
{
    const float *in = tr_exec_data(x, n->in[0]);
    const float *g = tr_exec_data(x, n->in[1]);
    const float *b = n->in[2] >= 0 ? tr_exec_data(x, n->in[2]) : NULL;
    float *out = tr_exec_data(x, n->out);
    size_t rows = tr_exec_rows(x, n->in[0]);
    size_t h = (size_t)x->tensors[n->in[0]].dims[1];
    if (n->opt.norm.rms)
        x->k->f32_rmsnorm(rows, h, in, g, n->opt.norm.epsilon, out);
    else
        x->k->f32_layernorm(rows, h, in, g, b, n->opt.norm.epsilon, out);
    return TINYRANK_OK;
}

const tr_op_def tr_op_norm = {"NORM", 2, 3, check, NULL, eval};
