/* bpe_text.h - byte access to a list of spans seen as ONE string (the byte-
 * level BPE tokenizer reads template literals and caller texts in place,
 * never copied together). Positions are global byte offsets. Access is
 * mostly sequential, so the span of the last access is cached. */
#ifndef TR_TOKENIZER_BPE_TEXT_H
#define TR_TOKENIZER_BPE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer/tokenizer.h"

typedef struct tr_bpe_text {
    const tr_span *spans;
    size_t n_spans;
    size_t total;     /* bytes of all spans */
    size_t cur;       /* span of the last access */
    size_t cur_start; /* its global offset */
} tr_bpe_text;

void tr_bpe_text_init(tr_bpe_text *t, const tr_span *spans, size_t n_spans);

/* Byte at global offset g (< t->total). */
uint8_t tr_bpe_text_byte(tr_bpe_text *t, size_t g);

/* Decodes the code point at g, which must be below end <= total; a code
 * point may straddle spans. Returns its byte length (1..4) or 0 when the
 * bytes there are not valid UTF-8. */
size_t tr_bpe_text_cp(tr_bpe_text *t, size_t g, size_t end, uint32_t *cp);

#endif
