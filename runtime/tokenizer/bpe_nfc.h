/* bpe_nfc.h - streaming NFC (Unicode canonical composition, UAX #15) of a
 * range of text, one code point at a time, in bounded memory: tokenizer.json
 * "NFC" normalizer of byte-level BPE tokenizers (Qwen2/3).
 *
 * Text is decomposed (canonical, tr_uc_decompose), each run of non-starters
 * after a starter is put in canonical order (stable by combining class) and
 * composed into the starter where not blocked; a starter may also compose
 * with the next starter (Hangul LV + T, a few Indic vowel signs).
 *
 * Bound (documented divergence): a run of more than TR_NFC_MAX_MARKS
 * non-starters after one starter (only in "Zalgo" text; Unicode's Stream-Safe
 * format allows 30) is cut there: the marks collected so far are ordered,
 * composed and emitted, and the rest is ordered and composed on its own, as
 * if a new segment started. Within the bound the result is exact NFC. */
#ifndef TR_TOKENIZER_BPE_NFC_H
#define TR_TOKENIZER_BPE_NFC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenizer/bpe_text.h"

#define TR_NFC_MAX_MARKS 32

typedef struct tr_nfc {
    tr_bpe_text *text;
    size_t pos, end;
    bool has_starter, done;
    uint32_t starter;
    uint32_t marks[TR_NFC_MAX_MARKS];
    size_t n_marks;
    /* ready code points: one source code point decomposes into at most 4,
     * each of which can complete one segment (starter + marks) */
    uint32_t out[4 * (TR_NFC_MAX_MARKS + 1)];
    size_t out_head, out_n;
} tr_nfc;

/* Starts normalizing text[pos..end) (valid UTF-8, already checked). */
void tr_nfc_start(tr_nfc *n, tr_bpe_text *text, size_t pos, size_t end);

/* Next normalized code point; false at the end of the range. */
bool tr_nfc_next(tr_nfc *n, uint32_t *cp);

#endif
