/* session_prefix.c - shared-prefix reuse for decoder rerankers.
 *
 * Every sequence of a rerank call starts with the same prompt tokens (system
 * prompt, instruction, query); only the passage and the suffix differ. In a
 * causal decoder the keys and values of a token depend only on the tokens
 * before it, so those of the common prefix are the same in every sequence:
 * they are computed once, kept in the attention ops' PERSISTENT caches, and
 * every sequence then runs only its own rows (positions continuing after
 * the prefix), attending to the cache first.
 *
 * The session packs whole sequences; this file, just before the graph runs:
 *  1. finds P, the longest id prefix common to the batch's sequences (each
 *     keeps at least one row of its own: the score is read at its last row),
 *     requiring positions 0..P-1 on those rows;
 *  2. reuses the cache when it holds that prefix, or else runs the prefix as
 *     one sequence that fills the caches (sequence 0's first P rows ARE the
 *     prefix, so nothing is copied for that run). A cache row depends only
 *     on the ids up to it, so the first H rows of a cache filled for other
 *     ids serve any batch whose ids start with the same H ids: a batch of
 *     ONE sequence (one passage per call) uses that part as it is, and fills
 *     the cache with all but its last row when nothing matches;
 *  3. moves each sequence's remaining rows down over the prefix rows and runs
 *     the batch with cache_rows = P.
 * The cache stays valid across batches and calls of the session (K/V are a
 * function of the ids and positions only). */
#include <string.h>

#include "graph/session.h"

void tr_session_set_prefix_reuse(tinyrank_session *s, bool on)
{
    s->prefix_reuse = on && s->has_kv_cache;
    if (!on)
        s->cache_len = 0;
}

static int32_t *input(const tinyrank_session *s, int32_t tensor)
{
    return tensor < 0 ? NULL : (int32_t *)(void *)(s->region + s->offsets[tensor]);
}

/* Longest prefix shared by all sequences, each keeping >= 1 own row, over
 * which every sequence has positions 0, 1, ... */
static size_t common_prefix(const tinyrank_session *s, size_t n, const int32_t *ids,
                            const int32_t *pos)
{
    const uint32_t *st = s->seq_start;
    size_t p = st[1] - st[0] - 1;
    for (size_t i = 1; i < n && p > 0; i++) {
        const size_t len = st[i + 1] - st[i];
        p = len - 1 < p ? len - 1 : p;
        size_t k = 0;
        while (k < p && ids[st[i] + k] == ids[k])
            k++;
        p = k;
    }
    for (size_t i = 0; i < n && pos != NULL; i++)
        for (size_t k = 0; k < p; k++)
            if (pos[st[i] + k] != (int32_t)k) {
                p = k;
                break;
            }
    return p;
}

/* Moves rows [st[i] + p, st[i+1]) of every sequence down to a packing
 * without the prefix (destinations never pass their sources). */
static void drop_prefix_rows(tinyrank_session *s, size_t n, size_t p)
{
    const tinyrank_model *m = s->model;
    int32_t *bufs[3] = {input(s, m->token_ids), input(s, m->position_ids), input(s, m->type_ids)};
    uint32_t at = 0;
    for (size_t i = 0; i < n; i++) {
        const uint32_t a = s->seq_start[i], len = s->seq_start[i + 1] - a;
        const uint32_t own = len - (uint32_t)p;
        for (int b = 0; b < 3; b++)
            if (bufs[b] != NULL)
                memmove(bufs[b] + at, bufs[b] + a + p, own * sizeof(int32_t));
        s->seq_start[i] = at;
        at += own;
    }
    s->seq_start[n] = at;
}

int tr_session_run_prefixed(tinyrank_session *s, size_t n)
{
    if (!s->prefix_reuse || n == 0)
        return tr_session_run_packed(s, n, false, 0);
    const int32_t *ids = input(s, s->model->token_ids);
    const size_t p = common_prefix(s, n, ids, input(s, s->model->position_ids));
    size_t hold = 0; /* rows of the cache that equal the batch's first ids */
    while (hold < s->cache_len && hold < p && s->cache_ids[hold] == ids[hold])
        hold++;
    size_t use;
    if (hold > 0 && (hold == p || n == 1)) {
        use = hold; /* the cache holds this batch's prefix (or a part, for one sequence) */
    } else if (p >= 1) {
        /* fill the cache: the prefix is sequence 0's first p rows */
        const uint32_t end0 = s->seq_start[1];
        s->seq_start[1] = (uint32_t)p;
        s->cache_len = 0;
        int rc = tr_session_run_packed(s, 1, true, 0);
        s->seq_start[1] = end0;
        if (rc != TINYRANK_OK)
            return rc;
        memcpy(s->cache_ids, ids, p * sizeof(int32_t));
        s->cache_len = p;
        use = p;
    } else {
        return tr_session_run_packed(s, n, false, 0);
    }
    drop_prefix_rows(s, n, use);
    return tr_session_run_packed(s, n, false, use);
}
