/* model_ir.c - building the in-memory model (see model_ir.h). */
#include "converter/write/model_ir.h"

#include <stdlib.h>
#include <string.h>

void tr_ir_init(tr_ir *ir)
{
    memset(ir, 0, sizeof *ir);
    ir->token_ids = ir->type_ids = ir->position_ids = ir->output = ir->decoder_ids = -1;
    ir->tok.eos_id = ir->tok.bos_id = -1;
}

void tr_ir_free(tr_ir *ir)
{
    for (size_t i = 0; i < ir->n_tensors; i++) {
        free(ir->tensors[i].name);
        free(ir->tensors[i].data);
        free(ir->tensors[i].scales);
    }
    free(ir->tensors);
    free(ir->ops);
    memset(ir, 0, sizeof *ir);
}

static tr_ir_tensor *new_tensor(tr_ir *ir, const char *name, int ndim, const int32_t *dims)
{
    if (ir->n_tensors == ir->cap_tensors) {
        size_t cap = ir->cap_tensors ? 2 * ir->cap_tensors : 64;
        tr_ir_tensor *t = realloc(ir->tensors, cap * sizeof *t);
        if (t == NULL) {
            ir->oom = true;
            return NULL;
        }
        ir->tensors = t;
        ir->cap_tensors = cap;
    }
    tr_ir_tensor *t = &ir->tensors[ir->n_tensors];
    memset(t, 0, sizeof *t);
    t->name = malloc(strlen(name) + 1);
    if (t->name == NULL) {
        ir->oom = true;
        return NULL;
    }
    strcpy(t->name, name);
    t->ndim = ndim;
    for (int i = 0; i < ndim && i < TR_MAX_DIMS; i++)
        t->dims[i] = dims[i];
    ir->n_tensors++;
    return t;
}

int32_t tr_ir_activation(tr_ir *ir, const char *name, int ndim, const int32_t *dims)
{
    tr_ir_tensor *t = new_tensor(ir, name, ndim, dims);
    if (t == NULL)
        return -1;
    t->kind = TR_TK_ACTIVATION;
    t->dtype = TR_DT_F32;
    return (int32_t)(ir->n_tensors - 1);
}

int32_t tr_ir_input(tr_ir *ir, const char *name)
{
    const int32_t dims[1] = {TR_DIM_TOKENS};
    tr_ir_tensor *t = new_tensor(ir, name, 1, dims);
    if (t == NULL)
        return -1;
    t->kind = TR_TK_INPUT;
    t->dtype = TR_DT_I32;
    return (int32_t)(ir->n_tensors - 1);
}

int32_t tr_ir_constant(tr_ir *ir, const char *name, uint8_t dtype, int ndim, const int32_t *dims,
                       void *data, size_t nbytes, float *scales, uint32_t n_scales)
{
    tr_ir_tensor *t = new_tensor(ir, name, ndim, dims);
    if (t == NULL) {
        free(data);
        free(scales);
        return -1;
    }
    t->kind = TR_TK_CONSTANT;
    t->dtype = dtype;
    t->data = data;
    t->nbytes = nbytes;
    t->scales = scales;
    t->n_scales = n_scales;
    return (int32_t)(ir->n_tensors - 1);
}

int32_t tr_ir_op(tr_ir *ir, const tr_node *op)
{
    if (ir->n_ops == ir->cap_ops) {
        size_t cap = ir->cap_ops ? 2 * ir->cap_ops : 64;
        tr_node *o = realloc(ir->ops, cap * sizeof *o);
        if (o == NULL) {
            ir->oom = true;
            return -1;
        }
        ir->ops = o;
        ir->cap_ops = cap;
    }
    ir->ops[ir->n_ops++] = *op;
    return op->out;
}
