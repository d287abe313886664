/* op_attention_relative.c - T5 self-attention: no 1/sqrt(d) scaling (the
 * model was trained so; `scale` is 1.0 from the converter) and a learned bias
 * per (bucket of the relative distance, head) added to every score.
 *
 * The bias table [num_buckets, heads] is input 3. T5 stores it in the first
 * layer only and every layer reuses it, so the converter gives all layers the
 * same constant: nothing is copied per layer. Each (sequence, head) task
 * looks up the 2*len-1 biases of its distances once (len buckets are cheap
 * next to the len^2 * head_dim dot products) and the kernel adds them. */
#include <math.h>

#include "kernels/t5_kernels.h"
#include "ops/attention_relative.h"

int32_t tr_t5_relative_bucket(int32_t relative, int32_t num_buckets, int32_t max_distance,
                              bool bidirectional)
{
    int32_t bucket = 0, n;
    if (bidirectional) {
        num_buckets /= 2;
        if (relative > 0)
            bucket += num_buckets;
        n = relative < 0 ? -relative : relative;
    } else {
        n = relative < 0 ? -relative : 0;
    }
    const int32_t max_exact = num_buckets / 2;
    if (n < max_exact)
        return bucket + n;
    /* float32 as torch computes it: the truncation lands on exact integers
     * (n = 16, 32, 64 with the defaults), so the precision must match */
    float large = logf((float)n / (float)max_exact) /
                  (float)log((double)max_distance / (double)max_exact) *
                  (float)(num_buckets - max_exact);
    int32_t v = max_exact + (int32_t)large;
    return bucket + (v < num_buckets - 1 ? v : num_buckets - 1);
}

int tr_attention_relative_check(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out,
                                char *msg, size_t len)
{
    const int32_t heads = n->opt.attention.num_heads, d = n->opt.attention.head_dim;
    const int32_t buckets = n->opt.attention.rel_buckets, maxd = n->opt.attention.rel_max_distance;
    if (n->opt.attention.cache || in[4] || in[5] || n->opt.attention.num_kv_heads != heads) {
        tr_msg(msg, len, "attention with a relative position bias: no KV cache, no grouped heads");
        return TINYRANK_ERR_UNSUPPORTED;
    }
    /* buckets >= 4 and max_distance > the exact range keep every bucket
     * in the table and the log finite (tr_t5_relative_bucket) */
    if (heads <= 0 || d <= 0 || heads > 4096 || d > 4096 || buckets < 4 || buckets > 65536 ||
        maxd < 2 || maxd > (1 << 24) || maxd <= buckets / (n->opt.attention.rel_bidirectional ? 4 : 2)) {
        tr_msg(msg, len, "relative attention: bad heads %d, head_dim %d, buckets %d or max "
               "distance %d", (int)heads, (int)d, (int)buckets, (int)maxd);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    for (int i = 0; i < 3; i++) {
        const tr_tensor *t = in[i];
        if (t->dtype != TR_DT_F32 || t->ndim != 2 || t->dims[0] != TR_DIM_TOKENS ||
            t->dims[1] != heads * d) {
            tr_msg(msg, len, "relative attention inputs must be F32 [TOKENS, %d]", (int)(heads * d));
            return TINYRANK_ERR_CORRUPT_MODEL;
        }
    }
    const tr_tensor *b = in[3];
    if (b == NULL || b->kind != TR_TK_CONSTANT || b->dtype != TR_DT_F32 || b->ndim != 2 ||
        b->dims[0] != buckets || b->dims[1] != heads) {
        tr_msg(msg, len, "relative attention needs its bias table as constant F32 [%d, %d]",
               (int)buckets, (int)heads);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    if (!tr_same_shape(in[0], out) || out->dtype != TR_DT_F32) {
        tr_msg(msg, len, "relative attention output must be F32 like its query");
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    return TINYRANK_OK;
}

/* per thread: the kernel's scratch, then the 2*len-1 biases */
static size_t per_thread_floats(size_t max_seq, size_t d)
{
    return tr_align64(tr_attention_relbias_scratch_floats(max_seq, d) * sizeof(float)) / sizeof(float) +
           tr_align64(2 * max_seq * sizeof(float)) / sizeof(float);
}

size_t tr_attention_relative_scratch(const tr_node *n, const tr_dims *max)
{
    return max->threads * per_thread_floats(max->max_seq, (size_t)n->opt.attention.head_dim) * sizeof(float);
}

typedef struct relatt_job {
    const tr_exec *x;
    const tr_node *n;
    tr_f32_attention_relbias_fn kernel;
    size_t heads, d, stride, per_thread;
    const float *q, *k, *v, *table;
    float *out, *scratch;
} relatt_job;

/* task = (sequence, head) */
static void relatt_task(void *arg, size_t task, size_t thread)
{
    const relatt_job *j = arg;
    const size_t s = task / j->heads, h = task % j->heads;
    const size_t a = j->x->seq_start[s], len = j->x->seq_start[s + 1] - a;
    float *scratch = j->scratch + thread * j->per_thread;
    float *bias = scratch + tr_align64(tr_attention_relbias_scratch_floats(j->x->dims.max_seq, j->d) *
                                       sizeof(float)) / sizeof(float);
    const int32_t nb = j->n->opt.attention.rel_buckets, md = j->n->opt.attention.rel_max_distance;
    const bool bidir = j->n->opt.attention.rel_bidirectional;
    for (size_t r = 0; r + 1 < 2 * len; r++) {
        int32_t rel = (int32_t)r - (int32_t)(len - 1);
        bias[r] = j->table[(size_t)tr_t5_relative_bucket(rel, nb, md, bidir) * j->heads + h];
    }
    const size_t off = a * j->stride + h * j->d;
    j->kernel(len, j->d, j->q + off, j->stride, j->k + off, j->stride, j->v + off, j->stride,
              j->n->opt.attention.scale, bias, j->n->opt.attention.causal, j->out + off, j->stride,
              scratch);
}

int tr_attention_relative_eval(tr_exec *x, const tr_node *n)
{
    relatt_job j;
    j.x = x;
    j.n = n;
    j.kernel = tr_f32_attention_relbias_for(x->k->name);
    j.heads = (size_t)n->opt.attention.num_heads;
    j.d = (size_t)n->opt.attention.head_dim;
    j.stride = j.heads * j.d;
    j.per_thread = per_thread_floats(x->dims.max_seq, j.d);
    j.q = tr_exec_data(x, n->in[0]);
    j.k = tr_exec_data(x, n->in[1]);
    j.v = tr_exec_data(x, n->in[2]);
    j.table = tr_exec_data(x, n->in[3]);
    j.out = tr_exec_data(x, n->out);
    j.scratch = x->scratch;
    tr_exec_parallel(x, relatt_task, &j, x->dims.seqs * j.heads);
    return TINYRANK_OK;
}
