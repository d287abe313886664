/* qwen.h - Qwen2ForCausalLM / Qwen3ForCausalLM yes/no rerankers (internal to
 * the converter): qwen.c builds the graph, qwen_template.c the tokenizer,
 * the prompt template and the score around it. */
#ifndef TR_ARCH_QWEN_H
#define TR_ARCH_QWEN_H

#include <stdbool.h>
#include <stdint.h>

#include "converter/arch/arch.h"
#include "converter/hf/bpe_files.h"

/* SmoothQuant-style migration (qwen_smooth.c): per layer, the largest |x|
 * of each input channel of q/k/v (attn_in), gate/up (mlp_in) and down
 * (down_in), measured on calibration text with the f32 model. */
typedef struct tr_qwen_smooth {
    int64_t layers, hidden, inter;
    float *attn_in, *mlp_in, *down_in; /* [layers][hidden], [layers][hidden], [layers][inter] */
} tr_qwen_smooth;

/* Fills sm (layers, hidden, inter set by the caller) from a run of the f32
 * model file over built-in calibration text. */
int tr_qwen_calibrate(const char *f32_model, tr_qwen_smooth *sm, char *err, size_t errlen);
void tr_qwen_smooth_free(tr_qwen_smooth *sm);
/* s_j = sqrt(x_max_j / w_col_max_j) (1 where either is 0), bounded. */
void tr_qwen_smooth_factors(const float *x_max, const float *w_col_max, size_t k, float *s);

typedef struct tr_qwen_cfg {
    bool qwen3;
    int64_t layers, hidden, heads, kv_heads, head_dim, inter, vocab, max_pos;
    double eps, theta;
    bool qkv_bias, tied;
    /* int8 conversions: which weight kinds are quantized (--keep-f32) */
    bool q8_q, q8_k, q8_v, q8_o, q8_gate_up, q8_down, q8_embed;
    const tr_qwen_smooth *smooth; /* NULL: no migration */
    int32_t rope_table; /* the graph's ROPE_TABLE output, shared by every ROPE */
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
int tr_arch_qwen_graph(tr_arch_ctx *c, bool qwen3, const int32_t score_ids[2],
                       const tr_qwen_smooth *smooth, tr_qwen_cfg *q);

/* The whole model: tokenizer.json, the template (--template qwen3-reranker,
 * mxbai-rerank-v2 or a custom JSON file; default: qwen3-reranker for Qwen3,
 * mxbai-rerank-v2 for Qwen2), the score tokens, then the graph. *own must
 * outlive tr_model_write; release it with tr_qwen_owned_free. */
int tr_arch_qwen_build(tr_arch_ctx *c, bool qwen3, tr_qwen_owned *own);
void tr_qwen_owned_free(tr_qwen_owned *own);

#endif
