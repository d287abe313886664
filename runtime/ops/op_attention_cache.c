/* op_attention_cache.c - decoder attention after a cached prompt prefix (see
 * attention_cache.h).
 *
 * One task per (sequence, KV head): the P cached rows and the sequence's own
 * rows of that head are gathered once into contiguous per-thread scratch
 * (the kernel wants one stride), then every query head of the group runs
 * over them, so each K/V head is read from the arena once per group instead
 * of once per query head. The copy is (P + len) * head_dim floats per task,
 * small next to the (P + len) * len * head_dim products per query head. */
#include <string.h>

#include "ops/attention_cache.h"

int tr_attention_cache_check(const tr_node *n, const tr_tensor *const *in, char *msg, size_t len)
{
    const int64_t kvw = (int64_t)n->opt.attention.num_kv_heads * n->opt.attention.head_dim;
    if (!n->opt.attention.cache || in[4] == NULL || in[5] == NULL || in[3] != NULL ||
        !n->opt.attention.causal || n->opt.attention.relative) {
        tr_msg(msg, len, "attention cache: needs options.cache, causal attention and both cache "
                         "inputs 4 and 5 (and no relative bias)");
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    for (int i = 4; i < 6; i++) {
        const tr_tensor *c = in[i];
        if (c->kind != TR_TK_PERSISTENT || c->dtype != TR_DT_F32 || c->ndim != 2 ||
            c->dims[0] != TR_DIM_TOKENS || c->dims[1] != kvw) {
            tr_msg(msg, len, "attention cache '%.*s' must be a PERSISTENT F32 [TOKENS, %lld] tensor",
                   (int)c->name_len, c->name, (long long)kvw);
            return TINYRANK_ERR_CORRUPT_MODEL;
        }
    }
    if (in[4] == in[5] || n->in[4] == n->in[5]) {
        tr_msg(msg, len, "attention cache: keys and values need their own tensors");
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    return TINYRANK_OK;
}

static size_t kernel_floats(const tr_node *n, size_t keys)
{
    return tr_round_up(tr_attention_scratch_floats(keys, (size_t)n->opt.attention.head_dim), 16);
}

static size_t task_floats(const tr_node *n, size_t keys)
{
    return kernel_floats(n, keys) + 2 * tr_round_up(keys * (size_t)n->opt.attention.head_dim, 16);
}

size_t tr_attention_cache_scratch(const tr_node *n, const tr_dims *max)
{
    /* a sequence (prefix included) never exceeds max_seq rows */
    return max->threads * tr_align64(task_floats(n, max->max_seq) * sizeof(float));
}

/* Rows a cache holds: the session's max_length (the planner sizes PERSISTENT
 * tensors at max_seq rows), known here as the planned maximum. */
int tr_attention_cache_store(tr_exec *x, const tr_node *n)
{
    const size_t kvs = (size_t)n->opt.attention.num_kv_heads * (size_t)n->opt.attention.head_dim;
    const size_t rows = x->dims.tokens;
    if (x->dims.seqs != 1) {
        tr_msg(x->msg, x->msglen, "attention cache: the prefix run must be one sequence");
        return TINYRANK_ERR_INTERNAL;
    }
    memcpy(tr_exec_data(x, n->in[4]), tr_exec_data(x, n->in[1]), rows * kvs * sizeof(float));
    memcpy(tr_exec_data(x, n->in[5]), tr_exec_data(x, n->in[2]), rows * kvs * sizeof(float));
    return TINYRANK_OK;
}

typedef struct cache_job {
    const tr_exec *x;
    tr_f32_attention_fn fn; /* f32_attention, or f32_attention_bf16 where the model allows it */
    size_t hq, hkv, d, group, qs, kvs, past, stride;
    float scale;
    const float *q, *k, *v, *ck, *cv;
    float *out, *scratch;
    int q_per_seq; /* one query row per sequence, over every key */
} cache_job;

static void gather_head(const float *cache, const float *own, size_t past, size_t len, size_t kvs,
                        size_t off, size_t d, float *dst)
{
    for (size_t r = 0; r < past; r++)
        memcpy(dst + r * d, cache + r * kvs + off, d * sizeof(float));
    for (size_t r = 0; r < len; r++)
        memcpy(dst + (past + r) * d, own + r * kvs + off, d * sizeof(float));
}

/* task = (sequence, KV head) */
static void cache_task(void *arg, size_t task, size_t thread)
{
    const cache_job *j = arg;
    const size_t s = task / j->hkv, kh = task % j->hkv;
    const size_t a = j->x->seq_start[s], len = j->x->seq_start[s + 1] - a;
    const size_t keys = j->past + len;
    float *base = j->scratch + thread * j->stride;
    float *ks = base + tr_round_up(tr_attention_scratch_floats(keys, j->d), 16);
    float *vs = ks + tr_round_up(keys * j->d, 16);
    gather_head(j->ck, j->k + a * j->kvs, j->past, len, j->kvs, kh * j->d, j->d, ks);
    gather_head(j->cv, j->v + a * j->kvs, j->past, len, j->kvs, kh * j->d, j->d, vs);
    /* one query row per sequence: the row after all past + len - 1 others */
    const size_t qrow = j->q_per_seq ? s : a, qlen = j->q_per_seq ? 1 : len;
    const size_t before = j->q_per_seq ? j->past + len - 1 : j->past;
    for (size_t h = kh * j->group; h < (kh + 1) * j->group; h++)
        j->fn(qlen, before, j->d, j->q + qrow * j->qs + h * j->d, j->qs, ks, j->d, vs, j->d,
              j->scale, 1, j->out + qrow * j->qs + h * j->d, j->qs, base);
}

int tr_attention_cache_eval(tr_exec *x, const tr_node *n)
{
    cache_job j;
    j.x = x;
    j.fn = n->opt.attention.bf16 && x->k->f32_attention_bf16 ? x->k->f32_attention_bf16
                                                              : x->k->f32_attention;
    j.hq = (size_t)n->opt.attention.num_heads;
    j.hkv = (size_t)n->opt.attention.num_kv_heads;
    j.d = (size_t)n->opt.attention.head_dim;
    j.group = j.hq / j.hkv;
    j.qs = j.hq * j.d;
    j.kvs = j.hkv * j.d;
    j.past = x->cache_rows;
    j.scale = n->opt.attention.scale;
    j.q = tr_exec_data(x, n->in[0]);
    j.k = tr_exec_data(x, n->in[1]);
    j.v = tr_exec_data(x, n->in[2]);
    j.ck = tr_exec_data(x, n->in[4]);
    j.cv = tr_exec_data(x, n->in[5]);
    j.out = tr_exec_data(x, n->out);
    j.scratch = x->scratch;
    j.q_per_seq = x->tensors[n->in[0]].dims[0] == TR_DIM_SEQUENCES;
    /* the stride the planner used for this many keys at most: the session
     * guarantees past + longest sequence <= max_length */
    j.stride = tr_align64(task_floats(n, x->dims.max_seq + j.past) * sizeof(float)) / sizeof(float);
    tr_exec_parallel(x, cache_task, &j, x->dims.seqs * j.hkv);
    return TINYRANK_OK;
}
