/* op_attention.c - scaled dot-product attention inside each sequence of the
 * packed batch (no padding is ever computed: sequence s owns rows
 * seq_start[s] .. seq_start[s+1]-1). Grouped-query attention maps query head
 * h to key/value head h / (num_heads / num_kv_heads); `causal` lets row i see
 * rows <= i only (decoders).
 *
 * The queries may also be one row per sequence ([SEQUENCES, ...]): each
 * attends to ALL keys of its sequence (and, with a cache, the cached prefix
 * before them) - the view of an encoder's first token, or of a causal
 * decoder's last one. A model scored from that one token needs nothing else
 * in its last layer, so the converters (bert.c, qwen.c) gather that row
 * before the query projection there and the layer's queries, attention
 * output, output projection and FFN shrink to one row per sequence; the
 * keys and values still come from every token. */
#include "ops/attention_cache.h"    /* decoders' prefix cache: op_attention_cache.c */
#include "ops/attention_relative.h" /* T5: op_attention_relative.c */
#include "ops/ops.h"

static int check(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out, char *msg,
                 size_t len)
{
    int32_t hq = n->opt.attention.num_heads, hkv = n->opt.attention.num_kv_heads;
    int32_t d = n->opt.attention.head_dim;
    if (n->opt.attention.relative) {
        if (n->opt.attention.q_column || n->opt.attention.k_column || n->opt.attention.v_column) {
            tr_msg(msg, len, "attention: a relative bias takes unfused q, k, v (columns 0)");
            return TINYRANK_ERR_CORRUPT_MODEL;
        }
        return tr_attention_relative_check(n, in, out, msg, len);
    }
    if (hq <= 0 || hkv <= 0 || d <= 0 || hq % hkv != 0 || hq > 4096 || d > 4096) {
        tr_msg(msg, len, "attention: bad heads %d/%d or head_dim %d", (int)hq, (int)hkv, (int)d);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    if (n->opt.attention.cache || in[4] || in[5]) {
        int rc = tr_attention_cache_check(n, in, msg, len);
        if (rc != TINYRANK_OK)
            return rc;
    } else if (n->opt.attention.relative || in[3]) {
        tr_msg(msg, len, "attention: input 3 (a relative position bias) needs options.relative");
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    const tr_tensor *q = in[0], *k = in[1], *v = in[2];
    for (int i = 0; i < 3; i++) {
        const tr_tensor *t = in[i];
        /* queries may be one row per sequence (see the top of the file) */
        const bool rows_ok = t->dims[0] == TR_DIM_TOKENS ||
                             (i == 0 && t->dims[0] == TR_DIM_SEQUENCES);
        if (t->dtype != TR_DT_F32 || t->ndim != 2 || !rows_ok) {
            tr_msg(msg, len, "attention inputs must be F32 [TOKENS, heads*head_dim]");
            return TINYRANK_ERR_CORRUPT_MODEL;
        }
    }
    /* q, k, v are column ranges of their inputs' rows (a fused projection);
     * the decoder cache keeps whole rows, so it takes unfused inputs only */
    const int64_t qc = n->opt.attention.q_column, kc = n->opt.attention.k_column,
                  vc = n->opt.attention.v_column;
    const bool fused_ok = !n->opt.attention.cache ||
                          (qc == 0 && kc == 0 && vc == 0 && q->dims[1] == hq * d &&
                           k->dims[1] == hkv * d && v->dims[1] == hkv * d);
    if (qc < 0 || kc < 0 || vc < 0 || qc + (int64_t)hq * d > q->dims[1] ||
        kc + (int64_t)hkv * d > k->dims[1] || vc + (int64_t)hkv * d > v->dims[1] || !fused_ok ||
        out->dtype != TR_DT_F32 || out->ndim != 2 || out->dims[0] != q->dims[0] ||
        out->dims[1] != hq * d) {
        tr_msg(msg, len, "attention shapes do not match heads %d/%d x head_dim %d", (int)hq,
               (int)hkv, (int)d);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    return TINYRANK_OK;
}

static size_t att_scratch_bytes(const tr_node *n, const tr_dims *max)
{
    return tr_align64(tr_attention_scratch_floats(max->max_seq, (size_t)n->opt.attention.head_dim) *
                      sizeof(float));
}

static size_t scratch(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out,
                      const tr_dims *max)
{
    if (n->opt.attention.relative)
        return tr_attention_relative_scratch(n, max);
    if (n->opt.attention.cache) /* covers the plain path's scratch too */
        return tr_attention_cache_scratch(n, max);
    (void)in;
    (void)out;
    /* one kernel scratch per thread (tasks run one at a time per thread) */
    return max->threads * att_scratch_bytes(n, max);
}

typedef struct att_job {
    const tr_exec *x;
    tr_f32_attention_fn fn; /* f32_attention, or f32_attention_bf16 where allowed and present */
    size_t hq, d, group, qs, ks, vs, os, p_stride; /* row strides of q, k, v, out */
    float scale;
    int causal, q_per_seq;
    const float *q, *k, *v;
    float *out, *p;
} att_job;

/* task = (sequence, head) */
static void att_task(void *arg, size_t task, size_t thread)
{
    const att_job *j = arg;
    const size_t s = task / j->hq, h = task % j->hq, kh = h / j->group;
    const size_t a = j->x->seq_start[s], len = j->x->seq_start[s + 1] - a;
    if (j->q_per_seq) { /* one query row over all len keys */
        j->fn(1, len - 1, j->d, j->q + s * j->qs + h * j->d, j->qs, j->k + a * j->ks + kh * j->d,
              j->ks, j->v + a * j->vs + kh * j->d, j->vs, j->scale, j->causal,
              j->out + s * j->os + h * j->d, j->os, j->p + thread * j->p_stride);
        return;
    }
    j->fn(len, 0, j->d, j->q + a * j->qs + h * j->d, j->qs, j->k + a * j->ks + kh * j->d, j->ks,
          j->v + a * j->vs + kh * j->d, j->vs, j->scale, j->causal, j->out + a * j->os + h * j->d,
          j->os, j->p + thread * j->p_stride);
}

static int eval(tr_exec *x, const tr_node *n)
{
    if (n->opt.attention.relative)
        return tr_attention_relative_eval(x, n);
    if (n->opt.attention.cache && x->cache_rows > 0)
        return tr_attention_cache_eval(x, n);
    if (n->opt.attention.cache && x->cache_fill) {
        int rc = tr_attention_cache_store(x, n);
        if (rc != TINYRANK_OK)
            return rc;
    }
    att_job j;
    j.x = x;
    j.fn = n->opt.attention.bf16 && x->k->f32_attention_bf16 ? x->k->f32_attention_bf16
                                                              : x->k->f32_attention;
    j.hq = (size_t)n->opt.attention.num_heads;
    j.d = (size_t)n->opt.attention.head_dim;
    j.group = j.hq / (size_t)n->opt.attention.num_kv_heads;
    j.qs = (size_t)x->tensors[n->in[0]].dims[1];
    j.ks = (size_t)x->tensors[n->in[1]].dims[1];
    j.vs = (size_t)x->tensors[n->in[2]].dims[1];
    j.os = j.hq * j.d;
    j.scale = n->opt.attention.scale;
    j.causal = n->opt.attention.causal;
    j.q_per_seq = x->tensors[n->in[0]].dims[0] == TR_DIM_SEQUENCES;
    j.q = (const float *)tr_exec_data(x, n->in[0]) + n->opt.attention.q_column;
    j.k = (const float *)tr_exec_data(x, n->in[1]) + n->opt.attention.k_column;
    j.v = (const float *)tr_exec_data(x, n->in[2]) + n->opt.attention.v_column;
    j.out = tr_exec_data(x, n->out);
    j.p = x->scratch;
    j.p_stride = att_scratch_bytes(n, &x->dims) / sizeof(float);
    tr_exec_parallel(x, att_task, &j, x->dims.seqs * j.hq);
    return TINYRANK_OK;
}

const tr_op_def tr_op_attention = {"ATTENTION", 3, 6, check, scratch, eval};
