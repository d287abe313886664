/* tokenizer.c - tr_tokenizer_encode: one entry point over the tokenizer kinds. */
#include "tokenizer/tokenizer.h"

#include "format/schema_ids.h"
#include "tinyrank.h"

size_t tr_tokenizer_scratch_bytes(const tr_tokenizer *t)
{
    switch (t->kind) {
    case TR_TOKENIZER_BYTE_LEVEL_BPE:
        return tr_bpe_scratch_bytes();
    case TR_TOKENIZER_UNIGRAM:
        return tr_unigram_scratch_bytes();
    case TR_TOKENIZER_WORDPIECE:
    default:
        return 0;
    }
}

int tr_tokenizer_encode(const tr_tokenizer *t, const tr_span *spans, size_t n_spans, void *scratch,
                        int32_t *ids, size_t cap, size_t *n_out, bool *truncated)
{
    (void)scratch;
    *n_out = 0;
    *truncated = false;
    switch (t->kind) {
    case TR_TOKENIZER_WORDPIECE:
        /* BERT inputs are built by tokenizer/pair.c from whole texts */
        if (n_spans == 0)
            return TINYRANK_OK;
        if (n_spans != 1)
            return TINYRANK_ERR_UNSUPPORTED;
        return tr_wordpiece_encode(&t->wordpiece, spans[0].ptr, spans[0].len, ids, cap, n_out,
                                   truncated);
    case TR_TOKENIZER_BYTE_LEVEL_BPE:
        return tr_bpe_encode(t, spans, n_spans, scratch, ids, cap, n_out, truncated);
    case TR_TOKENIZER_UNIGRAM:
        return tr_unigram_encode(t, spans, n_spans, scratch, ids, cap, n_out, truncated);
    default:
        return TINYRANK_ERR_UNSUPPORTED;
    }
}
