/* bpe_text.c - see bpe_text.h. */
#include "tokenizer/bpe_text.h"

#include "tokenizer/utf8.h"

void tr_bpe_text_init(tr_bpe_text *t, const tr_span *spans, size_t n_spans)
{
    t->spans = spans;
    t->n_spans = n_spans;
    t->total = 0;
    for (size_t i = 0; i < n_spans; i++)
        t->total += spans[i].len;
    t->cur = 0;
    t->cur_start = 0;
}

uint8_t tr_bpe_text_byte(tr_bpe_text *t, size_t g)
{
    while (g < t->cur_start && t->cur > 0) {
        t->cur--;
        t->cur_start -= t->spans[t->cur].len;
    }
    while (t->cur < t->n_spans && g >= t->cur_start + t->spans[t->cur].len) {
        t->cur_start += t->spans[t->cur].len;
        t->cur++;
    }
    if (t->cur >= t->n_spans) /* callers stay below total: never reached */
        return 0;
    return (uint8_t)t->spans[t->cur].ptr[g - t->cur_start];
}

size_t tr_bpe_text_cp(tr_bpe_text *t, size_t g, size_t end, uint32_t *cp)
{
    uint8_t b[4];
    size_t n = end - g < 4 ? end - g : 4;
    b[0] = tr_bpe_text_byte(t, g);
    if (b[0] < 0x80) {
        *cp = b[0];
        return 1;
    }
    for (size_t i = 1; i < n; i++)
        b[i] = tr_bpe_text_byte(t, g + i);
    return tr_utf8_decode(b, n, cp);
}
