/* op_rope.c - rotary position embedding, Hugging Face "rotate_half" pairing
 * (GPT-NeoX / Llama / Qwen): inside each head of d values, element i < d/2 is
 * rotated with element i + d/2 by the angle pos * inv_freq[i]:
 *   out[i]       = x[i] cos - x[i + d/2] sin
 *   out[i + d/2] = x[i + d/2] cos + x[i] sin
 * with inv_freq[i] = 1 / theta^(2i / d).
 *
 * The angles follow transformers' float32 arithmetic step by step
 * (inv_freq rounded to float, pos * inv_freq a float product, cos/sin of
 * that float): at long positions the product's rounding moves the angle by
 * more than the tolerance of the golden scores, so computing the angle in
 * double would be "more exact" and further from the reference.
 *
 * ROPE_TABLE computes those cos / sin once per run ([TOKENS, d] = [cos |
 * sin] per row), and every ROPE that takes the table as its input 2 reads
 * them: a decoder's 2 x layers ROPE nodes share one set of angles (Qwen3-
 * 0.6B: 56 nodes; the libm sincos alone was 2% of a prompt). Without the
 * table, ROPE computes its angles itself (models written before it). */
#include <math.h>

#include "ops/ops.h"

static bool options_ok(const tr_node *n, char *msg, size_t len)
{
    const int32_t heads = n->opt.rope.num_heads, d = n->opt.rope.head_dim;
    if (heads <= 0 || d <= 0 || d % 2 != 0 || heads > 4096 || d > 4096 ||
        !(n->opt.rope.theta > 1.0f) || !isfinite(n->opt.rope.theta)) {
        tr_msg(msg, len, "rope: bad heads %d, head_dim %d (even) or theta", (int)heads, (int)d);
        return false;
    }
    return true;
}

static int check(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out, char *msg,
                 size_t len)
{
    const tr_tensor *x = in[0], *pos = in[1], *table = in[2];
    const int32_t heads = n->opt.rope.num_heads, d = n->opt.rope.head_dim;
    if (!options_ok(n, msg, len))
        return TINYRANK_ERR_CORRUPT_MODEL;
    if (table != NULL && (table->dtype != TR_DT_F32 || table->ndim != 2 ||
                          table->dims[0] != TR_DIM_TOKENS || table->dims[1] != d)) {
        tr_msg(msg, len, "rope: input 2 must be a ROPE_TABLE output F32 [TOKENS, %d]", (int)d);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    /* x may be one row per sequence (a decoder's last tokens, see
     * op_attention.c): each row then takes its sequence's last position */
    if (x->dtype != TR_DT_F32 || x->ndim != 2 ||
        (x->dims[0] != TR_DIM_TOKENS && x->dims[0] != TR_DIM_SEQUENCES) ||
        x->dims[1] != heads * d || !tr_same_shape(x, out) || out->dtype != TR_DT_F32 ||
        pos->dtype != TR_DT_I32 || pos->ndim != 1 || pos->dims[0] != TR_DIM_TOKENS) {
        tr_msg(msg, len, "rope maps F32 [TOKENS or SEQUENCES, heads*head_dim] with I32 [TOKENS] "
                         "positions");
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    return TINYRANK_OK;
}

#define ROPE_TILE 32  /* rows per task */
#define ROPE_CHUNK 64 /* frequencies whose cos/sin are computed at once */

/* The scratch holds the d/2 inverse frequencies. */
static size_t scratch(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out,
                      const tr_dims *max)
{
    (void)in, (void)out, (void)max;
    return tr_align64((size_t)n->opt.rope.head_dim / 2 * sizeof(float));
}

typedef struct rope_job {
    const float *x, *inv_freq;
    const float *table; /* ROPE_TABLE rows [cos | sin], or NULL: compute */
    const int32_t *pos;
    const uint32_t *last_row; /* rows per sequence: seq_start + 1 (row = last_row[r] - 1) */
    float *out;
    size_t rows, heads, d;
} rope_job;

/* cos / sin of p * inv_freq[i] for n frequencies, in transformers' float
 * steps (see the top of the file) */
static void rope_angles(float p, const float *inv_freq, size_t n, float *cs, float *sn)
{
    for (size_t i = 0; i < n; i++) {
        const float angle = p * inv_freq[i];
        cs[i] = (float)cos((double)angle);
        sn[i] = (float)sin((double)angle);
    }
}

/* torch: 1.0 / (base ** (arange(0, d, 2).float() / d)), all float32 */
static void rope_inv_freq(const tr_node *n, float *inv)
{
    const size_t d = (size_t)n->opt.rope.head_dim;
    for (size_t i = 0; i < d / 2; i++) {
        const float e = (float)(2 * i) / (float)d;
        const float pw = (float)pow((double)n->opt.rope.theta, (double)e);
        inv[i] = 1.0f / pw;
    }
}

static void rope_task(void *arg, size_t task, size_t thread)
{
    const rope_job *j = arg;
    (void)thread;
    const size_t half = j->d / 2, w = j->heads * j->d;
    const size_t r0 = task * ROPE_TILE, r1 = r0 + ROPE_TILE < j->rows ? r0 + ROPE_TILE : j->rows;
    for (size_t r = r0; r < r1; r++) {
        const size_t row = j->last_row ? j->last_row[r] - 1 : r;
        const float p = (float)j->pos[row];
        const float *xr = j->x + r * w;
        float *o = j->out + r * w;
        /* the angles of ROPE_CHUNK frequencies at a time (a small stack
         * table: microcontrollers), or the run's table, applied to every
         * head with unit strides */
        for (size_t i0 = 0; i0 < half; i0 += ROPE_CHUNK) {
            const size_t n = half - i0 < ROPE_CHUNK ? half - i0 : ROPE_CHUNK;
            float cbuf[ROPE_CHUNK], sbuf[ROPE_CHUNK];
            const float *cs = cbuf, *sn = sbuf;
            if (j->table) {
                cs = j->table + row * j->d + i0;
                sn = cs + half;
            } else {
                rope_angles(p, j->inv_freq + i0, n, cbuf, sbuf);
            }
            for (size_t h = 0; h < j->heads; h++) {
                const float *a = xr + h * j->d + i0, *b = a + half;
                float *oa = o + h * j->d + i0, *ob = oa + half;
                for (size_t i = 0; i < n; i++) {
                    const float x0 = a[i], x1 = b[i];
                    oa[i] = x0 * cs[i] - x1 * sn[i];
                    ob[i] = x1 * cs[i] + x0 * sn[i];
                }
            }
        }
    }
}

static int eval(tr_exec *x, const tr_node *n)
{
    rope_job j;
    j.heads = (size_t)n->opt.rope.num_heads;
    j.d = (size_t)n->opt.rope.head_dim;
    j.rows = tr_exec_rows(x, n->in[0]);
    j.x = tr_exec_data(x, n->in[0]);
    j.pos = tr_exec_data(x, n->in[1]);
    j.out = tr_exec_data(x, n->out);
    j.last_row = x->tensors[n->in[0]].dims[0] == TR_DIM_SEQUENCES ? x->seq_start + 1 : NULL;
    j.table = n->in[2] >= 0 ? tr_exec_data(x, n->in[2]) : NULL;
    float *inv = x->scratch;
    rope_inv_freq(n, inv);
    j.inv_freq = inv;
    tr_exec_parallel(x, rope_task, &j, (j.rows + ROPE_TILE - 1) / ROPE_TILE);
    return TINYRANK_OK;
}

const tr_op_def tr_op_rope = {"ROPE", 2, 3, check, scratch, eval};

/* ---- ROPE_TABLE: positions -> [TOKENS, d] = [cos | sin] */

static int check_table(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out,
                       char *msg, size_t len)
{
    const tr_tensor *pos = in[0];
    if (!options_ok(n, msg, len))
        return TINYRANK_ERR_CORRUPT_MODEL;
    if (pos->dtype != TR_DT_I32 || pos->ndim != 1 || pos->dims[0] != TR_DIM_TOKENS ||
        out->dtype != TR_DT_F32 || out->ndim != 2 || out->dims[0] != TR_DIM_TOKENS ||
        out->dims[1] != n->opt.rope.head_dim) {
        tr_msg(msg, len, "rope table maps I32 [TOKENS] positions to F32 [TOKENS, head_dim]");
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    return TINYRANK_OK;
}

typedef struct table_job {
    const int32_t *pos;
    const float *inv_freq;
    float *out;
    size_t rows, d;
} table_job;

static void table_task(void *arg, size_t task, size_t thread)
{
    const table_job *j = arg;
    (void)thread;
    const size_t r0 = task * ROPE_TILE, r1 = r0 + ROPE_TILE < j->rows ? r0 + ROPE_TILE : j->rows;
    for (size_t r = r0; r < r1; r++) {
        float *row = j->out + r * j->d;
        rope_angles((float)j->pos[r], j->inv_freq, j->d / 2, row, row + j->d / 2);
    }
}

static int eval_table(tr_exec *x, const tr_node *n)
{
    table_job j;
    j.d = (size_t)n->opt.rope.head_dim;
    j.rows = tr_exec_rows(x, n->out);
    j.pos = tr_exec_data(x, n->in[0]);
    j.out = tr_exec_data(x, n->out);
    float *inv = x->scratch;
    rope_inv_freq(n, inv);
    j.inv_freq = inv;
    tr_exec_parallel(x, table_task, &j, (j.rows + ROPE_TILE - 1) / ROPE_TILE);
    return TINYRANK_OK;
}

const tr_op_def tr_op_rope_table = {"ROPE_TABLE", 1, 1, check_table, scratch, eval_table};
