/* attention_cache.h - ATTENTION of decoders with a prompt-prefix K/V cache
 * (internal; op_attention.c hands nodes with options.cache here).
 *
 * Inputs 4 and 5 are PERSISTENT [TOKENS, kv_heads*head_dim] tensors that the
 * planner keeps for the session's life, sized at max_length rows. A run with
 * tr_exec.cache_fill is the shared prefix alone (one sequence): its keys and
 * values (after RoPE) are stored there. A run with tr_exec.cache_rows = P
 * lets every sequence's rows (positions P, P+1, ...) attend to the P cached
 * rows first and then causally to its own. */
#ifndef TR_ATTENTION_CACHE_H
#define TR_ATTENTION_CACHE_H

#include "ops/ops.h"

/* Checks the cache inputs of an attention node (the rest of the node is
 * checked by op_attention.c). */
int tr_attention_cache_check(const tr_node *n, const tr_tensor *const *in, char *msg, size_t len);
/* Scratch of a cache-capable attention node: per thread the kernel scratch
 * for max_seq keys plus the gathered keys and values of one KV head. */
size_t tr_attention_cache_scratch(const tr_node *n, const tr_dims *max);
/* cache_fill runs: copies this run's K and V rows into the caches. */
int tr_attention_cache_store(tr_exec *x, const tr_node *n);
/* cache_rows > 0 runs: the whole attention, prefix rows first. */
int tr_attention_cache_eval(tr_exec *x, const tr_node *n);

#endif
