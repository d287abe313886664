/* xlmr.h - XLMRobertaForSequenceClassification cross-encoders (bge-reranker-
 * base / v2-m3, mMiniLM cross-encoders), internal to the converter. The
 * graph is bert.c's with the RoBERTa variant (bert.h); this family adds the
 * SentencePiece Unigram tokenizer of tokenizer.json and the pair template
 * <s> {query} </s></s> {document} </s>. */
#ifndef TR_ARCH_XLMR_H
#define TR_ARCH_XLMR_H

#include <stdint.h>

#include "converter/arch/arch.h"
#include "converter/hf/unigram_files.h"

/* What the model IR borrows until it is written (tokenizer, template). */
typedef struct tr_xlmr_owned {
    tr_unigram_files tok;
    tr_ir_segment segments[5];
    tr_ir_part parts[2];
    int32_t bos[1], sep2[2], eos[1];
} tr_xlmr_owned;

/* The whole model. *own must outlive tr_model_write; release it with
 * tr_xlmr_owned_free. TINYRANK_*. */
int tr_arch_xlmr_build(tr_arch_ctx *c, tr_xlmr_owned *own);
void tr_xlmr_owned_free(tr_xlmr_owned *own);

#endif
