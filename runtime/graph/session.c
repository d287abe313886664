/* session.c - a session: the graph of a loaded model made ready to run in the
 * caller's arena, and the score calls.
 *
 * Arena layout (each part 64-byte aligned; the arena start is aligned up
 * first, and that slack is counted in tinyrank_arena_size):
 *   session struct | tensors[n] | nodes[n] | offsets[n] | scratch_off[n] |
 *   query ids | passage ids | seq_start | planned region (activations,
 *   graph inputs, operator scratch; see plan/planner.h)
 * A score call packs up to max_batch (query, passage) sequences back to back,
 * without padding, runs the operators in order and reads the output rows. */
#include <math.h>
#include <string.h>

#include "graph/delegate.h"
#include "graph/model.h"
#include "graph/parallel.h"
#include "graph/session.h"
#include "ops/ops.h"
#include "plan/planner.h"
#include "tokenizer/pair.h"
#include "tokenizer/wordpiece.h"

#define TR_MAX_BATCH 4096

typedef struct layout {
    size_t session, tensors, nodes, offsets, scratch_off, q_ids, p_ids, seq_start, seg_ids,
        tok_scratch, instruction, cache_ids, node_delegate, node_state, delegate_area, region;
    size_t region_bytes, delegate_bytes, total;
} layout;

static int resolve_params(const tinyrank_model *m, const tinyrank_session_params *in,
                          tinyrank_session_params *out, char *msg, size_t len)
{
    *out = in ? *in : tinyrank_session_params_default();
    if (out->max_length == 0)
        out->max_length = m->max_length;
    if (out->max_length < 4 || (m->max_position > 0 && out->max_length > m->max_position)) {
        tr_msg(msg, len, "max_length %d is outside 4..%d (the model's positions)", out->max_length,
               (int)m->max_position);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    if (out->max_batch < 1 || out->max_batch > TR_MAX_BATCH) {
        tr_msg(msg, len, "max_batch %d is outside 1..%d", out->max_batch, TR_MAX_BATCH);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    if (m->input_format == TR_FORMAT_SEGMENTS && out->truncation != TINYRANK_TRUNCATE_MODEL_DEFAULT) {
        /* a prompt template says itself which segments are cut (template.h) */
        tr_msg(msg, len, "this model's prompt template decides truncation: leave it at the default");
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    if (out->truncation == TINYRANK_TRUNCATE_MODEL_DEFAULT)
        out->truncation = m->truncation == TR_TRUNC_LONGEST_FIRST ? TINYRANK_TRUNCATE_LONGEST_FIRST
                                                                  : TINYRANK_TRUNCATE_ONLY_SECOND;
    if (out->truncation != TINYRANK_TRUNCATE_ONLY_SECOND &&
        out->truncation != TINYRANK_TRUNCATE_LONGEST_FIRST) {
        tr_msg(msg, len, "unknown truncation %d", out->truncation);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    if (out->score == TINYRANK_SCORE_MODEL_DEFAULT)
        out->score = m->score_activation == TR_SCORE_ACT_SIGMOID ? TINYRANK_SCORE_SIGMOID
                                                                 : TINYRANK_SCORE_RAW;
    if (out->score == TINYRANK_SCORE_MODEL_DEFAULT && m->score_activation == TR_SCORE_ACT_LOG)
        out->score = TINYRANK_SCORE_LOG;
    bool prob = m->score_kind == TR_SCORE_SOFTMAX_PAIR;
    if (out->score != TINYRANK_SCORE_RAW && out->score != TINYRANK_SCORE_SIGMOID &&
        out->score != TINYRANK_SCORE_LOG) {
        tr_msg(msg, len, "unknown score %d", out->score);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    if ((out->score == TINYRANK_SCORE_SIGMOID && prob) || (out->score == TINYRANK_SCORE_LOG && !prob)) {
        tr_msg(msg, len, "score %s does not apply to this model's %s score",
               out->score == TINYRANK_SCORE_LOG ? "LOG" : "SIGMOID",
               prob ? "probability" : "logit");
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    int pool_threads = out->threadpool ? ((tr_parallel *)(void *)out->threadpool)->num_threads : 1;
    if (out->num_threads == 0)
        out->num_threads = pool_threads;
    if (out->num_threads < 1) {
        tr_msg(msg, len, "num_threads %d must be >= 1", out->num_threads);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    if (out->num_threads > pool_threads) {
        tr_msg(msg, len, "num_threads %d needs a thread pool of that size (%s)", out->num_threads,
               out->threadpool ? "the pool is smaller" : "none given: see tinyrank_threadpool_create");
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    return TINYRANK_OK;
}

static tr_dims max_dims(const tinyrank_session_params *p)
{
    tr_dims d;
    d.seqs = (size_t)p->max_batch;
    d.max_seq = (size_t)p->max_length;
    d.tokens = d.seqs * d.max_seq;
    d.threads = (size_t)p->num_threads;
    return d;
}

static int compute_layout(const tinyrank_model *m, const tinyrank_session_params *p, layout *l,
                          char *msg, size_t len)
{
    size_t nt = m->tensors.count, no = m->operators.count;
    tr_dims max = max_dims(p);
    int rc = tr_plan(m, &max, NULL, NULL, &l->region_bytes, msg, len);
    if (rc != TINYRANK_OK)
        return rc;
    size_t at = 0;
    l->session = at;
    at += tr_align64(sizeof(struct tinyrank_session));
    l->tensors = at;
    at += tr_align64(nt * sizeof(tr_tensor));
    l->nodes = at;
    at += tr_align64(no * sizeof(tr_node));
    l->offsets = at;
    at += tr_align64(nt * sizeof(size_t));
    l->scratch_off = at;
    at += tr_align64(no * sizeof(size_t));
    l->q_ids = at;
    at += tr_align64((size_t)p->max_length * sizeof(int32_t));
    l->p_ids = at;
    at += tr_align64((size_t)p->max_length * sizeof(int32_t));
    l->seq_start = at;
    at += tr_align64(((size_t)p->max_batch + 1) * sizeof(uint32_t));
    l->seg_ids = at;
    at += tr_align64(tr_session_template_bytes(m, (size_t)p->max_length));
    l->tok_scratch = at;
    at += tr_align64(tr_tokenizer_scratch_bytes(&m->tok));
    l->instruction = at;
    at += m->input_format == TR_FORMAT_SEGMENTS ? tr_align64(TINYRANK_MAX_INSTRUCTION_BYTES) : 0;
    l->cache_ids = at; /* the ids whose K/V the prefix caches hold (session_prefix.c) */
    at += tr_align64((size_t)p->max_length * sizeof(int32_t));
    l->node_delegate = at;
    at += tr_align64(no * sizeof(int32_t));
    l->node_state = at;
    at += tr_align64(no * sizeof(void *));
    l->delegate_bytes = tr_delegate_arena_bytes(m, p, &max);
    l->delegate_area = at;
    at += l->delegate_bytes;
    l->region = at;
    at += l->region_bytes;
    /* delegates' kernels may read a little past an input's end (XNNPACK:
     * XNN_EXTRA_BYTES = 16): keep that inside the arena */
    at += l->delegate_bytes > 0 ? 64 : 0;
    l->total = at + 63; /* the caller's arena may start anywhere */
    return TINYRANK_OK;
}

/* Offers every operator to the session's delegates (graph/delegate.h); a
 * claimed node gets the next slice of the delegate area and runs on its
 * delegate when prepare succeeds, else on the CPU. False when the claims
 * differ from the ones the arena was sized with (a delegate that is not
 * deterministic). */
static bool assign_delegates(tinyrank_session *s, const tr_dims *max, uint8_t *area, size_t bytes)
{
    const tinyrank_model *m = s->model;
    size_t at = 0;
    for (uint32_t i = 0; i < m->operators.count; i++) {
        const tr_node *n = &s->nodes[i];
        const tr_tensor *in[TR_MAX_OP_INPUTS] = {NULL};
        for (int k = 0; k < n->n_in; k++)
            in[k] = n->in[k] >= 0 ? &s->tensors[n->in[k]] : NULL;
        tinyrank_node_desc d;
        size_t need;
        tr_delegate_describe(n, in, &s->tensors[n->out], max, &d);
        s->node_delegate[i] = tr_delegate_claim(&s->params, n, &d, &need);
        s->node_state[i] = NULL;
        if (s->node_delegate[i] < 0)
            continue;
        if (at + tr_align64(need) > bytes)
            return false;
        const tinyrank_delegate *dg = s->params.delegates[s->node_delegate[i]];
        if (dg->prepare == NULL || dg->eval == NULL ||
            dg->prepare(dg->user, &d, area + at, need, &s->node_state[i]) != 0)
            s->node_delegate[i] = -1; /* the CPU runs it: a failing delegate never breaks a session */
        at += tr_align64(need);
    }
    return true;
}

/* Runs node i on its delegate. */
static int run_delegated(tinyrank_session *s, tr_exec *x, uint32_t i)
{
    const tr_node *n = &s->nodes[i];
    const void *in[TR_MAX_OP_INPUTS] = {NULL};
    for (int k = 0; k < n->n_in; k++)
        in[k] = n->in[k] >= 0 ? tr_exec_data(x, n->in[k]) : NULL;
    const tinyrank_delegate *dg = s->params.delegates[s->node_delegate[i]];
    if (dg->eval(dg->user, s->node_state[i], in, tr_exec_data(x, n->out),
                 tr_exec_rows(x, n->out)) != 0) {
        tr_msg(s->errmsg, sizeof s->errmsg, "delegate '%s' failed on operator %u",
               dg->name ? dg->name : "?", i);
        return TINYRANK_ERR_INTERNAL;
    }
    return TINYRANK_OK;
}

int tinyrank_session_delegated_ops(const tinyrank_session *s, int delegate_index, size_t *count)
{
    if (count != NULL)
        *count = 0;
    if (s == NULL || s->magic != TR_SESSION_MAGIC || count == NULL)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    for (uint32_t i = 0; i < s->model->operators.count; i++)
        *count += s->node_delegate[i] == delegate_index;
    return TINYRANK_OK;
}

static bool model_ok(const tinyrank_model *m)
{
    return m != NULL && m->magic == TR_MODEL_MAGIC;
}

int tinyrank_arena_size(const tinyrank_model *model, const tinyrank_session_params *params,
                        size_t *out_bytes)
{
    tinyrank_session_params p;
    layout l;
    char msg[TR_ERRMSG_BYTES];
    if (out_bytes != NULL)
        *out_bytes = 0;
    if (!model_ok(model) || out_bytes == NULL)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    int rc = resolve_params(model, params, &p, msg, sizeof msg);
    if (rc == TINYRANK_OK)
        rc = compute_layout(model, &p, &l, msg, sizeof msg);
    if (rc == TINYRANK_OK)
        *out_bytes = l.total;
    return rc;
}

/* On failure, when the arena can hold one, *out gets a session that only
 * carries the message (tinyrank_session_errmsg works; every other call
 * refuses it), as tinyrank_model_load does for models. */
static int failed_session(void *arena, size_t arena_bytes, int rc, const char *msg,
                          tinyrank_session **out)
{
    if (arena_bytes >= sizeof(struct tinyrank_session) + 63) {
        tinyrank_session *s = (tinyrank_session *)(((uintptr_t)arena + 63u) & ~(uintptr_t)63u);
        memset(s, 0, sizeof *s);
        tr_msg(s->errmsg, sizeof s->errmsg, "%s", msg);
        *out = s;
    }
    return rc;
}

int tinyrank_session_create(const tinyrank_model *model, const tinyrank_session_params *params,
                            void *arena, size_t arena_bytes, tinyrank_session **out)
{
    tinyrank_session_params p;
    layout l;
    char msg[TR_ERRMSG_BYTES];
    if (out != NULL)
        *out = NULL;
    if (!model_ok(model) || arena == NULL || out == NULL)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    msg[0] = 0;
    int rc = resolve_params(model, params, &p, msg, sizeof msg);
    if (rc == TINYRANK_OK)
        rc = compute_layout(model, &p, &l, msg, sizeof msg);
    if (rc == TINYRANK_OK && arena_bytes < l.total) {
        rc = TINYRANK_ERR_ARENA_TOO_SMALL;
        tr_msg(msg, sizeof msg, "the arena has %zu bytes; this session needs %zu", arena_bytes, l.total);
    }
    if (rc != TINYRANK_OK)
        return failed_session(arena, arena_bytes, rc, msg, out);

    uint8_t *base = (uint8_t *)(((uintptr_t)arena + 63u) & ~(uintptr_t)63u);
    tinyrank_session *s = (tinyrank_session *)(void *)(base + l.session);
    memset(s, 0, sizeof *s);
    s->model = model;
    s->params = p;
    s->k = tr_kernels_select();
    s->tensors = (tr_tensor *)(void *)(base + l.tensors);
    s->nodes = (tr_node *)(void *)(base + l.nodes);
    s->offsets = (size_t *)(void *)(base + l.offsets);
    s->scratch_off = (size_t *)(void *)(base + l.scratch_off);
    s->q_ids = (int32_t *)(void *)(base + l.q_ids);
    s->p_ids = (int32_t *)(void *)(base + l.p_ids);
    s->seq_start = (uint32_t *)(void *)(base + l.seq_start);
    s->seg_ids = (int32_t *)(void *)(base + l.seg_ids);
    s->tok_scratch = base + l.tok_scratch;
    s->instruction = (char *)(base + l.instruction);
    s->cache_ids = (int32_t *)(void *)(base + l.cache_ids);
    s->node_delegate = (int32_t *)(void *)(base + l.node_delegate);
    s->node_state = (void **)(void *)(base + l.node_state);
    s->region = base + l.region;
    s->region_bytes = l.region_bytes;
    for (uint32_t i = 0; i < model->tensors.count; i++)
        if (!tr_model_tensor(model, i, &s->tensors[i]))
            return TINYRANK_ERR_CORRUPT_MODEL;
    for (uint32_t i = 0; i < model->operators.count; i++)
        if (!tr_model_node(model, i, &s->nodes[i]))
            return TINYRANK_ERR_CORRUPT_MODEL;
    tr_dims max = max_dims(&p);
    size_t region_bytes;
    rc = tr_plan(model, &max, s->offsets, s->scratch_off, &region_bytes, msg, sizeof msg);
    if (rc != TINYRANK_OK || region_bytes != l.region_bytes)
        return rc != TINYRANK_OK ? rc : TINYRANK_ERR_INTERNAL;
    if (!assign_delegates(s, &max, base + l.delegate_area, l.delegate_bytes))
        return TINYRANK_ERR_INTERNAL;
    for (uint32_t i = 0; i < model->operators.count; i++)
        if (s->nodes[i].code == TR_OP_VIEW_SCORE ||
            (s->nodes[i].code == TR_OP_CROSS_ATTENTION && s->nodes[i].opt.xatt.views > 0))
            s->one_list = true;
    for (uint32_t i = 0; i < model->operators.count; i++)
        if (s->nodes[i].code == TR_OP_ATTENTION && s->nodes[i].opt.attention.cache)
            s->has_kv_cache = s->prefix_reuse = true;
    s->magic = TR_SESSION_MAGIC;
    *out = s;
    return TINYRANK_OK;
}

const char *tinyrank_session_errmsg(const tinyrank_session *session)
{
    return session == NULL ? "session handle is NULL" : session->errmsg;
}

/* ---- running */

/* The arena buffer of graph input `tensor` (an I32 [TOKENS] input), from row
 * `row`; NULL for an input the graph does not have (tensor -1). */
static int32_t *input_rows(const tinyrank_session *s, int32_t tensor, uint32_t row)
{
    return tensor < 0 ? NULL : (int32_t *)(void *)(s->region + s->offsets[tensor]) + row;
}

/* Position ids 0..n-1 for the sequence that starts at `row`. */
static void fill_positions(const tinyrank_session *s, uint32_t row, size_t n)
{
    int32_t *pos = input_rows(s, s->model->position_ids, row);
    for (size_t i = 0; pos != NULL && i < n; i++)
        pos[i] = (int32_t)i;
}

static int fail(tinyrank_session *s, int rc, const char *what)
{
    tr_msg(s->errmsg, sizeof s->errmsg, "%s", what);
    return rc;
}

/* Runs every operator on the sequences packed in the input tensors (with the
 * decoders' prefix cache as session_prefix.c asks). */
int tr_session_run_packed(tinyrank_session *s, size_t n_seqs, bool cache_fill, size_t cache_rows)
{
    const tinyrank_model *m = s->model;
    tr_exec x;
    x.tensors = s->tensors;
    x.base = s->region;
    x.offsets = s->offsets;
    x.dims.seqs = n_seqs;
    x.dims.tokens = s->seq_start[n_seqs];
    x.dims.max_seq = 0;
    x.dims.threads = (size_t)s->params.num_threads;
    x.pool = s->params.threadpool ? (tr_parallel *)(void *)s->params.threadpool : NULL;
    for (size_t i = 0; i < n_seqs; i++) {
        size_t len = s->seq_start[i + 1] - s->seq_start[i];
        x.dims.max_seq = len > x.dims.max_seq ? len : x.dims.max_seq;
    }
    x.seq_start = s->seq_start;
    x.k = s->k;
    x.msg = s->errmsg;
    x.msglen = sizeof s->errmsg;
    x.cache_fill = cache_fill;
    x.cache_rows = cache_rows;
    if (m->decoder_ids >= 0) {
        /* T5: every decoder step starts from one token; its id is the
         * decoder embedding's index_offset (decoder_start_token_id) */
        int32_t *dec = tr_exec_data(&x, m->decoder_ids);
        size_t rows = tr_exec_rows(&x, m->decoder_ids);
        for (size_t i = 0; i < rows; i++)
            dec[i] = 0;
    }
    for (uint32_t i = 0; i < m->operators.count; i++) {
        const tr_node *n = &s->nodes[i];
        x.scratch = s->scratch_off[i] == SIZE_MAX ? NULL : s->region + s->scratch_off[i];
        int rc = s->node_delegate[i] >= 0 ? run_delegated(s, &x, i)
                                          : tr_op_lookup(n->code)->eval(&x, n);
        if (rc != TINYRANK_OK)
            return rc;
        if (s->observer != NULL)
            s->observer(s->observer_user, n, &s->tensors[n->out], tr_exec_data(&x, n->out),
                        tr_exec_rows(&x, n->out), s->seq_start, n_seqs);
    }
    return TINYRANK_OK;
}

/* Every batch runs through the prefix reuse of decoders (session_prefix.c),
 * which falls back to one plain run when it does not apply. */
static int run_graph(tinyrank_session *s, size_t n_seqs)
{
    return tr_session_run_prefixed(s, n_seqs);
}

/* MVP-style models score a call's passages against each other: they cannot
 * be split into batches. */
static int one_list_too_large(tinyrank_session *s, size_t n)
{
    tr_msg(s->errmsg, sizeof s->errmsg,
           "this model scores all passages of a call together (one candidate list): %zu "
           "passages exceed the session's max_batch %d",
           n, s->params.max_batch);
    return TINYRANK_ERR_INPUT_TOO_LARGE;
}

/* log(1 + exp(x)) without overflow or loss for large |x|. */
static float softplus(float x)
{
    return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
}

/* The model's score of each output row (tinyrank.fbs ScoreKind), with the
 * session's activation. */
static void read_scores(const tinyrank_session *s, size_t count, float *scores)
{
    const tinyrank_model *m = s->model;
    const float *out = (const float *)(const void *)(s->region + s->offsets[m->output]);
    for (size_t i = 0; i < count; i++) {
        const float *row = out + i * (size_t)m->output_columns;
        float v;
        switch (m->score_kind) {
        case TR_SCORE_LOGIT_DIFF:
            v = row[1] - row[0];
            break;
        case TR_SCORE_SOFTMAX_PAIR:
            /* p = softmax([r0, r1])[1] = 1 / (1 + exp(r0 - r1)); log p = -softplus(r0 - r1) */
            v = s->params.score == TINYRANK_SCORE_LOG ? -softplus(row[0] - row[1])
                                                      : 1.0f / (1.0f + expf(row[0] - row[1]));
            break;
        default:
            v = row[m->score_column];
            break;
        }
        if (s->params.score == TINYRANK_SCORE_SIGMOID)
            v = 1.0f / (1.0f + expf(-v));
        scores[i] = v;
    }
}

void tr_session_set_observer(tinyrank_session *s, tr_observer_fn fn, void *user)
{
    s->observer = fn;
    s->observer_user = user;
}

int tr_session_score_sequences(tinyrank_session *s, const int32_t *ids, const int32_t *type_ids,
                               const uint32_t *lens, size_t n, float *scores)
{
    if (s == NULL || s->magic != TR_SESSION_MAGIC || ids == NULL || type_ids == NULL ||
        lens == NULL || scores == NULL)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    const tinyrank_model *m = s->model;
    const size_t batch = (size_t)s->params.max_batch;
    size_t consumed = 0;
    if (s->one_list && n > batch)
        return one_list_too_large(s, n);
    for (size_t first = 0; first < n; first += batch) {
        size_t count = n - first < batch ? n - first : batch;
        int32_t *tid = input_rows(s, m->token_ids, 0), *ttp = input_rows(s, m->type_ids, 0);
        s->seq_start[0] = 0;
        for (size_t i = 0; i < count; i++) {
            uint32_t len = lens[first + i], at = s->seq_start[i];
            if (len < 1 || len > (uint32_t)s->params.max_length)
                return fail(s, TINYRANK_ERR_INPUT_TOO_LARGE, "sequence length outside 1..max_length");
            memcpy(tid + at, ids + consumed, len * sizeof(int32_t));
            if (ttp != NULL) /* decoders have no token type input */
                memcpy(ttp + at, type_ids + consumed, len * sizeof(int32_t));
            fill_positions(s, at, len);
            consumed += len;
            s->seq_start[i + 1] = at + len;
        }
        int rc = run_graph(s, count);
        if (rc != TINYRANK_OK)
            return rc;
        read_scores(s, count, scores + first);
    }
    return TINYRANK_OK;
}

/* pack_pair's code for invalid UTF-8 found in the query (SEGMENTS templates
 * tokenize the query with each passage); reported as TINYRANK_ERR_INVALID_UTF8. */
#define TR_QUERY_INVALID_UTF8 1000

/* Sets the message of a pack_pair failure for passage `index` and returns
 * the public status. */
static int pack_error(tinyrank_session *s, int rc, size_t index)
{
    switch (rc) {
    case TR_QUERY_INVALID_UTF8:
        tr_msg(s->errmsg, sizeof s->errmsg, "query is not valid UTF-8");
        return TINYRANK_ERR_INVALID_UTF8;
    case TINYRANK_ERR_INVALID_UTF8:
        tr_msg(s->errmsg, sizeof s->errmsg, "passage %zu is not valid UTF-8", index);
        return rc;
    case TINYRANK_ERR_INPUT_TOO_LARGE:
        tr_msg(s->errmsg, sizeof s->errmsg,
               "passage %zu: the template's fixed tokens do not fit in max_length %d", index,
               s->params.max_length);
        return rc;
    case TINYRANK_ERR_UNSUPPORTED:
        tr_msg(s->errmsg, sizeof s->errmsg, "this runtime cannot tokenize for this model's template");
        return rc;
    default:
        tr_msg(s->errmsg, sizeof s->errmsg, "passage %zu could not be tokenized", index);
        return rc;
    }
}

/* Appends one (query, passage) sequence at row `row` of the input tensors. */
static int pack_pair(tinyrank_session *s, const char *passage, size_t passage_len, uint32_t row,
                     uint32_t *rows_out)
{
    const tinyrank_model *m = s->model;
    size_t cap = (size_t)s->params.max_length;
    size_t p_len = 0, n = 0;
    bool p_truncated = false;
    if (m->input_format == TR_FORMAT_SEGMENTS) {
        tr_span q = {s->query, s->query_len}, d = {passage, passage_len};
        int bad_slot;
        int rc = tr_session_pack_template(s, q, d, input_rows(s, m->token_ids, row), &n, &bad_slot);
        if (rc == TINYRANK_ERR_INVALID_UTF8 && bad_slot == TR_SLOT_QUERY)
            rc = TR_QUERY_INVALID_UTF8;
        if (rc != TINYRANK_OK)
            return rc;
        int32_t *types = input_rows(s, m->type_ids, row);
        for (size_t i = 0; types != NULL && i < n; i++)
            types[i] = 0;
        fill_positions(s, row, n);
        *rows_out = (uint32_t)n;
        return TINYRANK_OK;
    }
    int rc = tr_wordpiece_encode(&m->tok.wordpiece, passage, passage_len, s->p_ids, cap, &p_len,
                                 &p_truncated);
    if (rc != TINYRANK_OK)
        return rc;
    int strategy = s->params.truncation == TINYRANK_TRUNCATE_LONGEST_FIRST ? TR_PAIR_LONGEST_FIRST
                                                                          : TR_PAIR_ONLY_SECOND;
    rc = tr_pair_build(s->q_ids, s->q_len, s->q_truncated, s->p_ids, p_len, p_truncated, m->tok.cls_id,
                       m->tok.sep_id, cap, strategy, input_rows(s, m->token_ids, row),
                       input_rows(s, m->type_ids, row), &n);
    if (rc != TINYRANK_OK)
        return rc;
    fill_positions(s, row, n);
    *rows_out = (uint32_t)n;
    return TINYRANK_OK;
}

/* Tokenizes the query of a call once, for all its passages. */
static int encode_query(tinyrank_session *s, const char *query, size_t query_len)
{
    s->query = query;
    s->query_len = query_len;
    if (s->model->input_format == TR_FORMAT_SEGMENTS)
        return TINYRANK_OK; /* the query is tokenized inside its template segment */
    int rc = tr_wordpiece_encode(&s->model->tok.wordpiece, query, query_len, s->q_ids,
                                 (size_t)s->params.max_length, &s->q_len, &s->q_truncated);
    if (rc != TINYRANK_OK)
        return fail(s, rc, rc == TINYRANK_ERR_INVALID_UTF8 ? "query is not valid UTF-8"
                                                           : "query could not be tokenized");
    return TINYRANK_OK;
}

int tinyrank_score_n(tinyrank_session *s, const char *query, size_t query_len,
                     const char *const *passages, const size_t *passage_lens, size_t n,
                     float *scores)
{
    if (s == NULL || s->magic != TR_SESSION_MAGIC)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    s->errmsg[0] = 0;
    if (n == 0)
        return TINYRANK_OK;
    if (query == NULL || passages == NULL || passage_lens == NULL || scores == NULL)
        return fail(s, TINYRANK_ERR_INVALID_ARGUMENT, "query, passages and scores must not be NULL");
    for (size_t i = 0; i < n; i++)
        if (passages[i] == NULL)
            return fail(s, TINYRANK_ERR_INVALID_ARGUMENT, "a passage pointer is NULL");

    int rc = encode_query(s, query, query_len);
    if (rc != TINYRANK_OK)
        return rc;
    const size_t batch = (size_t)s->params.max_batch;
    if (s->one_list && n > batch)
        return one_list_too_large(s, n);
    for (size_t first = 0; first < n; first += batch) {
        size_t count = n - first < batch ? n - first : batch;
        s->seq_start[0] = 0;
        for (size_t i = 0; i < count; i++) {
            uint32_t rows;
            rc = pack_pair(s, passages[first + i], passage_lens[first + i], s->seq_start[i], &rows);
            if (rc != TINYRANK_OK)
                return pack_error(s, rc, first + i);
            s->seq_start[i + 1] = s->seq_start[i] + rows;
        }
        rc = run_graph(s, count);
        if (rc != TINYRANK_OK)
            return rc;
        read_scores(s, count, scores + first);
    }
    return TINYRANK_OK;
}

int tinyrank_tokenize_pair(tinyrank_session *s, const char *query, size_t query_len,
                           const char *passage, size_t passage_len, int32_t *ids,
                           int32_t *type_ids, size_t cap, size_t *count)
{
    if (count != NULL)
        *count = 0;
    if (s == NULL || s->magic != TR_SESSION_MAGIC)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    if (query == NULL || passage == NULL || ids == NULL || count == NULL)
        return fail(s, TINYRANK_ERR_INVALID_ARGUMENT, "query, passage, ids and count must not be NULL");
    const tinyrank_model *m = s->model;
    int rc = encode_query(s, query, query_len);
    if (rc != TINYRANK_OK)
        return rc;
    uint32_t rows;
    rc = pack_pair(s, passage, passage_len, 0, &rows);
    if (rc != TINYRANK_OK)
        return pack_error(s, rc, 0);
    const int32_t *src = input_rows(s, m->token_ids, 0), *tsrc = input_rows(s, m->type_ids, 0);
    for (size_t i = 0; i < rows && i < cap; i++) {
        ids[i] = src[i];
        if (type_ids != NULL)
            type_ids[i] = tsrc ? tsrc[i] : 0;
    }
    *count = rows;
    return TINYRANK_OK;
}
