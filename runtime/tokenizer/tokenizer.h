/* tokenizer.h - the model's tokenizer, whatever its kind (internal).
 *
 * One interface over the kinds a model file can hold (TokenizerKind in
 * runtime/format/tinyrank.fbs): WordPiece (BERT), byte-level BPE (Qwen2/3)
 * and SentencePiece Unigram (T5, XLM-R). The session only ever calls
 * tr_tokenizer_encode; each kind lives in its own file.
 *
 * Text comes as a list of spans that are tokenized as ONE string (a template
 * segment such as "<Query>: {query}\n<Document>: {doc}" is its literal parts
 * and the caller's texts, never copied into one buffer). */
#ifndef TR_TOKENIZER_H
#define TR_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/fb_reader.h"
#include "tokenizer/bpe.h"
#include "tokenizer/unigram.h"
#include "tokenizer/vocab.h"
#include "tokenizer/wordpiece.h"

typedef struct tr_span {
    const char *ptr;
    size_t len;
} tr_span;

/* Flags of an added token (tinyrank.fbs AddedToken). */
enum {
    TR_ADDED_SPECIAL = 1u << 0,
    TR_ADDED_LSTRIP = 1u << 1,
    TR_ADDED_RSTRIP = 1u << 2,
    TR_ADDED_SINGLE_WORD = 1u << 3,
    TR_ADDED_NORMALIZED = 1u << 4
};

typedef struct tr_tokenizer {
    uint8_t kind; /* TR_TOKENIZER_* */
    tr_vocab vocab;
    int32_t unk_id, cls_id, sep_id, pad_id, eos_id, bos_id; /* -1: none */
    /* added tokens, verified: ids in range; decode entry i with
     * tr_tokenizer_added(t, i, &id, &flags) */
    tr_fb_table table; /* the Tokenizer table in the model */
    tr_fb_vec added;
    tr_wordpiece wordpiece; /* kind WORDPIECE */
    tr_bpe bpe;             /* kind BYTE_LEVEL_BPE */
    tr_unigram unigram;     /* kind UNIGRAM */
} tr_tokenizer;

/* Verifies the Tokenizer table `tk` of a model and fills *t (views into the
 * model bytes). TINYRANK_OK, TINYRANK_ERR_CORRUPT_MODEL or
 * TINYRANK_ERR_UNSUPPORTED, with a message in msg. */
int tr_tokenizer_load(tr_tokenizer *t, const tr_fb_table *tk, char *msg, size_t msglen);

/* Added token i of a loaded tokenizer (i < t->added.count). */
void tr_tokenizer_added(const tr_tokenizer *t, uint32_t i, int32_t *id, unsigned *flags);

/* Scratch bytes tr_tokenizer_encode needs (the session reserves them in its
 * arena; the tokenizer never allocates). */
size_t tr_tokenizer_scratch_bytes(const tr_tokenizer *t);

/* Encodes the concatenation of spans[0..n_spans) (no special tokens added).
 * Validates the WHOLE text as UTF-8 (TINYRANK_ERR_INVALID_UTF8). Writes at
 * most cap ids; *truncated tells whether more would have followed. */
int tr_tokenizer_encode(const tr_tokenizer *t, const tr_span *spans, size_t n_spans, void *scratch,
                        int32_t *ids, size_t cap, size_t *n_out, bool *truncated);

#endif
