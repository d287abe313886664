/* op_elementwise.c - ADD (same shapes) and ACTIVATION. */
#include "ops/ops.h"

static int check_add(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out,
                     char *msg, size_t len)
{
    (void)n;
    if (in[0]->dtype != TR_DT_F32 || in[1]->dtype != TR_DT_F32 || out->dtype != TR_DT_F32 ||
        !tr_same_shape(in[0], in[1]) || !tr_same_shape(in[0], out)) {
        tr_msg(msg, len, "add needs F32 operands of one shape");
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    return TINYRANK_OK;
}

/* Chunks of a size that does not depend on the thread count (whole cache
 * lines, so threads never share one). */
#define ADD_CHUNK 16384

typedef struct add_job {
    const tr_exec *x;
    const float *a, *b;
    float *o;
    size_t count;
} add_job;

static void add_task(void *arg, size_t task, size_t thread)
{
    const add_job *j = arg;
    (void)thread;
    const size_t i0 = task * ADD_CHUNK;
    const size_t n = j->count - i0 < ADD_CHUNK ? j->count - i0 : ADD_CHUNK;
    j->x->k->f32_add(n, j->a + i0, j->b + i0, j->o + i0);
}

static int eval_add(tr_exec *x, const tr_node *n)
{
    add_job j = {x, tr_exec_data(x, n->in[0]), tr_exec_data(x, n->in[1]),
                 tr_exec_data(x, n->out), tr_tensor_numel(&x->tensors[n->out], &x->dims)};
    tr_exec_parallel(x, add_task, &j, (j.count + ADD_CHUNK - 1) / ADD_CHUNK);
    return TINYRANK_OK;
}

const tr_op_def tr_op_add = {"ADD", 2, 2, check_add, NULL, eval_add};

static int check_act(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out,
                     char *msg, size_t len)
{
    if (in[0]->dtype != TR_DT_F32 || out->dtype != TR_DT_F32 || !tr_same_shape(in[0], out) ||
        !tr_activation_valid(n->opt.act.activation)) {
        tr_msg(msg, len, "activation needs F32 in and out of one shape and a known function");
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    return TINYRANK_OK;
}

static int eval_act(tr_exec *x, const tr_node *n)
{
    const float *a = tr_exec_data(x, n->in[0]);
    float *o = tr_exec_data(x, n->out);
    size_t count = tr_tensor_numel(&x->tensors[n->out], &x->dims);
    x->k->f32_activation(n->opt.act.activation, count, a, o);
    return TINYRANK_OK;
}

const tr_op_def tr_op_activation = {"ACTIVATION", 1, 1, check_act, NULL, eval_act};
