/* qwen.h - Qwen2ForCausalLM / Qwen3ForCausalLM yes/no rerankers (internal to
 * the converter): qwen.c builds the graph, qwen_template.c the tokenizer,
 * the prompt template and the score around it. */
#ifndef TR_ARCH_QWEN_H
#define TR_ARCH_QWEN_H

#include <stdbool.h>
#include <stdint.h>

#include "converter/arch/arch.h"
#include "converter/hf/bpe_files.h"

typedef struct tr_qwen_cfg {
    bool qwen3;
    int64_t layers, hidden, heads, kv_heads, head_dim, inter, vocab, max_pos;
    double eps, theta;
    bool qkv_bias, tied;
} tr_qwen_cfg;

#define TR_QWEN_MAX_SEGMENTS 16
#define TR_QWEN_MAX_PARTS 16
#define TR_QWEN_MAX_STRINGS 256

/* What the model IR borrows until it is written (tokenizer, template). */
typedef struct tr_qwen_owned {
    tr_bpe_files bpe;
    tr_ir_segment segments[TR_QWEN_MAX_SEGMENTS];
    tr_ir_part parts[TR_QWEN_MAX_SEGMENTS][TR_QWEN_MAX_PARTS];
    int32_t ids[TR_QWEN_MAX_SEGMENTS][64];
    char *strings[TR_QWEN_MAX_STRINGS]; /* malloc'd texts the parts point to */
    size_t n_strings;
} tr_qwen_owned;

/* Builds the graph into c->ir; score_ids = the (negative, positive) tokens
 * whose head rows are output columns 0 and 1. Fills *q from config.json. */
int tr_arch_qwen_graph(tr_arch_ctx *c, bool qwen3, const int32_t score_ids[2], tr_qwen_cfg *q);

/* The whole model: tokenizer.json, the template (--template qwen3-reranker,
 * mxbai-rerank-v2 or a custom JSON file; default: qwen3-reranker for Qwen3,
 * mxbai-rerank-v2 for Qwen2), the score tokens, then the graph. *own must
 * outlive tr_model_write; release it with tr_qwen_owned_free. */
int tr_arch_qwen_build(tr_arch_ctx *c, bool qwen3, tr_qwen_owned *own);
void tr_qwen_owned_free(tr_qwen_owned *own);

#endif
