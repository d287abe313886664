/* wordpiece.c - streaming BERT tokenizer (see wordpiece.h for the rules).
 *
 * Pipeline, one code point at a time:
 *   raw text --(special token match)--> raw_cp: lowercase, clean, CJK
 *   --> nfc_push: canonical decomposition + NFC composition per segment
 *   --> hold_push: delays the first characters of a word to see whether
 *       the whole word is a special token (BasicTokenizer's never_split)
 *   --> norm_cp: lowercase again, strip accents
 *   --> piece_cp: punctuation split, WordPiece token buffer
 *   --> wordpiece(): greedy longest match, ids out.
 * Word boundaries (whitespace, CJK, special tokens, end of text) flush the
 * stages in order. Why per word is exact: the reference normalizes the whole
 * text with NFC, but spaces never compose with anything, so NFC of the text
 * equals NFC of each word. */
#include "tokenizer/wordpiece.h"

#include <string.h>

#include "tinyrank.h"
#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"

typedef struct wp_state {
    const tr_wordpiece *wp;
    int32_t *ids;
    size_t cap;
    size_t n;
    bool stop;      /* one id more than cap was produced: stop everything */
    size_t max_special_chars;

    uint32_t seg[TR_WP_SEG_CAP]; /* decomposed NFC segment, starter first */
    size_t nseg;

    uint32_t hold[TR_WP_MAX_SPECIAL_CHARS]; /* start of the current word */
    size_t nhold;
    bool hold_passed; /* the word is longer than every special token */

    uint8_t tok[TR_WP_MAX_WORD_CHARS * 4]; /* current token, UTF-8 */
    uint16_t tok_off[TR_WP_MAX_WORD_CHARS + 1]; /* byte offset of each char */
    size_t tok_chars;
    bool tok_long; /* more than max_chars_per_word chars */
} wp_state;

static void emit(wp_state *st, int32_t id)
{
    if (st->stop)
        return;
    if (st->n < st->cap) {
        st->ids[st->n++] = id;
        return;
    }
    st->stop = true;
}

/* ---- WordPiece on the finished token */

static void wordpiece(wp_state *st)
{
    const tr_wordpiece *wp = st->wp;
    size_t nchars = st->tok_chars;
    if (st->tok_long) {
        emit(st, wp->unk_id);
        return;
    }
    if (nchars == 0)
        return;
    /* All or nothing: a token that cannot be covered is a single unk, so
     * the pieces are collected before any is emitted. */
    int32_t pieces[TR_WP_MAX_WORD_CHARS];
    size_t npieces = 0;
    size_t start = 0;
    while (start < nchars) {
        int32_t id = -1;
        size_t end = nchars;
        for (; end > start; end--) {
            const char *s = (const char *)st->tok + st->tok_off[start];
            size_t len = (size_t)(st->tok_off[end] - st->tok_off[start]);
            id = start == 0 ? tr_vocab_find(&wp->vocab, s, len)
                            : tr_vocab_find2(&wp->vocab, wp->prefix, wp->prefix_len, s, len);
            if (id >= 0)
                break;
        }
        if (id < 0) {
            emit(st, wp->unk_id);
            return;
        }
        pieces[npieces++] = id;
        start = end;
    }
    for (size_t i = 0; i < npieces; i++)
        emit(st, pieces[i]);
}

static void token_end(wp_state *st)
{
    wordpiece(st);
    st->tok_chars = 0;
    st->tok_long = false;
}

static void token_push(wp_state *st, uint32_t cp)
{
    if (st->tok_long)
        return;
    if (st->tok_chars >= (size_t)st->wp->max_chars_per_word) {
        st->tok_long = true;
        return;
    }
    size_t at = st->tok_off[st->tok_chars];
    size_t k = tr_utf8_encode(cp, st->tok + at);
    st->tok_chars++;
    st->tok_off[st->tok_chars] = (uint16_t)(at + k);
}

/* After normalization: punctuation is a token of its own. */
static void piece_cp(wp_state *st, uint32_t cp)
{
    int cls = tr_uc_class(cp);
    if (cls == TR_UC_PUNCT) {
        token_end(st);
        token_push(st, cp);
        token_end(st);
    } else if (cls == TR_UC_SPACE) {
        /* Not produced by the stages before; the reference would split. */
        token_end(st);
    } else {
        token_push(st, cp);
    }
}

/* BasicTokenizer per word: lower(), then NFD and dropping Mn. */
static void norm_cp(wp_state *st, uint32_t cp)
{
    const tr_wordpiece *wp = st->wp;
    uint32_t low[TR_UC_MAX_LOWER];
    size_t nlow = 1;
    low[0] = cp;
    if (wp->lowercase)
        nlow = tr_uc_lower(cp, low);
    for (size_t i = 0; i < nlow; i++) {
        if (!wp->strip_accents) {
            piece_cp(st, low[i]);
            continue;
        }
        /* NFD would also reorder marks, but the input is NFC (canonically
         * ordered) and only Mn marks are out of place after lower(); those
         * are dropped here anyway. */
        uint32_t d[TR_UC_MAX_DECOMP];
        size_t nd = tr_uc_decompose(low[i], d);
        for (size_t j = 0; j < nd; j++)
            if (!tr_uc_is_mn(d[j]))
                piece_cp(st, d[j]);
    }
}

/* ---- never_split: is the whole (NFC) word a special token? */

static void hold_drain(wp_state *st)
{
    for (size_t i = 0; i < st->nhold; i++)
        norm_cp(st, st->hold[i]);
    st->nhold = 0;
}

static void hold_push(wp_state *st, uint32_t cp)
{
    if (!st->hold_passed) {
        if (st->nhold < st->max_special_chars) {
            st->hold[st->nhold++] = cp;
            return;
        }
        hold_drain(st);
        st->hold_passed = true;
    }
    norm_cp(st, cp);
}

/* Id of the special token whose text is exactly the held word, or -1. */
static int32_t hold_special(const wp_state *st)
{
    const tr_wordpiece *wp = st->wp;
    for (size_t s = 0; s < wp->n_special; s++) {
        size_t len;
        const uint8_t *t = tr_vocab_token(&wp->vocab, (uint32_t)wp->special_ids[s], &len);
        size_t pos = 0, i = 0;
        for (; i < st->nhold; i++) {
            uint8_t buf[4];
            size_t k = tr_utf8_encode(st->hold[i], buf);
            if (pos + k > len || memcmp(t + pos, buf, k) != 0)
                break;
            pos += k;
        }
        if (i == st->nhold && pos == len)
            return wp->special_ids[s];
    }
    return -1;
}

/* ---- NFC, one segment (starter + non-starters) at a time */

static void seg_compose(wp_state *st)
{
    uint32_t *seg = st->seg;
    size_t n = st->nseg;
    /* Canonical ordering: stable insertion sort of the non-starters. */
    size_t first = tr_uc_ccc(seg[0]) == 0 ? 1 : 0;
    for (size_t i = first + 1; i < n; i++) {
        uint32_t c = seg[i];
        uint8_t cc = tr_uc_ccc(c);
        size_t j = i;
        while (j > first && tr_uc_ccc(seg[j - 1]) > cc) {
            seg[j] = seg[j - 1];
            j--;
        }
        seg[j] = c;
    }
    if (first == 0)
        return; /* no starter to compose with */
    size_t out = 1;
    uint8_t last_cc = 0;
    for (size_t i = 1; i < n; i++) {
        uint32_t c = seg[i];
        uint8_t cc = tr_uc_ccc(c);
        /* c is blocked when a kept mark before it has a class >= its own. */
        bool blocked = out > 1 && last_cc >= cc;
        uint32_t comp = blocked ? 0 : tr_uc_compose(seg[0], c);
        if (comp != 0) {
            seg[0] = comp;
        } else {
            seg[out++] = c;
            last_cc = cc;
        }
    }
    st->nseg = out;
}

static void seg_flush(wp_state *st)
{
    if (st->nseg == 0)
        return;
    seg_compose(st);
    for (size_t i = 0; i < st->nseg; i++)
        hold_push(st, st->seg[i]);
    st->nseg = 0;
}

/* One code point of the decomposed stream. */
static void nfc_push(wp_state *st, uint32_t d)
{
    uint8_t cc = tr_uc_ccc(d);
    if (cc == 0) {
        if (st->nseg > 0) {
            seg_compose(st);
            /* Two starters compose only when adjacent (Hangul LV + T,
             * some Indic vowel signs). */
            if (st->nseg == 1 && tr_uc_ccc(st->seg[0]) == 0) {
                uint32_t comp = tr_uc_compose(st->seg[0], d);
                if (comp != 0) {
                    st->seg[0] = comp;
                    return;
                }
            }
            seg_flush(st);
        }
        st->seg[0] = d;
        st->nseg = 1;
        return;
    }
    if (st->nseg == TR_WP_SEG_CAP) {
        /* Overlong run of marks. With accent stripping a Mn mark only ever
         * vanishes (NFD(NFC(x)) = NFD(x)), so dropping it now is exact;
         * otherwise normalize the run in pieces (documented limit). */
        if (st->wp->strip_accents && tr_uc_is_mn(d))
            return;
        seg_flush(st);
    }
    st->seg[st->nseg++] = d;
}

/* ---- word boundaries and raw characters */

static void word_end(wp_state *st)
{
    seg_flush(st);
    if (!st->hold_passed && st->nhold > 0) {
        int32_t id = hold_special(st);
        if (id >= 0) {
            st->nhold = 0;
            emit(st, id);
        } else {
            hold_drain(st);
        }
    }
    st->nhold = 0;
    st->hold_passed = false;
    token_end(st);
}

static void feed_decomposed(wp_state *st, uint32_t cp)
{
    uint32_t d[TR_UC_MAX_DECOMP];
    size_t nd = tr_uc_decompose(cp, d);
    for (size_t i = 0; i < nd; i++)
        nfc_push(st, d[i]);
}

static void raw_cp(wp_state *st, uint32_t cp)
{
    const tr_wordpiece *wp = st->wp;
    uint32_t low[TR_UC_MAX_LOWER];
    size_t nlow = 1;
    low[0] = cp;
    if (wp->lowercase)
        nlow = tr_uc_lower(cp, low);
    for (size_t i = 0; i < nlow; i++) {
        uint32_t c = low[i];
        int cls = tr_uc_class(c);
        if (cls == TR_UC_DROP)
            continue;
        if (cls == TR_UC_SPACE) {
            word_end(st);
        } else if (wp->split_chinese_chars && tr_uc_is_cjk(c)) {
            word_end(st);
            feed_decomposed(st, c);
            word_end(st);
        } else {
            feed_decomposed(st, c);
        }
    }
}

/* Longest special token starting at text[pos] (leftmost-longest, as
 * transformers' Trie.split); its index or -1. */
static long match_special(const tr_wordpiece *wp, const char *text, size_t len, size_t pos,
                          size_t *mlen)
{
    long best = -1;
    size_t best_len = 0;
    for (size_t s = 0; s < wp->n_special; s++) {
        size_t tlen;
        const uint8_t *t = tr_vocab_token(&wp->vocab, (uint32_t)wp->special_ids[s], &tlen);
        if (tlen == 0 || tlen > len - pos || tlen <= best_len)
            continue;
        if ((uint8_t)text[pos] == t[0] && memcmp(text + pos, t, tlen) == 0) {
            best = (long)s;
            best_len = tlen;
        }
    }
    *mlen = best_len;
    return best;
}

int tr_wordpiece_validate(const tr_wordpiece *wp, const char **msg)
{
    const char *m = NULL;
    int rc = TINYRANK_OK;
    if (!wp) {
        m = "wordpiece: NULL configuration";
        rc = TINYRANK_ERR_INVALID_ARGUMENT;
    } else if (!wp->vocab.bytes || !wp->vocab.offsets || !wp->vocab.sorted_ids || wp->vocab.n == 0) {
        m = "wordpiece: empty vocabulary";
        rc = TINYRANK_ERR_INVALID_ARGUMENT;
    } else if (wp->max_chars_per_word < 0) {
        m = "wordpiece: negative max_chars_per_word";
        rc = TINYRANK_ERR_INVALID_ARGUMENT;
    } else if (wp->max_chars_per_word > TR_WP_MAX_WORD_CHARS) {
        m = "wordpiece: max_chars_per_word above 128 is not supported by this build";
        rc = TINYRANK_ERR_UNSUPPORTED;
    } else if (wp->unk_id < 0 || (uint32_t)wp->unk_id >= wp->vocab.n) {
        m = "wordpiece: unk id missing or out of range";
        rc = TINYRANK_ERR_INVALID_ARGUMENT;
    } else if (wp->prefix_len > 0 && !wp->prefix) {
        m = "wordpiece: NULL continuation prefix";
        rc = TINYRANK_ERR_INVALID_ARGUMENT;
    } else if (wp->n_special > 0 && !wp->special_ids) {
        m = "wordpiece: NULL special ids";
        rc = TINYRANK_ERR_INVALID_ARGUMENT;
    } else {
        for (size_t s = 0; s < wp->n_special; s++) {
            if (wp->special_ids[s] < 0 || (uint32_t)wp->special_ids[s] >= wp->vocab.n) {
                m = "wordpiece: special token id out of range";
                rc = TINYRANK_ERR_INVALID_ARGUMENT;
                break;
            }
        }
    }
    if (msg)
        *msg = m ? m : "";
    return rc;
}

int tr_wordpiece_encode(const tr_wordpiece *wp, const char *text, size_t len, int32_t *ids,
                        size_t cap, size_t *n_out, bool *truncated)
{
    if (n_out)
        *n_out = 0;
    if (truncated)
        *truncated = false;
    if (!n_out || !truncated || (!text && len > 0) || (!ids && cap > 0))
        return TINYRANK_ERR_INVALID_ARGUMENT;
    int rc = tr_wordpiece_validate(wp, NULL);
    if (rc != TINYRANK_OK)
        return rc;
    rc = tr_utf8_validate(text, len, NULL);
    if (rc != TINYRANK_OK)
        return rc;

    wp_state st;
    st.wp = wp;
    st.ids = ids;
    st.cap = cap;
    st.n = 0;
    st.stop = false;
    st.nseg = 0;
    st.nhold = 0;
    st.hold_passed = false;
    st.tok_chars = 0;
    st.tok_long = false;
    st.tok_off[0] = 0;
    /* Rule 6 needs to look at most this many characters ahead. */
    st.max_special_chars = 0;
    for (size_t s = 0; s < wp->n_special; s++) {
        size_t tlen, chars = 0;
        const uint8_t *t = tr_vocab_token(&wp->vocab, (uint32_t)wp->special_ids[s], &tlen);
        for (size_t i = 0; i < tlen; i++)
            chars += (t[i] & 0xC0) != 0x80;
        if (chars <= TR_WP_MAX_SPECIAL_CHARS && chars > st.max_special_chars)
            st.max_special_chars = chars;
    }

    const uint8_t *p = (const uint8_t *)text;
    size_t pos = 0;
    while (pos < len && !st.stop) {
        size_t mlen;
        long s = wp->n_special ? match_special(wp, text, len, pos, &mlen) : -1;
        if (s >= 0) {
            word_end(&st);
            emit(&st, wp->special_ids[s]);
            pos += mlen;
            continue;
        }
        uint32_t cp;
        size_t k = tr_utf8_decode(p + pos, len - pos, &cp);
        if (k == 0)
            return TINYRANK_ERR_INTERNAL; /* validated above: cannot happen */
        pos += k;
        raw_cp(&st, cp);
    }
    if (!st.stop)
        word_end(&st);
    *n_out = st.n;
    *truncated = st.stop;
    return TINYRANK_OK;
}
