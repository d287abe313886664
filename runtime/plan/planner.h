/* planner.h - the arena memory planner.
 *
 * Activations, graph inputs and per-operator scratch get offsets in one
 * region of the caller's arena. Lifetimes come from the operator order: a
 * tensor lives from the operator that writes it (graph inputs: from the
 * start) to the last operator that reads it (the graph output: to the end);
 * scratch lives during its operator only. The planner walks the operators in
 * order and places each new buffer first-fit among the live ones (64-byte
 * aligned), which needs only a small bounded working set and no heap, so
 * tinyrank_arena_size can run it without an arena and get the exact size.
 * Sizes are taken at the session's maxima (tokens, sequences). */
#ifndef TR_PLANNER_H
#define TR_PLANNER_H

#include "ops/ops.h"

#define TR_PLAN_MAX_LIVE 128 /* buffers alive at once; BERT needs < 10 */

/* offsets (n_tensors entries) and scratch_off (n_ops entries, SIZE_MAX when
 * the op needs none) may be NULL to only compute *region_bytes. */
int tr_plan(const tinyrank_model *m, const tr_dims *max, size_t *offsets, size_t *scratch_off,
            size_t *region_bytes, char *msg, size_t msglen);

#endif
