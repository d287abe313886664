/* delegate.c - describing operators to delegates and asking for claims. */
#include "graph/delegate.h"

#include <string.h>

/* The public enums are the format's own values; keep them so. */
#define SAME(a, b) ((int)(a) == (int)(b))
_Static_assert(SAME(TINYRANK_DTYPE_F32, TR_DT_F32) && SAME(TINYRANK_DTYPE_I8, TR_DT_I8) &&
                   SAME(TINYRANK_DTYPE_I32, TR_DT_I32) && SAME(TINYRANK_DTYPE_F16, TR_DT_F16),
               "dtype codes differ");
_Static_assert(SAME(TINYRANK_OP_FULLY_CONNECTED, TR_OP_FULLY_CONNECTED) &&
                   SAME(TINYRANK_OP_ACTIVATION, TR_OP_ACTIVATION) && SAME(TINYRANK_OP_ADD, TR_OP_ADD),
               "op codes differ");
_Static_assert(SAME(TINYRANK_ACT_GELU_ERF, TR_ACT_GELU_ERF) && SAME(TINYRANK_ACT_TANH, TR_ACT_TANH),
               "activation codes differ");
_Static_assert(SAME(TINYRANK_DIM_TOKENS, TR_DIM_TOKENS) &&
                   SAME(TINYRANK_DIM_SEQUENCES, TR_DIM_SEQUENCES),
               "dimension codes differ");
_Static_assert(TINYRANK_MAX_NODE_INPUTS == TR_MAX_OP_INPUTS, "input counts differ");

static void describe_tensor(const tr_tensor *t, tinyrank_tensor_desc *d)
{
    d->dtype = t->dtype;
    d->ndim = t->ndim;
    for (int i = 0; i < t->ndim && i < 4; i++)
        d->dims[i] = t->dims[i];
    d->data = t->kind == TR_TK_CONSTANT ? t->data : NULL;
    d->scales = t->scales;
    d->num_scales = t->n_scales;
    d->packed = t->layout == TR_LAYOUT_N16K4;
}

void tr_delegate_describe(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out,
                          const tr_dims *max, tinyrank_node_desc *d)
{
    memset(d, 0, sizeof *d);
    d->op = n->code;
    d->activation = n->code == TR_OP_FULLY_CONNECTED ? n->opt.fc.activation
                    : n->code == TR_OP_ACTIVATION    ? n->opt.act.activation
                                                     : TINYRANK_ACT_NONE;
    if (n->code == TR_OP_NORM) {
        d->norm_epsilon = n->opt.norm.epsilon;
        d->norm_rms = n->opt.norm.rms;
    }
    if (n->code == TR_OP_EMBEDDING)
        d->embedding_offset = n->opt.embedding.index_offset;
    d->num_inputs = n->n_in;
    for (int i = 0; i < n->n_in; i++)
        if (in[i] != NULL)
            describe_tensor(in[i], &d->inputs[i]);
    describe_tensor(out, &d->output);
    d->max_rows = tr_dim_value(out->dims[0], max);
}

int tr_delegate_claim(const tinyrank_session_params *p, const tr_node *n, const tinyrank_node_desc *d,
                      size_t *bytes)
{
    *bytes = 0;
    if (n->code == TR_OP_NORM && n->opt.norm.group_size != 0)
        return -1;
    if (n->code == TR_OP_FULLY_CONNECTED && n->opt.fc.glu) /* no public description */
        return -1;
    /* only row-wise operators whose description is complete are offered:
     * attention and row gathers need the run's sequence layout, newer ops
     * (RoPE, GLU, cross-attention) have no public description yet, and
     * per-group norms (Qwen3's q_norm) none either */
    if (d->op != TINYRANK_OP_EMBEDDING && d->op != TINYRANK_OP_FULLY_CONNECTED &&
        d->op != TINYRANK_OP_NORM && d->op != TINYRANK_OP_ADD && d->op != TINYRANK_OP_ACTIVATION)
        return -1;
    if (d->op == TINYRANK_OP_EMBEDDING && d->inputs[0].dims[0] != TINYRANK_DIM_TOKENS)
        return -1;
    for (int i = 0; p->delegates != NULL && i < p->num_delegates; i++) {
        const tinyrank_delegate *dg = p->delegates[i];
        size_t b = 0;
        if (dg != NULL && dg->claim != NULL && dg->claim(dg->user, d, &b) == 1) {
            *bytes = b;
            return i;
        }
    }
    return -1;
}

size_t tr_delegate_arena_bytes(const tinyrank_model *m, const tinyrank_session_params *p,
                               const tr_dims *max)
{
    if (p->delegates == NULL || p->num_delegates <= 0)
        return 0;
    size_t total = 0;
    for (uint32_t i = 0; i < m->operators.count; i++) {
        tr_node n;
        tr_tensor tin[TR_MAX_OP_INPUTS], tout;
        const tr_tensor *pin[TR_MAX_OP_INPUTS] = {NULL};
        bool ok = tr_model_node(m, i, &n) && tr_model_tensor(m, (uint32_t)n.out, &tout);
        for (int j = 0; ok && j < n.n_in; j++)
            if (n.in[j] >= 0) {
                ok = tr_model_tensor(m, (uint32_t)n.in[j], &tin[j]);
                pin[j] = &tin[j];
            }
        if (!ok)
            continue; /* cannot happen on a verified model */
        tinyrank_node_desc d;
        size_t b;
        tr_delegate_describe(&n, pin, &tout, max, &d);
        if (tr_delegate_claim(p, &n, &d, &b) >= 0)
            total += tr_align64(b);
    }
    return total;
}
