/* op_common.c - shape helpers and the op table. */
#include "ops/ops.h"

const tr_op_def *tr_op_lookup(int code)
{
    switch (code) {
    case TR_OP_EMBEDDING: return &tr_op_embedding;
    case TR_OP_FULLY_CONNECTED: return &tr_op_fully_connected;
    case TR_OP_NORM: return &tr_op_norm;
    case TR_OP_ATTENTION: return &tr_op_attention;
    case TR_OP_ADD: return &tr_op_add;
    case TR_OP_GATHER_ROWS: return &tr_op_gather_rows;
    case TR_OP_ACTIVATION: return &tr_op_activation;
    case TR_OP_CROSS_ATTENTION: return &tr_op_cross_attention;
    case TR_OP_VIEW_SCORE: return &tr_op_view_score;
    case TR_OP_ROPE: return &tr_op_rope;
    case TR_OP_GLU: return &tr_op_glu;
    case TR_OP_ROPE_TABLE: return &tr_op_rope_table;
    default: return NULL;
    }
}

size_t tr_dim_value(int32_t d, const tr_dims *dims)
{
    if (d == TR_DIM_TOKENS)
        return dims->tokens;
    if (d == TR_DIM_SEQUENCES)
        return dims->seqs;
    return d > 0 ? (size_t)d : 0;
}

size_t tr_tensor_numel(const tr_tensor *t, const tr_dims *dims)
{
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= tr_dim_value(t->dims[i], dims);
    return n;
}

size_t tr_tensor_bytes(const tr_tensor *t, const tr_dims *dims)
{
    return tr_tensor_numel(t, dims) * tr_dtype_size(t->dtype);
}

void *tr_exec_data(const tr_exec *x, int32_t i)
{
    const tr_tensor *t = &x->tensors[i];
    if (t->kind == TR_TK_CONSTANT)
        return (void *)(uintptr_t)t->data; /* read-only by contract of the ops */
    return x->base + x->offsets[i];
}

size_t tr_exec_rows(const tr_exec *x, int32_t i)
{
    return tr_dim_value(x->tensors[i].dims[0], &x->dims);
}

bool tr_same_shape(const tr_tensor *a, const tr_tensor *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->dims[i] != b->dims[i])
            return false;
    return true;
}

bool tr_activation_valid(int act)
{
    return act >= TR_ACT_NONE && act <= TR_ACT_TANH;
}


void tr_exec_parallel(const tr_exec *x, tr_task_fn fn, void *arg, size_t n)
{
    if (x->pool != NULL && x->dims.threads > 1 && n > 1) {
        x->pool->run(x->pool, fn, arg, n, (int)x->dims.threads);
        return;
    }
    for (size_t i = 0; i < n; i++)
        fn(arg, i, 0);
}
