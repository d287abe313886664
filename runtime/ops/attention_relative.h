/* attention_relative.h - ATTENTION with T5's relative position bias
 * (internal; op_attention.c hands a node with options.relative here). */
#ifndef TR_ATTENTION_RELATIVE_H
#define TR_ATTENTION_RELATIVE_H

#include "ops/ops.h"

/* T5's bucket of the relative distance j - i (key minus query position), as
 * transformers' T5Attention._relative_position_bucket computes it. */
int32_t tr_t5_relative_bucket(int32_t relative, int32_t num_buckets, int32_t max_distance,
                              bool bidirectional);

int tr_attention_relative_check(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out,
                                char *msg, size_t len);
size_t tr_attention_relative_scratch(const tr_node *n, const tr_dims *max);
int tr_attention_relative_eval(tr_exec *x, const tr_node *n);

#endif
