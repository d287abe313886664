/* op_norm.c - LayerNorm (mean and variance) or RMSNorm over the last axis,
 * or over each run of group_size values of it (Qwen3's per-head q_norm and
 * k_norm: a [TOKENS, heads*d] row is heads groups of d, all with one gamma of
 * d entries; the contiguous groups are simply rows of group_size). */
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
    const int32_t gs = n->opt.norm.group_size;
    if (gs < 0 || (gs > 0 && h % gs != 0)) {
        tr_msg(msg, len, "norm: group_size %d does not divide the row of %d", (int)gs, h);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    if (gs > 0)
        h = gs; /* gamma (and beta) hold one group's values */
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

#define NORM_TILE 64 /* rows per task */

typedef struct norm_job {
    const tr_exec *x;
    const tr_node *n;
    const float *in, *g, *b;
    float *out;
    size_t rows, h;
} norm_job;

static void norm_task(void *arg, size_t task, size_t thread)
{
    const norm_job *j = arg;
    (void)thread;
    size_t r0 = task * NORM_TILE, rows = j->rows - r0 < NORM_TILE ? j->rows - r0 : NORM_TILE;
    if (j->n->opt.norm.rms)
        j->x->k->f32_rmsnorm(rows, j->h, j->in + r0 * j->h, j->g, j->n->opt.norm.epsilon,
                             j->out + r0 * j->h);
    else
        j->x->k->f32_layernorm(rows, j->h, j->in + r0 * j->h, j->g, j->b, j->n->opt.norm.epsilon,
                               j->out + r0 * j->h);
}

static int eval(tr_exec *x, const tr_node *n)
{
    norm_job j;
    j.x = x;
    j.n = n;
    j.in = tr_exec_data(x, n->in[0]);
    j.g = tr_exec_data(x, n->in[1]);
    j.b = n->in[2] >= 0 ? tr_exec_data(x, n->in[2]) : NULL;
    j.out = tr_exec_data(x, n->out);
    j.rows = tr_exec_rows(x, n->in[0]);
    j.h = (size_t)x->tensors[n->in[0]].dims[1];
    if (n->opt.norm.group_size > 0) { /* groups are contiguous: rows of group_size */
        j.rows *= j.h / (size_t)n->opt.norm.group_size;
        j.h = (size_t)n->opt.norm.group_size;
    }
    tr_exec_parallel(x, norm_task, &j, (j.rows + NORM_TILE - 1) / NORM_TILE);
    return TINYRANK_OK;
}

const tr_op_def tr_op_norm = {"NORM", 2, 3, check, NULL, eval};
