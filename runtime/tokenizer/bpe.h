/* bpe.h - byte-level BPE (GPT-2 family; Qwen2, Qwen2.5, Qwen3), the
 * semantics of a Hugging Face tokenizer.json run by the Rust `tokenizers`
 * library: added tokens split off on the raw text first, then per piece NFC,
 * the Qwen2 Split pre-tokenizer (Isolated), the byte-level mapping, and BPE
 * merges by rank. The vocabulary holds each token's RAW bytes (the byte-level
 * alphabet decoded), so everything here works on bytes.
 *
 * Pipeline of tr_bpe_encode (spans tokenized as one string):
 *  1. the whole text is validated as UTF-8 (TINYRANK_ERR_INVALID_UTF8);
 *  2. added tokens (tinyrank.fbs AddedToken) are found leftmost-longest in
 *     the raw text (lstrip/rstrip eat Unicode White_Space next to them,
 *     single_word needs no letter, number or '_' on either side: an
 *     approximation of Rust's \w, see bpe.c) and give their id;
 *  3. each piece between them is NFC-normalized (bpe_nfc.h) and split by
 *     the Qwen2 pattern (bpe_pretokenize.h);
 *  4. each pre-token's bytes start as single-byte tokens and the adjacent
 *     pair of lowest merge rank (leftmost among equals) is merged until no
 *     pair has a merge: the order of Hugging Face's BPE::merge_word.
 *
 * Bounded memory: tr_bpe_scratch_bytes() (about 70 KB) for any input. A
 * pre-token longer than TR_BPE_MAX_WORD bytes (only in pathological text:
 * e.g. 4 KB without a space, digit or punctuation) is cut into chunks of at
 * most TR_BPE_MAX_WORD bytes at code point boundaries, each merged on its
 * own; ids of such a pre-token can differ from the reference, the rest of
 * the text is not affected. */
#ifndef TR_TOKENIZER_BPE_H
#define TR_TOKENIZER_BPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/fb_reader.h"
#include "tokenizer/vocab.h"

#define TR_BPE_MAX_WORD 4096

struct tr_tokenizer;
struct tr_span;

typedef struct tr_bpe {
    tr_vocab vocab;
    const int32_t *merges;       /* merge r joins merges[2r], merges[2r+1] */
    const int32_t *merge_ids;    /* merge r gives token merge_ids[r] */
    const uint32_t *merge_order; /* ranks sorted by (left, right) */
    uint32_t n_merges;
    const int32_t *byte_ids;     /* token of each single byte, 256 entries */
    uint8_t added_first[32];     /* bitset: first bytes of added tokens */
} tr_bpe;

/* Verifies the BpeTokenizer table `bt` against the vocabulary and the added
 * tokens of `t` (already loaded) and fills t->bpe. */
int tr_bpe_load(struct tr_tokenizer *t, const tr_fb_table *bt, char *msg, size_t msglen);

size_t tr_bpe_scratch_bytes(void);

int tr_bpe_encode(const struct tr_tokenizer *t, const struct tr_span *spans, size_t n_spans,
                  void *scratch, int32_t *ids, size_t cap, size_t *n_out, bool *truncated);

/* Rank of the merge of (left, right), or UINT32_MAX when there is none. */
uint32_t tr_bpe_merge_rank(const tr_bpe *b, int32_t left, int32_t right);

#endif
