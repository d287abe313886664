/* op_attention.c - scaled dot-product attention inside each sequence of the
 * packed batch (no padding is ever computed: sequence s owns rows
 * seq_start[s] .. seq_start[s+1]-1). Grouped-query attention maps query head
 * h to key/value head h / (num_heads / num_kv_heads); `causal` lets row i see
 * rows <= i only (decoders). */
#include "ops/ops.h"

static int check(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out, char *msg,
                 size_t len)
{
    int32_t hq = n->opt.attention.num_heads, hkv = n->opt.attention.num_kv_heads;
    int32_t d = n->opt.attention.head_dim;
    if (hq <= 0 || hkv <= 0 || d <= 0 || hq % hkv != 0 || hq > 4096 || d > 4096) {
        tr_msg(msg, len, "attention: bad heads %d/%d or head_dim %d", (int)hq, (int)hkv, (int)d);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    const tr_tensor *q = in[0], *k = in[1], *v = in[2];
    for (int i = 0; i < 3; i++) {
        const tr_tensor *t = in[i];
        if (t->dtype != TR_DT_F32 || t->ndim != 2 || t->dims[0] != TR_DIM_TOKENS) {
            tr_msg(msg, len, "attention inputs must be F32 [TOKENS, heads*head_dim]");
            return TINYRANK_ERR_CORRUPT_MODEL;
        }
    }
    if (q->dims[1] != hq * d || k->dims[1] != hkv * d || v->dims[1] != hkv * d ||
        !tr_same_shape(q, out) || out->dtype != TR_DT_F32) {
        tr_msg(msg, len, "attention shapes do not match heads %d/%d x head_dim %d", (int)hq,
               (int)hkv, (int)d);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    return TINYRANK_OK;
}

static size_t scratch(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out,
                      const tr_dims *max)
{
    (void)n;
    (void)in;
    (void)out;
    return tr_align64(max->max_seq * sizeof(float));
}

static int eval(tr_exec *x, const tr_node *n)
{
    const size_t hq = (size_t)n->opt.attention.num_heads;
    const size_t hkv = (size_t)n->opt.attention.num_kv_heads;
    const size_t d = (size_t)n->opt.attention.head_dim;
    const size_t group = hq / hkv;
    const float scale = n->opt.attention.scale;
    const float *q = tr_exec_data(x, n->in[0]);
    const float *k = tr_exec_data(x, n->in[1]);
    const float *v = tr_exec_data(x, n->in[2]);
    float *out = tr_exec_data(x, n->out);
    float *p = x->scratch;
    const size_t qs = hq * d, kvs = hkv * d; /* row strides */

    for (size_t s = 0; s < x->dims.seqs; s++) {
        const size_t a = x->seq_start[s], len = x->seq_start[s + 1] - a;
        for (size_t h = 0; h < hq; h++) {
            const size_t kh = h / group;
            x->k->f32_attention(len, d, q + a * qs + h * d, qs, k + a * kvs + kh * d, kvs,
                                v + a * kvs + kh * d, kvs, scale, n->opt.attention.causal,
                                out + a * qs + h * d, qs, p);
        }
    }
    return TINYRANK_OK;
}

const tr_op_def tr_op_attention = {"ATTENTION", 3, 3, check, scratch, eval};
