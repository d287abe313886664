/* model_view.c - graph facts for tools (see model_view.h). */
#include "graph/model_view.h"

#include <string.h>

#include "graph/model.h"
#include "ops/ops.h"

size_t tr_model_num_tensors(const tinyrank_model *m)
{
    return m != NULL && m->magic == TR_MODEL_MAGIC ? m->tensors.count : 0;
}

int tr_model_tensor_desc(const tinyrank_model *m, size_t i, tr_tensor_desc *d)
{
    tr_tensor t;
    if (m == NULL || d == NULL || m->magic != TR_MODEL_MAGIC || i >= m->tensors.count ||
        !tr_model_tensor(m, (uint32_t)i, &t))
        return TINYRANK_ERR_INVALID_ARGUMENT;
    memset(d, 0, sizeof *d);
    d->name = t.name;
    d->name_len = t.name_len;
    d->kind = t.kind;
    d->dtype = t.dtype;
    d->ndim = t.ndim;
    for (int k = 0; k < t.ndim; k++)
        d->shape[k] = t.dims[k];
    d->nbytes = t.nbytes;
    d->n_scales = t.n_scales;
    return TINYRANK_OK;
}

const char *tr_model_dtype_name(int dtype)
{
    return tr_dtype_name(dtype);
}

const char *tr_model_kind_name(int kind)
{
    switch (kind) {
    case TR_TK_CONSTANT: return "constant";
    case TR_TK_ACTIVATION: return "activation";
    case TR_TK_INPUT: return "input";
    case TR_TK_PERSISTENT: return "persistent";
    default: return "?";
    }
}

const char *tr_model_operator_name(const tinyrank_model *m, size_t i)
{
    tr_node n;
    if (m == NULL || m->magic != TR_MODEL_MAGIC || i >= m->operators.count ||
        !tr_model_node(m, (uint32_t)i, &n))
        return NULL;
    const tr_op_def *def = tr_op_lookup(n.code);
    return def ? def->name : NULL;
}

bool tr_model_scores_one_list(const tinyrank_model *m)
{
    tr_node n;
    if (m == NULL || m->magic != TR_MODEL_MAGIC)
        return false;
    for (uint32_t i = 0; i < m->operators.count; i++)
        if (tr_model_node(m, i, &n) &&
            (n.code == TR_OP_VIEW_SCORE || (n.code == TR_OP_CROSS_ATTENTION && n.opt.xatt.views > 0)))
            return true;
    return false;
}
