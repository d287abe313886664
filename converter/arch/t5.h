/* t5.h - T5ForConditionalGeneration rerankers (internal to the converter):
 * t5.c builds the graph (encoder, one decoder step, the score head),
 * t5_template.c the tokenizer, input template and score around it. */
#ifndef TR_ARCH_T5_H
#define TR_ARCH_T5_H

#include <stdbool.h>
#include <stdint.h>

#include "converter/arch/arch.h"
#include "converter/hf/unigram_files.h"

/* What is scored (the --template). */
enum { TR_T5_MONOT5 = 0, TR_T5_MVP = 1 };

typedef struct tr_t5_cfg {
    int64_t layers, dec_layers, d_model, heads, d_kv, d_ff, vocab, buckets, max_distance;
    double eps;
    bool gated;          /* T5 v1.1 / flan: wi_0, wi_1 (act(wi_0 x) * wi_1 x) */
    int act;             /* TR_ACT_* of the FFN */
    bool tied;           /* v1.0: lm_head = shared, decoder output * d_model^-0.5 */
    int32_t decoder_start;
    bool wrapped;        /* the MVP authors' FiD wrapper names (encoder.encoder.block.N.module.) */
    int mode;            /* TR_T5_* */
    int32_t false_id, true_id; /* monoT5: the two head rows (output columns 0, 1) */
    int32_t views;       /* MVP: number of view tokens in front of every passage */
} tr_t5_cfg;

/* What the model IR borrows until it is written (tokenizer, template). */
typedef struct tr_t5_owned {
    tr_unigram_files tok;
    tr_ir_segment segments[3];
    tr_ir_part parts[3][6];
    int32_t eos[1];
} tr_t5_owned;

/* The whole model: the tokenizer (spiece.model or tokenizer.json), the
 * template (--template monot5 | mvp; default monot5, or mvp for the MVP
 * authors' checkpoints), the score, then the graph. *own must outlive
 * tr_model_write; release it with tr_t5_owned_free. */
int tr_arch_t5_build(tr_arch_ctx *c, tr_t5_owned *own);
void tr_t5_owned_free(tr_t5_owned *own);

/* Reads config.json and finds which weight layout the checkpoint has. */
int tr_t5_read_config(tr_arch_ctx *c, tr_t5_cfg *t);

/* Builds the graph into c->ir (inputs, operators, output). TINYRANK_*. */
int tr_t5_build_graph(tr_arch_ctx *c, const tr_t5_cfg *t);

#endif
