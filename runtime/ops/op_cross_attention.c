/* op_cross_attention.c - the cross-attention of a T5 decoder step: few query
 * rows over encoder memory rows (no mask, no position bias, no scaling in
 * T5: `scale` is 1.0). inputs (q:[R, heads*head_dim], k, v:[TOKENS,
 * heads*head_dim]); out like q.
 *
 * Which memory rows a query row sees (options.views):
 *   0 (monoT5): R = SEQUENCES; query row s attends over the rows of
 *     sequence s (its own passage).
 *   m > 0 (MVP): R = m; query row k attends over row k of EVERY sequence of
 *     the run - the view embedding e_ik of each passage i. The rows are
 *     visited in sequence order, but softmax and weighted sum are sums, so
 *     the result does not depend on the passage order (up to the last bit of
 *     a float sum taken in double). */
#include "kernels/t5_kernels.h"
#include "ops/ops.h"

static int check(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out, char *msg,
                 size_t len)
{
    const int32_t heads = n->opt.xatt.num_heads, d = n->opt.xatt.head_dim, views = n->opt.xatt.views;
    if (heads <= 0 || d <= 0 || heads > 4096 || d > 4096 || views < 0 || views > 4096) {
        tr_msg(msg, len, "cross attention: bad heads %d, head_dim %d or views %d", (int)heads,
               (int)d, (int)views);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    const tr_tensor *q = in[0];
    const int32_t rows = views > 0 ? views : TR_DIM_SEQUENCES;
    if (q->dtype != TR_DT_F32 || q->ndim != 2 || q->dims[0] != rows || q->dims[1] != heads * d ||
        !tr_same_shape(q, out) || out->dtype != TR_DT_F32) {
        tr_msg(msg, len, "cross attention query and output must be F32 [%s, %d]",
               views > 0 ? "views" : "SEQUENCES", (int)(heads * d));
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    for (int i = 1; i < 3; i++)
        if (in[i]->dtype != TR_DT_F32 || in[i]->ndim != 2 || in[i]->dims[0] != TR_DIM_TOKENS ||
            in[i]->dims[1] != heads * d) {
            tr_msg(msg, len, "cross attention memory must be F32 [TOKENS, %d]", (int)(heads * d));
            return TINYRANK_ERR_CORRUPT_MODEL;
        }
    return TINYRANK_OK;
}

/* per thread: scores over the memory rows, and (views) their row numbers */
static size_t per_thread_bytes(const tr_node *n, const tr_dims *max)
{
    size_t rows = n->opt.xatt.views > 0 ? max->seqs : max->max_seq;
    return tr_align64(rows * sizeof(float)) +
           (n->opt.xatt.views > 0 ? tr_align64(rows * sizeof(uint32_t)) : 0);
}

static size_t scratch(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out,
                      const tr_dims *max)
{
    (void)in;
    (void)out;
    return max->threads * per_thread_bytes(n, max);
}

typedef struct xatt_job {
    const tr_exec *x;
    size_t heads, d, stride, per_thread;
    int32_t views;
    float scale;
    const float *q, *k, *v;
    float *out;
    uint8_t *scratch;
} xatt_job;

/* task = (query row, head) */
static void xatt_task(void *arg, size_t task, size_t thread)
{
    const xatt_job *j = arg;
    const size_t r = task / j->heads, h = task % j->heads, col = h * j->d;
    uint8_t *mine = j->scratch + thread * j->per_thread;
    float *p = (float *)(void *)mine;
    const uint32_t *rows = NULL;
    size_t first = 0, n;
    if (j->views > 0) {
        uint32_t *list = (uint32_t *)(void *)(mine + tr_align64(j->x->dims.seqs * sizeof(float)));
        n = j->x->dims.seqs;
        for (size_t s = 0; s < n; s++)
            list[s] = j->x->seq_start[s] + (uint32_t)r;
        rows = list;
    } else {
        first = j->x->seq_start[r];
        n = j->x->seq_start[r + 1] - first;
    }
    tr_f32_attention_row__ref(n, j->d, j->q + r * j->stride + col, j->k + first * j->stride + col,
                              j->stride, j->v + first * j->stride + col, j->stride, rows, j->scale,
                              j->out + r * j->stride + col, p);
}

static int eval(tr_exec *x, const tr_node *n)
{
    xatt_job j;
    j.x = x;
    j.heads = (size_t)n->opt.xatt.num_heads;
    j.d = (size_t)n->opt.xatt.head_dim;
    j.stride = j.heads * j.d;
    j.views = n->opt.xatt.views;
    j.scale = n->opt.xatt.scale;
    j.per_thread = per_thread_bytes(n, &x->dims);
    if (j.views > 0)
        for (size_t s = 0; s < x->dims.seqs; s++)
            if (x->seq_start[s + 1] - x->seq_start[s] < (uint32_t)j.views) {
                tr_msg(x->msg, x->msglen, "sequence %zu has fewer than the %d view tokens", s,
                       (int)j.views);
                return TINYRANK_ERR_INVALID_ARGUMENT;
            }
    j.q = tr_exec_data(x, n->in[0]);
    j.k = tr_exec_data(x, n->in[1]);
    j.v = tr_exec_data(x, n->in[2]);
    j.out = tr_exec_data(x, n->out);
    j.scratch = x->scratch;
    size_t rows = j.views > 0 ? (size_t)j.views : x->dims.seqs;
    tr_exec_parallel(x, xatt_task, &j, rows * j.heads);
    return TINYRANK_OK;
}

const tr_op_def tr_op_cross_attention = {"CROSS_ATTENTION", 3, 3, check, scratch, eval};
