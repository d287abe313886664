/* wordpiece.h - BERT tokenization (transformers v4.47.1 slow BertTokenizer:
 * PreTrainedTokenizer.tokenize + BasicTokenizer + WordpieceTokenizer) from
 * UTF-8 text to token ids, without heap and with bounded stack.
 *
 * Rules, in the reference's order (each one is applied the same way here):
 *  1. special tokens written in the text (the exact strings of special_ids,
 *     e.g. "[CLS]") are split off first and give their id;
 *  2. when lowercase: every other character is lowercased on its own
 *     (Python str.lower() of one character: full mapping, so U+0130 gives
 *     "i" + U+0307, and no final-sigma rule);
 *  3. cleaning: NUL, U+FFFD and control/format/unassigned characters are
 *     dropped, whitespace splits words;
 *  4. CJK ideographs become words of their own (split_chinese_chars);
 *  5. NFC of each word;
 *  6. a word equal to a special token string is kept as that token;
 *  7. lowercase again (a no-op after 2, kept for fidelity), then accent
 *     stripping (NFD, drop category Mn) when strip_accents;
 *  8. punctuation (P* and ASCII symbols) becomes one-character tokens;
 *  9. a token longer than max_chars_per_word code points is one unk;
 *     otherwise greedy longest-match-first WordPiece with `prefix` ("##")
 *     on continuations; a token that cannot be covered is one unk.
 *
 * Streaming: the text is never copied or normalized as a whole. Words are
 * processed as they are read, through small fixed buffers (one NFC segment,
 * one WordPiece token). Known limit: a run of more than TR_WP_SEG_CAP
 * combining marks after one base character is normalized in pieces when
 * accents are kept (with strip_accents the excess marks are dropped, which
 * is exact); Python would reorder the whole run. */
#ifndef TR_TOKENIZER_WORDPIECE_H
#define TR_TOKENIZER_WORDPIECE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenizer/vocab.h"

/* Largest max_chars_per_word supported (BERT models use 100). */
#define TR_WP_MAX_WORD_CHARS 128
/* Code points of one NFC segment (a starter and its combining marks). */
#define TR_WP_SEG_CAP 32
/* Longest special token (in code points) recognised by rule 6. */
#define TR_WP_MAX_SPECIAL_CHARS 24

typedef struct tr_wordpiece {
    tr_vocab vocab;
    bool lowercase;           /* do_lower_case */
    bool strip_accents;       /* the EFFECTIVE value: HF's strip_accents=None
                                 means "same as lowercase"; resolve it first */
    bool split_chinese_chars; /* tokenize_chinese_chars */
    int max_chars_per_word;   /* max_input_chars_per_word, 0..TR_WP_MAX_WORD_CHARS */
    const char *prefix;       /* continuing subword prefix, "##" */
    size_t prefix_len;
    int32_t unk_id;           /* id of [UNK], must be a valid id */
    const int32_t *special_ids; /* tokens recognised in the text (rules 1, 6) */
    size_t n_special;
} tr_wordpiece;

/* Checks a configuration once (e.g. at model load). TINYRANK_OK, or a
 * status with a static message in *msg (when msg is not NULL). */
int tr_wordpiece_validate(const tr_wordpiece *wp, const char **msg);

/* Encodes text (no [CLS]/[SEP] added). Validates the WHOLE text as UTF-8
 * first (TINYRANK_ERR_INVALID_UTF8, nothing written). Writes at most cap ids
 * and stops tokenizing once one more id would be produced (huge inputs stay
 * cheap); *n_out = ids written; *truncated = true when the text had more ids
 * than cap. Uses no heap and only bounded stack (< 4 KiB).
 * Errors: TINYRANK_ERR_INVALID_ARGUMENT (NULL pointers, text NULL with
 * len > 0, bad configuration), TINYRANK_ERR_UNSUPPORTED (max_chars_per_word
 * > TR_WP_MAX_WORD_CHARS), TINYRANK_ERR_INVALID_UTF8. */
int tr_wordpiece_encode(const tr_wordpiece *wp, const char *text, size_t len, int32_t *ids,
                        size_t cap, size_t *n_out, bool *truncated);

#endif
