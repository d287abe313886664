/* session.h - the session struct (internal). It lives at the start of the
 * caller's arena; see session.c for the arena layout. */
#ifndef TR_SESSION_H
#define TR_SESSION_H

#include "graph/model.h"
#include "kernels/kernels.h"

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
    uint8_t *region;
    size_t region_bytes;
};

#endif
