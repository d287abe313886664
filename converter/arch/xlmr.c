/* xlmr.c - XLM-RoBERTa cross-encoders: tokenizer, template and score around
 * the BERT-style graph (bert.c, RoBERTa variant).
 *
 * Tokenizer: tokenizer.json only (model Unigram, Precompiled + Replace
 * normalizer, Metaspace), read with the Rust `tokenizers` semantics that
 * fast/ONNX pipelines run (converter/hf/unigram_files.h). Its ids are the
 * model's ids as they are: tokenizer.json already carries the fairseq
 * layout (<s>=0 <pad>=1 </s>=2 <unk>=3, pieces shifted by one, <mask> last).
 * sentencepiece.bpe.model alone is refused: its ids lack that shift and
 * the four fairseq specials, and this converter does not rebuild them.
 *
 * Template (XLMRobertaTokenizer's pair layout, all token types 0):
 *   [<s>] {query} [</s></s>] {document} [</s>]
 * Each text is tokenized on its own, as the tokenizer does for a pair. When
 * the pair exceeds max_length the document loses tokens at its end first
 * (truncate_order 1), then the query (2). With truncation="only_second" (the
 * reference, xlmr.pairs.jsonl) this is the same whenever the query fits; a
 * query too long for max_length makes transformers refuse to truncate and
 * return the whole over-long pair, while here the document is left empty
 * and the query is cut to what remains.
 * Callers that tokenize with longest_first (sentence-transformers'
 * CrossEncoder, truncation=True, see bert.c) get other ids only when a cut
 * document would end up shorter than the query: there longest_first trims
 * the query as well, this template keeps the query whole.
 *
 * Score: logits[:, 0] raw (bge-reranker normalize=False; the session's
 * sigmoid gives normalize=True). */
#include "converter/arch/xlmr.h"

#include <stdio.h>
#include <string.h>

#include "converter/arch/bert.h"
#include "tinyrank.h"

static const tr_bert_variant k_roberta = {"roberta", TR_BERT_HEAD_ROBERTA, 1};

void tr_xlmr_owned_free(tr_xlmr_owned *own)
{
    if (own != NULL)
        tr_unigram_files_free(&own->tok);
}

static bool file_exists(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f != NULL)
        fclose(f);
    return f != NULL;
}

static int load_tokenizer(tr_arch_ctx *c, tr_xlmr_owned *own, const tr_bert_cfg *b)
{
    const char *dir = c->opt->input_dir;
    if (!file_exists(dir, "tokenizer.json")) {
        if (file_exists(dir, "sentencepiece.bpe.model")) {
            snprintf(c->err, c->errlen,
                     "%s: only sentencepiece.bpe.model is present; XLM-R is converted from "
                     "tokenizer.json (the fairseq id offset of the .model file is not rebuilt)",
                     dir);
            return TINYRANK_ERR_UNSUPPORTED;
        }
        snprintf(c->err, c->errlen, "%s: no tokenizer.json", dir);
        return TINYRANK_ERR_IO;
    }
    int rc = tr_unigram_files_load(dir, TR_UNI_SOURCE_TOKENIZER_JSON, &own->tok, c->err, c->errlen);
    if (rc == TINYRANK_ERR_UNSUPPORTED) {
        /* RoBERTa (English) ships a byte-level BPE tokenizer: say so */
        char why[512];
        snprintf(why, sizeof why, "%s", c->err);
        snprintf(c->err, c->errlen,
                 "%s (XLM-R/RoBERTa cross-encoders are supported with a SentencePiece Unigram "
                 "tokenizer.json only)",
                 why);
    }
    if (rc != TINYRANK_OK)
        return rc;
    if ((int64_t)own->tok.count > b->vocab) {
        snprintf(c->err, c->errlen, "the tokenizer has %zu tokens but config.json vocab_size is %lld",
                 own->tok.count, (long long)b->vocab);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    return TINYRANK_OK;
}

static int make_template(tr_arch_ctx *c, tr_xlmr_owned *own, const tr_bert_cfg *b)
{
    tr_ir *ir = c->ir;
    if (c->opt->template_name != NULL && strcmp(c->opt->template_name, "xlmr") != 0) {
        snprintf(c->err, c->errlen, "--template \"%s\": XLM-R checkpoints know xlmr only",
                 c->opt->template_name);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    if (c->opt->truncation != NULL && strcmp(c->opt->truncation, "only_second") != 0) {
        snprintf(c->err, c->errlen,
                 "--truncation \"%s\": XLM-R cuts the document first (only_second) only",
                 c->opt->truncation);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    int32_t bos = tr_unigram_files_find(&own->tok, "<s>");
    int32_t eos = tr_unigram_files_find(&own->tok, "</s>");
    if (bos < 0 || eos < 0) {
        snprintf(c->err, c->errlen, "the tokenizer has no <s> or </s> piece");
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    own->bos[0] = bos;
    own->sep2[0] = own->sep2[1] = eos;
    own->eos[0] = eos;
    own->parts[0] = (tr_ir_part){TR_SLOT_QUERY, NULL};
    own->parts[1] = (tr_ir_part){TR_SLOT_DOCUMENT, NULL};
    tr_ir_segment *s = own->segments;
    s[0] = (tr_ir_segment){.ids = own->bos, .n_ids = 1, .parts = NULL, .n_parts = 0, .truncate_order = 0};
    s[1] = (tr_ir_segment){.ids = NULL, .n_ids = 0, .parts = &own->parts[0], .n_parts = 1, .truncate_order = 2};
    s[2] = (tr_ir_segment){.ids = own->sep2, .n_ids = 2, .parts = NULL, .n_parts = 0, .truncate_order = 0};
    s[3] = (tr_ir_segment){.ids = NULL, .n_ids = 0, .parts = &own->parts[1], .n_parts = 1, .truncate_order = 1};
    s[4] = (tr_ir_segment){.ids = own->eos, .n_ids = 1, .parts = NULL, .n_parts = 0, .truncate_order = 0};
    ir->segments = s;
    ir->n_segments = 5;
    ir->template_name = "xlmr";
    ir->input_format = TR_FORMAT_SEGMENTS;
    ir->truncation = TR_TRUNC_ONLY_SECOND;
    /* the positions padding_idx+1 .. max_position_embeddings-1 */
    const int64_t usable = b->max_pos - b->position_offset;
    int64_t ml = c->opt->max_length > 0 ? c->opt->max_length : (usable < 512 ? usable : 512);
    if (ml < 8 || ml > usable) {
        snprintf(c->err, c->errlen,
                 "--max-length %lld is outside 8..%lld (max_position_embeddings - pad_token_id - 1)",
                 (long long)ml, (long long)usable);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    ir->max_length = (int32_t)ml;
    return TINYRANK_OK;
}

int tr_arch_xlmr_build(tr_arch_ctx *c, tr_xlmr_owned *own)
{
    tr_bert_cfg b;
    int rc = tr_bert_read_config(c, &k_roberta, &b);
    if (rc == TINYRANK_OK)
        rc = load_tokenizer(c, own, &b);
    if (rc == TINYRANK_OK)
        rc = make_template(c, own, &b);
    if (rc != TINYRANK_OK)
        return rc;
    /* transformers builds no pooler for sequence classification; checkpoints
     * saved from a plain XLMRobertaModel may still carry one, unused */
    tr_st_use(c->weights, "roberta.pooler.dense.weight");
    tr_st_use(c->weights, "roberta.pooler.dense.bias");
    rc = tr_bert_build_graph(c, &k_roberta, &b);
    if (rc != TINYRANK_OK)
        return rc;
    tr_ir *ir = c->ir;
    ir->family = TR_FAMILY_XLM_ROBERTA;
    tr_unigram_files_fill_ir(&own->tok, &ir->tok);
    ir->score_kind = TR_SCORE_LOGIT;
    ir->score_column = 0;
    ir->score_activation = TR_SCORE_ACT_RAW;
    return TINYRANK_OK;
}
