/* pair.h - BERT pair input: [CLS] a [SEP] b [SEP], token type ids 0 for
 * [CLS] a [SEP] and 1 for b [SEP], shortened to max_length exactly as
 * transformers v4.47.1's slow tokenizers (truncate_sequences, truncation
 * side "right"):
 *   ONLY_SECOND    removes the excess from the end of b;
 *   LONGEST_FIRST  first shortens the longer text down to the other one,
 *                  then shares the rest; an odd token is kept by a (the
 *                  slow tokenizer's rule; the Rust tokenizers differ).
 * Deviation, on purpose: when ONLY_SECOND cannot fit because a alone is too
 * long (b would have to become empty or less), Hugging Face logs an error
 * and returns a sequence LONGER than max_length. The runtime never exceeds
 * max_length: it falls back to LONGEST_FIRST there. */
#ifndef TR_TOKENIZER_PAIR_H
#define TR_TOKENIZER_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { TR_PAIR_ONLY_SECOND = 0, TR_PAIR_LONGEST_FIRST = 1 };

/* Number of tokens of a and b kept for a sequence of at most max_length
 * tokens, n_special of which are added ([CLS], [SEP], [SEP]: 3).
 * TINYRANK_ERR_INVALID_ARGUMENT when max_length < n_special, a bad
 * strategy or NULL outputs. */
int tr_pair_truncate(size_t len_a, size_t len_b, size_t max_length, size_t n_special, int strategy,
                     size_t *keep_a, size_t *keep_b);

/* Builds the pair sequence from the outputs of tr_wordpiece_encode for each
 * text, both encoded with cap >= max_length: a side that reported
 * truncated=true is longer than max_length, which is all the truncation
 * rules need to know about it (its exact length never changes the result,
 * see pair.c). ids and type_ids hold max_length entries; *n_out gets the
 * length. */
int tr_pair_build(const int32_t *a, size_t len_a, bool a_truncated, const int32_t *b, size_t len_b,
                  bool b_truncated, int32_t cls_id, int32_t sep_id, size_t max_length, int strategy,
                  int32_t *ids, int32_t *type_ids, size_t *n_out);

#endif
