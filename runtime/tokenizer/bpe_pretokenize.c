/* bpe_pretokenize.c - see bpe_pretokenize.h. Each alternative of the pattern
 * is one branch below, tried in the pattern's order. */
#include "tokenizer/bpe_pretokenize.h"

#include <string.h>

#include "tokenizer/regex_class.h"
#include "tokenizer/utf8.h"

#define END 0xFFFFFFFFu /* past the end of the piece */

static uint32_t peek(tr_pretok *p, size_t k)
{
    while (p->la_n <= k) {
        uint32_t cp;
        if (!tr_nfc_next(&p->nfc, &cp))
            return END;
        p->la[p->la_n++] = cp;
    }
    return p->la[k];
}

static int cls(uint32_t cp)
{
    return cp == END ? -1 : tr_regex_class(cp);
}

static bool is_letter(uint32_t cp) { return cls(cp) == TR_RX_LETTER; }
static bool is_space(uint32_t cp) { return cls(cp) == TR_RX_SPACE; }
/* [^\s\p{L}\p{N}] */
static bool is_other(uint32_t cp) { return cls(cp) == TR_RX_OTHER; }
static bool is_crlf(uint32_t cp) { return cp == '\r' || cp == '\n'; }

/* Sends word[0..n) to the sink and keeps the bytes after it. */
static void emit(tr_pretok *p, size_t n)
{
    if (n == 0 || p->stopped)
        return;
    p->stopped = p->sink(p->ctx, p->word, n);
    memmove(p->word, p->word + n, p->len - n);
    p->len -= n;
}

/* Moves the next code point into the word (a full buffer is sent as a
 * chunk first: the documented bound of bpe.h). */
static void take(tr_pretok *p)
{
    uint32_t cp = p->la[0];
    p->la_n--;
    memmove(p->la, p->la + 1, p->la_n * sizeof p->la[0]);
    if (p->stopped) /* output full: the rest of the text is not needed */
        return;
    uint8_t b[4];
    size_t n = tr_utf8_encode(cp, b);
    if (p->len + n > sizeof p->word)
        emit(p, p->len);
    memcpy(p->word + p->len, b, n);
    p->len += n;
}

static void take_while(tr_pretok *p, bool (*pred)(uint32_t))
{
    while (!p->stopped && pred(peek(p, 0)))
        take(p);
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d): length in code points, 0 when none. */
static size_t contraction(tr_pretok *p)
{
    uint32_t a = peek(p, 1);
    if (a == 0x17F) /* LATIN SMALL LETTER LONG S case-folds to 's' */
        return 2;
    if (a >= 0x80)
        return 0;
    a |= 0x20;
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return 2;
    uint32_t b = peek(p, 2);
    b = b < 0x80 ? (b | 0x20) : 0;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
        return 3;
    return 0;
}

/* The last whitespace character c of a run, already in the word, followed by
 * x = peek(0): the pattern restarts at c. */
static void after_last_space(tr_pretok *p, uint32_t c)
{
    uint32_t x = peek(p, 0);
    if (!is_crlf(c) && is_letter(x)) { /* [^\r\n\p{L}\p{N}]?\p{L}+ */
        take_while(p, is_letter);
    } else if (c == ' ' && is_other(x)) { /*  ?[^\s\p{L}\p{N}]+[\r\n]* */
        take_while(p, is_other);
        take_while(p, is_crlf);
    } /* else \s+ : c alone */
    emit(p, p->len);
}

/* \s*[\r\n]+ | \s+(?!\S) | \s+ from a whitespace character that no earlier
 * alternative matched. */
static void space_run(tr_pretok *p)
{
    size_t nl_end = 0;     /* word bytes up to and including the last CR/LF */
    size_t last_start = 0; /* start of the last character of the run */
    while (!p->stopped && is_space(peek(p, 0))) {
        uint32_t c = peek(p, 0);
        size_t before = p->len;
        take(p);
        if (p->len < before) { /* a chunk was sent (bound): offsets restart */
            nl_end = 0;
            before = 0;
        }
        last_start = before;
        if (is_crlf(c))
            nl_end = p->len;
    }
    if (p->stopped)
        return;
    /* \s*[\r\n]+ matches up to the last CR/LF of the run */
    emit(p, nl_end);
    if (p->len == 0 || p->stopped)
        return;
    last_start -= nl_end;
    if (peek(p, 0) == END) { /* \s+(?!\S) takes all at the end */
        emit(p, p->len);
        return;
    }
    /* \s+(?!\S) leaves the last character for the next match */
    emit(p, last_start);
    if (p->stopped)
        return;
    uint32_t c;
    tr_utf8_decode(p->word, p->len, &c);
    after_last_space(p, c);
}

int tr_pretok_run(tr_pretok *p, tr_bpe_text *text, size_t pos, size_t end)
{
    tr_nfc_start(&p->nfc, text, pos, end);
    p->la_n = 0;
    p->len = 0;
    p->stopped = 0;
    uint32_t c;
    while (!p->stopped && (c = peek(p, 0)) != END) {
        int k = cls(c);
        size_t n;
        if (c == '\'' && (n = contraction(p)) > 0) {
            while (n-- > 0)
                take(p);
        } else if (k == TR_RX_LETTER) {
            take_while(p, is_letter);
        } else if (!is_crlf(c) && k != TR_RX_NUMBER && is_letter(peek(p, 1))) {
            take(p);
            take_while(p, is_letter);
        } else if (k == TR_RX_NUMBER) {
            take(p);
        } else if (k == TR_RX_OTHER || (c == ' ' && is_other(peek(p, 1)))) {
            if (c == ' ')
                take(p);
            take_while(p, is_other);
            take_while(p, is_crlf);
        } else {
            space_run(p);
            continue;
        }
        emit(p, p->len);
    }
    return p->stopped;
}
