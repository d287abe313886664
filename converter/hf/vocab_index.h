/* vocab_index.h - host side: builds the vocabulary arrays the model file
 * stores (Tokenizer.token_bytes / token_offsets / sorted_ids) from token
 * strings, and reads a BERT vocab.txt. Allocates with malloc. */
#ifndef TR_HF_VOCAB_INDEX_H
#define TR_HF_VOCAB_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer/vocab.h"

typedef struct tr_vocab_index {
    uint8_t *bytes;        /* all tokens back to back */
    size_t bytes_len;
    uint32_t *offsets;     /* n + 1 entries */
    uint32_t *sorted_ids;  /* n ids in memcmp order of their bytes, ties by id */
    uint32_t n;
} tr_vocab_index;

/* Builds the arrays from n tokens (tokens[i] has lens[i] bytes, may hold
 * NUL). Every token must be valid UTF-8. Returns a TINYRANK_* status; on
 * failure err holds one line and *out is empty. */
int tr_vocab_index_build(const char *const *tokens, const size_t *lens, uint32_t n, tr_vocab_index *out,
                         char *err, size_t errlen);

/* Same without the UTF-8 check: byte-level BPE vocabularies hold raw bytes
 * (a token may be part of a UTF-8 sequence). */
int tr_vocab_index_build_bytes(const char *const *tokens, const size_t *lens, uint32_t n,
                               tr_vocab_index *out, char *err, size_t errlen);

/* Parses the text of a vocab.txt the way transformers' load_vocab reads it:
 * a text-mode file, so "\r\n" and a lone "\r" also end lines (universal
 * newlines), then each line loses its "\n" only; token id = line number - 1;
 * a final line break does not start an empty token; other whitespace and a
 * BOM are kept. Invalid UTF-8 -> TINYRANK_ERR_INVALID_UTF8. */
int tr_vocab_index_parse_txt(const char *data, size_t len, tr_vocab_index *out, char *err, size_t errlen);

/* Reads and parses a vocab.txt file (TINYRANK_ERR_IO when unreadable). */
int tr_vocab_index_read_txt(const char *path, tr_vocab_index *out, char *err, size_t errlen);

/* A tr_vocab view of the index (valid while the index lives). */
tr_vocab tr_vocab_index_view(const tr_vocab_index *index);

void tr_vocab_index_free(tr_vocab_index *index);

#endif
