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
};

#define TR_SESSION_MAGIC 0x53455353u

/* SEGMENTS templates (session_template.c): arena bytes for the per-segment
 * ids, and the sequence of one pair written to out (max_length entries).
 * On invalid UTF-8, *bad_slot names the caller's text at fault. */
size_t tr_session_template_bytes(const tinyrank_model *m, size_t max_length);
int tr_session_pack_template(tinyrank_session *s, tr_span query, tr_span doc, int32_t *out,
                             size_t *n_out, int *bad_slot);

/* Installs an observer (NULL removes it). */
void tr_session_set_observer(tinyrank_session *s, tr_observer_fn fn, void *user);

/* Scores n already tokenized sequences (ids and token types, packed back to
 * back, lens[i] tokens each, each <= max_length), bypassing the tokenizer:
 * the golden tests feed Hugging Face's own input ids this way. */
int tr_session_score_sequences(tinyrank_session *s, const int32_t *ids, const int32_t *type_ids,
                               const uint32_t *lens, size_t n, float *scores);

#endif
