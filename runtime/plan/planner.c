/* planner.c - first-fit arena planning over operator order (see planner.h). */
#include <stdint.h>

#include "plan/planner.h"

typedef struct live {
    size_t off, size;
    int64_t last; /* index of the last operator that uses it */
} live;

typedef struct planner {
    live v[TR_PLAN_MAX_LIVE];
    int n;
    size_t high;
} planner;

static void release(planner *p, int64_t before)
{
    int w = 0;
    for (int i = 0; i < p->n; i++)
        if (p->v[i].last >= before)
            p->v[w++] = p->v[i];
    p->n = w;
}

/* Places size bytes at the lowest offset free of every live buffer. */
static int place(planner *p, size_t size, int64_t last, size_t *off)
{
    if (p->n == TR_PLAN_MAX_LIVE)
        return TINYRANK_ERR_UNSUPPORTED;
    size = tr_align64(size ? size : 1);
    size_t o = 0;
    int at = 0;
    for (; at < p->n; at++) { /* v is sorted by offset */
        if (o + size <= p->v[at].off)
            break;
        size_t end = p->v[at].off + p->v[at].size;
        o = end > o ? end : o;
    }
    for (int i = p->n; i > at; i--)
        p->v[i] = p->v[i - 1];
    p->v[at] = (live){o, size, last};
    p->n++;
    if (o + size > p->high)
        p->high = o + size;
    *off = o;
    return TINYRANK_OK;
}

/* Last operator reading tensor t (from op `from` on), or `from` - 1. */
static int64_t last_use(const tinyrank_model *m, int32_t t, int64_t from)
{
    tr_node n;
    int64_t last = from - 1;
    if (t == m->output)
        return (int64_t)m->operators.count;
    for (uint32_t i = (uint32_t)(from < 0 ? 0 : from); i < m->operators.count; i++) {
        if (!tr_model_node(m, i, &n))
            continue;
        for (int k = 0; k < n.n_in; k++)
            if (n.in[k] == t)
                last = i;
    }
    return last;
}

int tr_plan(const tinyrank_model *m, const tr_dims *max, size_t *offsets, size_t *scratch_off,
            size_t *region_bytes, char *msg, size_t msglen)
{
    planner p;
    tr_tensor t, tin[TR_MAX_OP_INPUTS], tout;
    const tr_tensor *pin[TR_MAX_OP_INPUTS];
    tr_node n;
    size_t off;
    p.n = 0;
    p.high = 0;

    /* PERSISTENT tensors (decoders' prefix K/V caches) live for the whole
     * session, outside every run's live ranges; their TOKENS rows are one
     * sequence's (max_seq), not the batch's. Graph inputs live from the start. */
    tr_dims one_seq = *max;
    one_seq.tokens = max->max_seq;
    /* With a prefix cache the session runs the graph twice on one packing
     * (the prefix, then the rest, moved down: session_prefix.c), so the
     * inputs must survive the whole run. */
    bool inputs_whole_run = false;
    for (uint32_t i = 0; i < m->tensors.count; i++)
        if (tr_model_tensor(m, i, &t) && t.kind == TR_TK_PERSISTENT)
            inputs_whole_run = true;
    for (uint32_t i = 0; i < m->tensors.count; i++) {
        if (!tr_model_tensor(m, i, &t))
            return TINYRANK_ERR_CORRUPT_MODEL;
        if (offsets != NULL)
            offsets[i] = SIZE_MAX;
        if (t.kind == TR_TK_PERSISTENT) {
            if (place(&p, tr_tensor_bytes(&t, &one_seq), INT64_MAX, &off) != TINYRANK_OK)
                goto too_wide;
            if (offsets != NULL)
                offsets[i] = off;
            continue;
        }
        if (t.kind != TR_TK_INPUT)
            continue;
        int64_t last = inputs_whole_run ? INT64_MAX : last_use(m, (int32_t)i, 0);
        if (place(&p, tr_tensor_bytes(&t, max), last, &off) != TINYRANK_OK)
            goto too_wide;
        if (offsets != NULL)
            offsets[i] = off;
    }
    for (uint32_t i = 0; i < m->operators.count; i++) {
        if (!tr_model_node(m, i, &n) || !tr_model_tensor(m, (uint32_t)n.out, &tout))
            return TINYRANK_ERR_CORRUPT_MODEL;
        release(&p, i);
        int64_t last = last_use(m, n.out, (int64_t)i + 1);
        if (place(&p, tr_tensor_bytes(&tout, max), last < (int64_t)i ? (int64_t)i : last, &off) !=
            TINYRANK_OK)
            goto too_wide;
        if (offsets != NULL)
            offsets[n.out] = off;
        const tr_op_def *def = tr_op_lookup(n.code);
        size_t need = 0;
        if (def != NULL && def->scratch != NULL) {
            for (int k = 0; k < TR_MAX_OP_INPUTS; k++) {
                pin[k] = NULL;
                if (n.in[k] >= 0 && tr_model_tensor(m, (uint32_t)n.in[k], &tin[k]))
                    pin[k] = &tin[k];
            }
            need = def->scratch(&n, pin, &tout, max);
        }
        if (scratch_off != NULL)
            scratch_off[i] = SIZE_MAX;
        if (need > 0) {
            if (place(&p, need, i, &off) != TINYRANK_OK)
                goto too_wide;
            if (scratch_off != NULL)
                scratch_off[i] = off;
        }
    }
    *region_bytes = p.high;
    return TINYRANK_OK;

too_wide:
    tr_msg(msg, msglen, "graph keeps more than %d buffers alive at once", TR_PLAN_MAX_LIVE);
    return TINYRANK_ERR_UNSUPPORTED;
}
