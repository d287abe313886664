/* vocab.h - read-only view of a WordPiece vocabulary as stored in the model
 * file (Tokenizer table of tinyrank.fbs), used in place. */
#ifndef TR_TOKENIZER_VOCAB_H
#define TR_TOKENIZER_VOCAB_H

#include <stddef.h>
#include <stdint.h>

/* Token i is bytes[offsets[i] .. offsets[i+1]); sorted_ids lists all n ids
 * ordered by their bytes (memcmp order, a prefix before its extensions),
 * equal strings by ascending id. */
typedef struct tr_vocab {
    const uint8_t *bytes;
    const uint32_t *offsets; /* n + 1 entries */
    const uint32_t *sorted_ids;
    uint32_t n;
} tr_vocab;

/* Id of the token s[0..len), -1 when absent. When the vocabulary holds the
 * same string twice, the highest id wins, as in transformers' load_vocab
 * (a dict filled line by line). */
int32_t tr_vocab_find(const tr_vocab *v, const char *s, size_t len);

/* Same for the concatenation prefix[0..plen) + s[0..len), without copying
 * (for WordPiece continuations "##..."). */
int32_t tr_vocab_find2(const tr_vocab *v, const char *prefix, size_t plen, const char *s, size_t len);

/* Token text of id (not NUL-terminated); NULL when id is out of range. */
const uint8_t *tr_vocab_token(const tr_vocab *v, uint32_t id, size_t *len);

#endif
