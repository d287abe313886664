/* op_view_score.c - MVP's score: inputs (anchors:[views, H], x:[TOKENS, H])
 * -> out [SEQUENCES, 1] with out[s] = (1/views) * sum_k anchors[k] .
 * x[seq_start[s] + k]: each passage's view embeddings e_sk (the first
 * `views` rows of its encoder output) against the anchors the decoder made
 * from all passages of the call. Dot products in double. */
#include "ops/ops.h"

static int check(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out, char *msg,
                 size_t len)
{
    (void)n;
    const tr_tensor *a = in[0], *x = in[1];
    if (a->dtype != TR_DT_F32 || a->ndim != 2 || a->dims[0] < 1 || a->dims[0] > 4096 ||
        x->dtype != TR_DT_F32 || x->ndim != 2 || x->dims[0] != TR_DIM_TOKENS ||
        x->dims[1] != a->dims[1] || out->dtype != TR_DT_F32 || out->ndim != 2 ||
        out->dims[0] != TR_DIM_SEQUENCES || out->dims[1] != 1) {
        tr_msg(msg, len, "view score maps F32 anchors [views, H] and rows [TOKENS, H] to "
                         "[SEQUENCES, 1]");
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    return TINYRANK_OK;
}

static int eval(tr_exec *x, const tr_node *n)
{
    const float *a = tr_exec_data(x, n->in[0]), *e = tr_exec_data(x, n->in[1]);
    float *out = tr_exec_data(x, n->out);
    const size_t views = (size_t)x->tensors[n->in[0]].dims[0];
    const size_t h = (size_t)x->tensors[n->in[0]].dims[1];
    for (size_t s = 0; s < x->dims.seqs; s++) {
        const size_t first = x->seq_start[s];
        if (x->seq_start[s + 1] - first < views) {
            tr_msg(x->msg, x->msglen, "sequence %zu has fewer than the %zu view tokens", s, views);
            return TINYRANK_ERR_INVALID_ARGUMENT;
        }
        double sum = 0.0;
        for (size_t k = 0; k < views; k++) {
            const float *ak = a + k * h, *ek = e + (first + k) * h;
            for (size_t c = 0; c < h; c++)
                sum += (double)ak[c] * ek[c];
        }
        out[s] = (float)(sum / (double)views);
    }
    return TINYRANK_OK;
}

const tr_op_def tr_op_view_score = {"VIEW_SCORE", 2, 2, check, NULL, eval};
