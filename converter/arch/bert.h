/* bert.h - the BERT-style encoder graph (internal to the converter), shared
 * by the families that are the same Transformer with other names, another
 * position numbering and another classification head:
 *   BertForSequenceClassification (bert.c): weights "bert.*", positions
 *     0..n-1, head = classifier(tanh(pooler(h[CLS]))).
 *   XLMRobertaForSequenceClassification / RobertaForSequenceClassification
 *     (xlmr.c): weights "roberta.*", positions padding_idx+1 .. padding_idx+n
 *     (transformers' create_position_ids_from_input_ids on unpadded input),
 *     no pooler, head = out_proj(tanh(dense(h[<s>]))) (RobertaClassificationHead).
 * Only the graph differs; tokenizer, template and score are the family's. */
#ifndef TR_ARCH_BERT_H
#define TR_ARCH_BERT_H

#include <stdint.h>

#include "converter/arch/arch.h"

/* Which classification head reads the first token's final hidden state. */
enum {
    TR_BERT_HEAD_POOLER = 0, /* bert.pooler.dense + tanh, then classifier */
    TR_BERT_HEAD_ROBERTA = 1 /* classifier.dense + tanh, then classifier.out_proj */
};

typedef struct tr_bert_variant {
    const char *prefix;      /* weight prefix: "bert" or "roberta" */
    int head;                /* TR_BERT_HEAD_* */
    int64_t min_type_vocab;  /* BERT: 2 (segment A/B); RoBERTa: 1 (all zeros) */
} tr_bert_variant;

typedef struct tr_bert_cfg {
    int64_t layers, hidden, heads, inter, vocab, max_pos, type_vocab;
    double eps;
    int act;                 /* TR_ACT_* of the intermediate layer */
    int32_t position_offset; /* row of the position table for position 0 */
} tr_bert_cfg;

/* Reads and checks the encoder dimensions of config.json. TINYRANK_*. */
int tr_bert_read_config(tr_arch_ctx *c, const tr_bert_variant *v, tr_bert_cfg *b);

/* Builds the graph (inputs input_ids, token_type_ids, position_ids fed
 * 0..n-1; encoder; the variant's head; output [SEQUENCES, 1]) into c->ir and
 * sets the IR's dimensions and weight dtype. TINYRANK_*. */
int tr_bert_build_graph(tr_arch_ctx *c, const tr_bert_variant *v, const tr_bert_cfg *b);

#endif
