/* delegate.h - operators run by delegates (internal; the public contract is
 * tinyrank_delegate in include/tinyrank.h and docs/DELEGATES.md).
 *
 * At session creation each operator is offered, in graph order, to the
 * session's delegates; the first claim wins and gets an arena slice of the
 * size it asked for. Sizing (tinyrank_arena_size) asks the same questions, so
 * the arena is exact. run_graph then calls the delegate's eval instead of
 * the CPU operator for the nodes whose prepare succeeded. */
#ifndef TR_DELEGATE_H
#define TR_DELEGATE_H

#include "graph/model.h"
#include "ops/ops.h"

/* The public description of node n with its tensors (in[i] NULL when
 * absent), at the session's maximum dimensions. */
void tr_delegate_describe(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out,
                          const tr_dims *max, tinyrank_node_desc *d);

/* Which delegate claims node n (-1: none) and the arena bytes it asked for. */
int tr_delegate_claim(const tinyrank_session_params *p, const tr_node *n, const tinyrank_node_desc *d,
                      size_t *bytes);

/* Arena bytes of all delegate slices of a model under params p. */
size_t tr_delegate_arena_bytes(const tinyrank_model *m, const tinyrank_session_params *p,
                               const tr_dims *max);

#endif
