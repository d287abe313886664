/* op_glu.c - gated linear unit: x [rows, 2F] -> out[r, j] = act(x[r, j]) *
 * x[r, F + j]. The gate and up projections of SwiGLU (Qwen, Llama) or
 * gated-GELU (T5 v1.1) are one fully connected layer of 2F outputs, so the
 * activations are read once and the GEMM is one call instead of two. */
#include "ops/ops.h"

static int check(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out, char *msg,
                 size_t len)
{
    const tr_tensor *x = in[0];
    if (x->dtype != TR_DT_F32 || x->ndim != 2 || out->dtype != TR_DT_F32 || out->ndim != 2 ||
        out->dims[0] != x->dims[0] || (int64_t)x->dims[1] != 2 * (int64_t)out->dims[1] ||
        !tr_activation_valid(n->opt.glu.activation)) {
        tr_msg(msg, len, "glu maps F32 [rows, 2F] to [rows, F] with a known activation");
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    return TINYRANK_OK;
}

#define GLU_TILE 16 /* rows per task */

typedef struct glu_job {
    const tr_exec *x;
    const float *in;
    float *out;
    size_t rows, f;
    int act;
} glu_job;

static void glu_task(void *arg, size_t task, size_t thread)
{
    const glu_job *j = arg;
    (void)thread;
    const size_t r0 = task * GLU_TILE, r1 = r0 + GLU_TILE < j->rows ? r0 + GLU_TILE : j->rows;
    for (size_t r = r0; r < r1; r++) {
        const float *g = j->in + r * 2 * j->f, *u = g + j->f;
        float *o = j->out + r * j->f;
        j->x->k->f32_glu(j->act, j->f, g, u, o);
    }
}

static int eval(tr_exec *x, const tr_node *n)
{
    glu_job j;
    j.x = x;
    j.in = tr_exec_data(x, n->in[0]);
    j.out = tr_exec_data(x, n->out);
    j.rows = tr_exec_rows(x, n->in[0]);
    j.f = (size_t)x->tensors[n->out].dims[1];
    j.act = n->opt.glu.activation;
    tr_exec_parallel(x, glu_task, &j, (j.rows + GLU_TILE - 1) / GLU_TILE);
    return TINYRANK_OK;
}

const tr_op_def tr_op_glu = {"GLU", 1, 1, check, NULL, eval};
