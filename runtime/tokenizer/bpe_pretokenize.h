/* bpe_pretokenize.h - the Qwen2 pre-tokenizer: tokenizer.json's
 *   Split(Regex "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|
 *          ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+", Isolated)
 * as Oniguruma runs it (leftmost alternative that matches, with
 * backtracking), written out by hand over code points: no regex library.
 * The alternatives cover every character, so Isolated leaves no gaps and the
 * pre-tokens are exactly the successive matches.
 *
 * Input is the NFC stream of one piece of text (bpe_nfc.h); each pre-token's
 * UTF-8 bytes go to a sink. Classes: \p{L}, \p{N}, \s = regex_class.h;
 * (?i:...) folds case as Unicode does: 'S' and U+017F (long s) match 's'.
 *
 * A pre-token longer than TR_BPE_MAX_WORD bytes goes to the sink in chunks
 * (see bpe.h). */
#ifndef TR_TOKENIZER_BPE_PRETOKENIZE_H
#define TR_TOKENIZER_BPE_PRETOKENIZE_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer/bpe.h"
#include "tokenizer/bpe_nfc.h"

/* Returns nonzero to stop the whole run (output full). */
typedef int (*tr_pretok_sink)(void *ctx, const uint8_t *word, size_t len);

typedef struct tr_pretok {
    tr_nfc nfc;
    uint32_t la[4]; /* lookahead of normalized code points */
    size_t la_n;
    uint8_t word[TR_BPE_MAX_WORD];
    size_t len;
    tr_pretok_sink sink;
    void *ctx;
    int stopped;
} tr_pretok;

/* Pre-tokenizes text[pos..end) (valid UTF-8). Returns the sink's nonzero
 * value when it stopped the run, else 0. */
int tr_pretok_run(tr_pretok *p, tr_bpe_text *text, size_t pos, size_t end);

#endif
