/* session.h - the session struct (internal). It lives at the start of the
 * caller's arena; see session.c for the arena layout. */
#ifndef TR_SESSION_H
#define TR_SESSION_H

#include "graph/model.h"
#include "kernels/kernels.h"

/* Called after each operator with its output (tests, debugging). */
typedef void (*tr_observer_fn)(void *user, const tr_node *node, const tr_tensor *out,
                               const float *data, size_t rows, const uint32_t *seq_start,
                               size_t n_seqs);

struct tinyrank_session {
    uint32_t magic;
    char errmsg[TR_ERRMSG_BYTES];
    const tinyrank_model *model;
    tinyrank_session_params params; /* resolved: no "model default" left */
    const tr_kernels *k;
    tr_tensor *tensors;   /* decoded once at create */
    tr_node *nodes;
    size_t *offsets;      /* per tensor: offset in region (SIZE_MAX: none) */
    size_t *scratch_off;  /* per operator */
    int32_t *q_ids;       /* query tokens of the current call */
    size_t q_len;
    bool q_truncated;
    int32_t *p_ids;       /* passage tokens being packed */
    uint32_t *seq_start;  /* max_batch + 1 */
    int32_t *seg_ids;     /* SEGMENTS: one max_length row of ids per template segment */
    int32_t *node_delegate; /* per operator: index into params.delegates, -1 = CPU */
    void **node_state;      /* per operator: the delegate's state from prepare */
    void *tok_scratch;    /* tr_tokenizer_scratch_bytes */
    char *instruction;    /* TINYRANK_MAX_INSTRUCTION_BYTES */
    size_t instruction_len;
    bool instruction_set;
    const char *query;    /* the query of the current call (SEGMENTS) */
    size_t query_len;
    uint8_t *region;
    size_t region_bytes;
    tr_observer_fn observer;
    void *observer_user;
    /* decoders' prompt-prefix K/V cache (session_prefix.c) */
    bool has_kv_cache;   /* some ATTENTION node keeps a cache */
    bool prefix_reuse;   /* on by default when has_kv_cache */
    int32_t *cache_ids;  /* max_length: the ids whose K/V the caches hold */
    size_t cache_len;    /* 0: the caches hold nothing */
    /* MVP: the scores of a call depend on all of its passages (one candidate
     * list), so a call runs as ONE batch of at most max_batch passages */
    bool one_list;
};

#define TR_SESSION_MAGIC 0x53455353u

/* SEGMENTS templates (session_template.c): arena bytes for the per-segment
 * ids, and the sequence of one pair written to out (max_length entries).
 * On invalid UTF-8, *bad_slot names the caller's text at fault. */
size_t tr_session_template_bytes(const tinyrank_model *m, size_t max_length);
int tr_session_pack_template(tinyrank_session *s, tr_span query, tr_span doc, int32_t *out,
                             size_t *n_out, int *bad_slot);

/* Runs the operators once on the sequences packed in the input tensors
 * (session.c). cache_fill: this run is a shared prefix alone, whose K/V the
 * attention ops store; cache_rows: rows of cached prefix before each
 * sequence's own rows. */
int tr_session_run_packed(tinyrank_session *s, size_t n_seqs, bool cache_fill, size_t cache_rows);

/* Runs a packed batch, computing the prompt prefix common to its sequences
 * once when the model keeps K/V caches (session_prefix.c); the same scores
 * as tr_session_run_packed(s, n, false, 0) up to float rounding. Rewrites the
 * input rows and seq_start when it uses the cache. */
int tr_session_run_prefixed(tinyrank_session *s, size_t n_seqs);

/* Test hook: turns prefix reuse off (recompute every sequence) or back on.
 * Turning it off forgets the cached prefix. */
void tr_session_set_prefix_reuse(tinyrank_session *s, bool on);

/* Installs an observer (NULL removes it). */
void tr_session_set_observer(tinyrank_session *s, tr_observer_fn fn, void *user);

/* Scores n already tokenized sequences (ids and token types, packed back to
 * back, lens[i] tokens each, each <= max_length), bypassing the tokenizer:
 * the golden tests feed Hugging Face's own input ids this way. */
int tr_session_score_sequences(tinyrank_session *s, const int32_t *ids, const int32_t *type_ids,
                               const uint32_t *lens, size_t n, float *scores);

#endif
