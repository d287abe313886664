/* unigram.h - SentencePiece Unigram tokenization (T5), as transformers'
 * slow T5Tokenizer (v4.47.1, legacy) does it on top of sentencepiece 0.1.97:
 *
 *  1. added tokens (<extra_id_N>, </s>, <pad>, <unk>) are split off the RAW
 *     text first, leftmost match, longest first at one position
 *     (transformers' Trie.split); an added token with lstrip/rstrip eats the
 *     Python whitespace (str.isspace) on that side of it; `normalized`
 *     added tokens are matched on the raw text too;
 *  2. each text chunk between them is encoded on its own (sp.encode):
 *     normalization by the precompiled charsmap (longest key first), leading
 *     and trailing spaces dropped and runs of spaces collapsed
 *     (remove_extra_whitespaces), a "▁" in front (add_dummy_prefix), spaces
 *     written as "▁";
 *  3. Viterbi best segmentation over NORMAL pieces by score, exactly as
 *     sentencepiece's Model::EncodeOptimized: positions in increasing order,
 *     pieces from shortest to longest, a candidate replaces the best so far
 *     only when strictly greater, the sum computed in double and STORED AS
 *     FLOAT (this decides exact ties the way the reference does); a character
 *     that no piece of exactly its length starts gets the unknown candidate
 *     (min NORMAL score - 10, summed in float);
 *  4. consecutive unknowns of a chunk become one <unk>.
 *
 * Memory: no heap. Because no NORMAL piece holds "▁" after its first byte
 * (checked at load), every segmentation breaks before each "▁", so the
 * Viterbi runs one word (a "▁" and what follows up to the next one) at a
 * time, carrying the float score of the path so far: the result equals the
 * whole-string Viterbi. A word is held in scratch of TR_UNIGRAM_MAX_WORD
 * bytes (after normalization). Documented limit: a longer word (no space
 * for 4096 bytes, e.g. a long run of CJK text) is segmented in consecutive
 * windows of at most that many bytes, cut at a character boundary; ids near
 * each cut may then differ from the reference.
 *
 * HF_TOKENIZERS semantics (XLM-R; the Rust `tokenizers` library on
 * tokenizer.json): added tokens split off with their own flags; per chunk,
 * the charsmap as Rust's Precompiled applies it (per extended grapheme
 * cluster, tokenizer/grapheme.c: a cluster under 6 bytes is replaced whole
 * by the value of its SHORTEST matching key, otherwise each character by
 * its own), then runs of spaces collapsed (collapse_spaces), NO trimming,
 * spaces written "▁" and a "▁" in front unless the text starts with one
 * (Metaspace); each word is segmented on its own from score 0 with the
 * double scores (scores_f64) and the sum kept in double. Bounds: a cluster
 * of more than 32 code points is cut there; Extended_Pictographic is
 * approximated by blocks (gen_grapheme_tables.py).
 *
 * Spans: the concatenation of the spans is one text (an added token or a
 * character may straddle spans); it is validated as UTF-8 as a whole before
 * any id is produced. */
#ifndef TR_TOKENIZER_UNIGRAM_H
#define TR_TOKENIZER_UNIGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/fb_reader.h"
#include "tokenizer/charsmap.h"
#include "tokenizer/vocab.h"

/* Bytes of normalized text segmented at once (see the limit above). */
#define TR_UNIGRAM_MAX_WORD 4096

/* sentencepiece ModelProto.SentencePiece.Type */
enum {
    TR_PIECE_NORMAL = 1,
    TR_PIECE_UNKNOWN = 2,
    TR_PIECE_CONTROL = 3,
    TR_PIECE_USER_DEFINED = 4,
    TR_PIECE_UNUSED = 5,
    TR_PIECE_BYTE = 6
};

typedef struct tr_unigram {
    tr_vocab vocab;
    const uint8_t *scores; /* vocab.n little-endian floats (any alignment) */
    const uint8_t *types;  /* vocab.n TR_PIECE_* */
    tr_charsmap charsmap;
    bool add_dummy_prefix, remove_extra_whitespaces;
    bool hf;                 /* HF_TOKENIZERS semantics (see above) */
    bool collapse_spaces;    /* hf: runs of spaces become one */
    const uint8_t *scores64; /* hf: vocab.n little-endian doubles, or NULL */
    int32_t unk_id;
    float unk_score;         /* min NORMAL score - 10 (float, sentencepiece) */
    double unk_score64;      /* the same in double (hf) */
    uint8_t added_first[32]; /* bitmap of the first bytes of added tokens */
} tr_unigram;

struct tr_tokenizer;
struct tr_span;

/* Verifies the UnigramTokenizer table `ut` of a tokenizer whose shared part
 * (vocabulary, unk_id, added tokens) is loaded, and fills t->unigram.
 * TINYRANK_ERR_CORRUPT_MODEL for malformed data, TINYRANK_ERR_UNSUPPORTED
 * for sentencepiece features this runtime does not implement (user-defined
 * or byte pieces, a "▁" inside a piece, single_word added tokens). */
int tr_unigram_load(struct tr_tokenizer *t, const tr_fb_table *ut, char *msg, size_t msglen);

/* Scratch tr_unigram_encode needs: 21 bytes per byte of the longest word
 * and a 2 KB first-byte index, about 88 KB. */
size_t tr_unigram_scratch_bytes(void);

/* Encodes spans[0..n_spans) as one text (see the rules above). The
 * tokenizer's added tokens come from t; t->unigram must be loaded. */
int tr_unigram_encode(const struct tr_tokenizer *t, const struct tr_span *spans, size_t n_spans,
                      void *scratch, int32_t *ids, size_t cap, size_t *n_out, bool *truncated);

#endif
