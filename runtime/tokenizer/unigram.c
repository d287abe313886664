/* unigram.c - SentencePiece Unigram encoding (see unigram.h for the rules
 * and the reference they follow).
 *
 * Pipeline over the text (a list of spans read through a cursor, never
 * copied as a whole):
 *   split off added tokens --> per chunk: normalize (charsmap, spaces, "▁")
 *   --> collect one word (from a "▁" to the next) --> Viterbi --> ids.
 * Words are the unit of work because a segmentation always breaks before a
 * "▁" (no NORMAL piece holds one after its first byte: checked at load). */
#include "tokenizer/unigram.h"

#include <string.h>

#include "tinyrank.h"
#include "tokenizer/grapheme.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

/* sentencepiece's kUnkPenalty */
#define TR_UNIGRAM_UNK_PENALTY 10.0f
/* Characters of one grapheme cluster looked at (Rust maps longer ones per
 * character anyway; a longer cluster is cut here, a documented bound) */
#define TR_HF_CLUSTER_CHARS 32
/* Bytes the charsmap may look ahead (nmt_nfkc keys are a few characters) */
#define TR_CHARSMAP_LOOKAHEAD 64

static const uint8_t k_space_symbol[3] = {0xE2, 0x96, 0x81}; /* U+2581 "▁" */

/* ---- the text: spans read through a cursor */

typedef struct text {
    const tr_span *spans;
    size_t n_spans;
    size_t total;
    size_t si, base; /* span of the last access and its start offset */
} text;

static void text_seek(text *t, size_t pos)
{
    while (pos < t->base) {
        t->si--;
        t->base -= t->spans[t->si].len;
    }
    while (pos >= t->base + t->spans[t->si].len) {
        t->base += t->spans[t->si].len;
        t->si++;
    }
}

/* Up to `want` bytes at pos (fewer at the end of the text): a pointer into
 * the span when they lie in one, else a copy in buf (want bytes of room). */
static const uint8_t *text_window(text *t, size_t pos, size_t want, uint8_t *buf, size_t *got)
{
    if (want > t->total - pos)
        want = t->total - pos;
    *got = want;
    if (want == 0)
        return buf;
    text_seek(t, pos);
    size_t off = pos - t->base;
    const tr_span *s = &t->spans[t->si];
    if (off + want <= s->len)
        return (const uint8_t *)s->ptr + off;
    size_t k = 0;
    for (size_t si = t->si; k < want; si++, off = 0) {
        size_t take = t->spans[si].len - off;
        if (take > want - k)
            take = want - k;
        if (take > 0)
            memcpy(buf + k, t->spans[si].ptr + off, take);
        k += take;
    }
    return buf;
}

/* Code point at pos; returns its byte length (0: invalid UTF-8). */
static size_t text_char(text *t, size_t pos, uint32_t *cp)
{
    uint8_t buf[4];
    size_t got;
    const uint8_t *p = text_window(t, pos, 4, buf, &got);
    return got == 0 ? 0 : tr_utf8_decode(p, got, cp);
}

static bool text_equals(text *t, size_t pos, const uint8_t *s, size_t len)
{
    if (len > t->total - pos)
        return false;
    while (len > 0) {
        uint8_t buf[64];
        size_t got;
        const uint8_t *p = text_window(t, pos, len < sizeof buf ? len : sizeof buf, buf, &got);
        if (memcmp(p, s, got) != 0)
            return false;
        pos += got;
        s += got;
        len -= got;
    }
    return true;
}

/* Python's str.isspace(): what str.strip() removes around added tokens. */
static bool py_isspace(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

/* sentencepiece's OneCharLen: the length a lead byte announces (a stray
 * continuation byte counts as one) */
static size_t one_char_len(uint8_t b)
{
    static const uint8_t len[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return len[b >> 4];
}

/* ---- encoder state */

typedef struct enc {
    const tr_unigram *u;
    uint8_t *word; /* current word, TR_UNIGRAM_MAX_WORD bytes */
    size_t wlen;
    double *score;         /* best path score ending at each word byte (+1); a float
                              value under sentencepiece semantics */
    int32_t *start;        /* where that best path's last piece starts (-1: none) */
    int32_t *piece;        /* and its id */
    int32_t *path;         /* backtracking: ends of the chosen pieces */
    uint32_t *first_range; /* per first byte: [lo, hi) of the sorted vocabulary,
                              filled on first use in this call (hi 0: not yet) */
    double carry;          /* best path score at the start of the word */
    size_t pending;        /* "▁" waiting for a non-space (trailing ones are dropped) */
    bool last_unk;         /* the last id of this chunk was <unk> (runs merge) */
    int32_t *ids;
    size_t cap, n;
    bool stop; /* an id beyond cap was produced: nothing more to do */
} enc;

static void emit(enc *e, int32_t id)
{
    if (e->stop)
        return;
    bool unk = id == e->u->unk_id;
    if (unk && e->last_unk)
        return;
    if (e->n == e->cap) {
        e->stop = true;
        return;
    }
    e->ids[e->n++] = id;
    e->last_unk = unk;
}

static double piece_score64(const tr_unigram *u, uint32_t id)
{
    uint64_t bits = tr_fb_load_u64(u->scores64 + 8 * (size_t)id);
    double d;
    memcpy(&d, &bits, 8);
    return d;
}

static float piece_score(const tr_unigram *u, uint32_t id)
{
    uint32_t bits = tr_fb_load_u32(u->scores + 4 * (size_t)id);
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* Narrows [*lo, *hi) of the sorted vocabulary, whose tokens all start with
 * the same d bytes, to those whose byte d is c. Tokens of exactly d bytes
 * sort first in the range, then by byte d. */
static void narrow(const tr_vocab *v, uint32_t *lo, uint32_t *hi, size_t d, uint8_t c)
{
    for (int pass = 0; pass < 2; pass++) {
        /* pass 0: first token with key >= c + 1; pass 1: first with key > c + 1,
         * key = byte d + 1, or 0 for a token of d bytes */
        uint32_t a = *lo, b = *hi;
        unsigned want = (unsigned)c + 1u + (unsigned)pass;
        while (a < b) {
            uint32_t mid = a + (b - a) / 2, id = v->sorted_ids[mid];
            size_t len = v->offsets[id + 1] - v->offsets[id];
            unsigned key = len > d ? (unsigned)v->bytes[v->offsets[id] + d] + 1u : 0u;
            if (key < want)
                a = mid + 1;
            else
                b = mid;
        }
        if (pass == 0)
            *lo = a;
        else
            *hi = a;
    }
}

/* Viterbi over the word, exactly as sentencepiece's EncodeOptimized (see
 * unigram.h), then its ids in order. */
static void finish_word(enc *e)
{
    size_t L = e->wlen;
    if (L == 0)
        return;
    const tr_unigram *u = e->u;
    const tr_vocab *v = &u->vocab;
    const uint8_t *w = e->word;
    e->score[0] = e->carry;
    e->start[0] = 0;
    for (size_t i = 1; i <= L; i++)
        e->start[i] = -1;
    for (size_t pos = 0; pos < L;) {
        size_t mblen = one_char_len(w[pos]);
        if (mblen > L - pos)
            mblen = L - pos;
        const double here = e->score[pos];
        bool has_single = false;
        uint32_t *fr = e->first_range + 2 * w[pos];
        if (fr[1] == 0) { /* the widest search, once per first byte and call */
            uint32_t lo0 = 0, hi0 = v->n;
            narrow(v, &lo0, &hi0, 0, w[pos]);
            fr[0] = lo0;
            fr[1] = hi0 > lo0 ? hi0 : UINT32_MAX; /* UINT32_MAX: empty */
        }
        uint32_t lo = fr[0], hi = fr[1] == UINT32_MAX ? fr[0] : fr[1];
        for (size_t d = 0; pos + d < L; d++) {
            if (d > 0)
                narrow(v, &lo, &hi, d, w[pos + d]);
            if (lo == hi)
                break;
            for (uint32_t k = lo; k < hi; k++) {
                uint32_t id = v->sorted_ids[k];
                if (v->offsets[id + 1] - v->offsets[id] != d + 1)
                    break;
                if (u->types[id] != TR_PIECE_NORMAL)
                    continue;
                size_t end = pos + d + 1;
                double cand;
                if (!u->hf)
                    cand = (double)piece_score(u, id) + here;
                else
                    cand = (u->scores64 ? piece_score64(u, id) : (double)piece_score(u, id)) + here;
                if (e->start[end] == -1 || cand > e->score[end]) {
                    /* sentencepiece keeps the best score in a float */
                    e->score[end] = u->hf ? cand : (double)(float)cand;
                    e->start[end] = (int32_t)pos;
                    e->piece[end] = (int32_t)id;
                }
                if (d + 1 == mblen)
                    has_single = true;
                break;
            }
        }
        if (!has_single) {
            size_t end = pos + mblen;
            /* sentencepiece sums the unknown's score in float */
            double cand = u->hf ? u->unk_score64 + here : (double)(u->unk_score + (float)here);
            if (e->start[end] == -1 || cand > e->score[end]) {
                e->score[end] = cand;
                e->start[end] = (int32_t)pos;
                e->piece[end] = u->unk_id;
            }
        }
        pos += mblen;
    }
    size_t np = 0;
    for (size_t end = L; end > 0; end = (size_t)e->start[end])
        e->path[np++] = (int32_t)end;
    while (np > 0)
        emit(e, e->piece[e->path[--np]]);
    e->carry = e->score[L];
    e->wlen = 0;
}

/* A word is complete (a "▁" follows, or the chunk ends). The Rust library
 * segments each word from score 0; sentencepiece carries the path score. */
static void end_word(enc *e)
{
    finish_word(e);
    if (e->u->hf)
        e->carry = 0.0;
}

static void append_bytes(enc *e, const uint8_t *c, size_t n)
{
    if (e->wlen + n > TR_UNIGRAM_MAX_WORD)
        finish_word(e); /* the documented cut of an over-long word */
    memcpy(e->word + e->wlen, c, n);
    e->wlen += n;
}

/* One normalized character: "▁" (or a space) waits; anything else first
 * starts a word per waiting "▁". */
static void push_char(enc *e, const uint8_t *c, size_t n)
{
    if ((n == 1 && c[0] == ' ') || (n == 3 && memcmp(c, k_space_symbol, 3) == 0)) {
        e->pending++;
        return;
    }
    for (; e->pending > 0; e->pending--) {
        end_word(e);
        append_bytes(e, k_space_symbol, 3);
    }
    append_bytes(e, c, n);
}

/* sentencepiece's NormalizePrefix on text[pos, end): the charsmap's longest
 * key, else one character as it is. Returns the bytes consumed; *out is
 * the replacement (NUL-terminated from the charsmap, or copied in one). */
static size_t normalize_prefix(const tr_unigram *u, text *t, size_t pos, size_t end,
                               const uint8_t **out, size_t *out_len, uint8_t one[4])
{
    uint8_t buf[TR_CHARSMAP_LOOKAHEAD];
    size_t want = end - pos < sizeof buf ? end - pos : sizeof buf, got;
    const uint8_t *p = text_window(t, pos, want, buf, &got);
    const char *rep;
    size_t n = tr_charsmap_match(&u->charsmap, p, got, &rep);
    if (n > 0) {
        *out = (const uint8_t *)rep;
        *out_len = strlen(rep);
        return n;
    }
    uint32_t cp;
    n = tr_utf8_decode(p, got, &cp); /* valid: the text was validated */
    if (n == 0)
        n = 1;
    memcpy(one, p, n);
    *out = one;
    *out_len = n;
    return n;
}

/* sp.encode of text[a, b): Normalizer::Normalize streamed into words. */
static void encode_chunk(enc *e, text *t, size_t a, size_t b)
{
    const tr_unigram *u = e->u;
    const uint8_t *sp;
    size_t sp_len, n;
    uint8_t one[4];
    e->carry = 0.0;
    e->pending = 0;
    e->wlen = 0;
    e->last_unk = false;
    if (u->remove_extra_whitespaces) {
        while (a < b) {
            n = normalize_prefix(u, t, a, b, &sp, &sp_len, one);
            if (!(sp_len == 1 && sp[0] == ' '))
                break;
            a += n;
        }
    }
    if (a >= b)
        return;
    if (u->add_dummy_prefix)
        e->pending = 1;
    bool prev_space = u->remove_extra_whitespaces;
    while (a < b && !e->stop) {
        n = normalize_prefix(u, t, a, b, &sp, &sp_len, one);
        a += n;
        if (prev_space)
            while (sp_len > 0 && sp[0] == ' ') {
                sp++;
                sp_len--;
            }
        if (sp_len > 0) {
            for (size_t k = 0; k < sp_len;) {
                size_t cl = one_char_len(sp[k]);
                if (cl > sp_len - k)
                    cl = sp_len - k;
                push_char(e, sp + k, cl);
                k += cl;
            }
            prev_space = sp[sp_len - 1] == ' ';
        }
        if (!u->remove_extra_whitespaces)
            prev_space = false;
    }
    if (u->remove_extra_whitespaces)
        e->pending = 0; /* trailing "▁" are dropped */
    for (; e->pending > 0; e->pending--) {
        end_word(e);
        append_bytes(e, k_space_symbol, 3);
    }
    end_word(e);
}

static bool is_space_char(const uint8_t *c, size_t n)
{
    return (n == 1 && c[0] == ' ') || (n == 3 && memcmp(c, k_space_symbol, 3) == 0);
}

/* Rust's Precompiled normalizer on text[a, b), one grapheme cluster at a
 * time: a cluster under 6 bytes is replaced whole by the value of its
 * shortest matching key; otherwise (or when none matches) each character
 * is replaced by its own, or kept. Gives the pieces of normalized text
 * (pointers into the charsmap or into chars) and returns the next
 * position. */
static size_t hf_normalize_cluster(const tr_unigram *u, text *t, size_t a, size_t b,
                                   const uint8_t **pieces, size_t *lens, size_t *n_pieces,
                                   uint8_t chars[][4])
{
    uint32_t cp;
    size_t n = text_char(t, a, &cp), glen = n;
    tr_grapheme_state gs;
    tr_grapheme_start(&gs, cp);
    size_t starts[TR_HF_CLUSTER_CHARS];
    size_t nc = 0;
    starts[nc++] = a;
    while (a + glen < b) {
        size_t m = text_char(t, a + glen, &cp);
        if (!tr_grapheme_joins(&gs, cp))
            break;
        if (nc < TR_HF_CLUSTER_CHARS)
            starts[nc++] = a + glen;
        else
            break; /* an over-long cluster ends here (bounded work) */
        glen += m;
    }
    const char *rep;
    if (glen < 6) {
        uint8_t buf[8];
        size_t got;
        const uint8_t *p = text_window(t, a, glen, buf, &got);
        if (tr_charsmap_first(&u->charsmap, p, got, &rep)) {
            pieces[0] = (const uint8_t *)rep;
            lens[0] = strlen(rep);
            *n_pieces = 1;
            return a + glen;
        }
    }
    for (size_t k = 0; k < nc; k++) {
        size_t clen = text_char(t, starts[k], &cp);
        size_t got;
        const uint8_t *p = text_window(t, starts[k], clen, chars[k], &got);
        if (p != chars[k])
            memcpy(chars[k], p, got);
        if (tr_charsmap_first(&u->charsmap, chars[k], clen, &rep)) {
            pieces[k] = (const uint8_t *)rep;
            lens[k] = strlen(rep);
        } else {
            pieces[k] = chars[k];
            lens[k] = clen;
        }
    }
    *n_pieces = nc;
    return a + glen;
}

/* The Rust library's pipeline on text[a, b): Precompiled (per grapheme
 * cluster), Replace(" {2,}", " "), Metaspace (spaces to "▁", one in front
 * unless there is one, split before each "▁"), nothing trimmed. */
static void encode_chunk_hf(enc *e, text *t, size_t a, size_t b)
{
    const tr_unigram *u = e->u;
    const uint8_t *pieces[TR_HF_CLUSTER_CHARS];
    size_t lens[TR_HF_CLUSTER_CHARS], n_pieces;
    uint8_t chars[TR_HF_CLUSTER_CHARS][4];
    e->carry = 0.0;
    e->pending = 0;
    e->wlen = 0;
    e->last_unk = false;
    bool started = false, prev_space = false;
    while (a < b && !e->stop) {
        a = hf_normalize_cluster(u, t, a, b, pieces, lens, &n_pieces, chars);
        for (size_t q = 0; q < n_pieces; q++) {
            const uint8_t *sp = pieces[q];
            size_t sp_len = lens[q];
            for (size_t k = 0; k < sp_len;) {
                size_t cl = one_char_len(sp[k]);
                if (cl > sp_len - k)
                    cl = sp_len - k;
                bool space = cl == 1 && sp[k] == ' ';
                if (!(space && prev_space && u->collapse_spaces)) {
                    if (!started) {
                        started = true;
                        if (u->add_dummy_prefix && !is_space_char(sp + k, cl))
                            e->pending = 1;
                    }
                    push_char(e, sp + k, cl);
                }
                prev_space = space;
                k += cl;
            }
        }
    }
    for (; e->pending > 0; e->pending--) {
        end_word(e);
        append_bytes(e, k_space_symbol, 3);
    }
    end_word(e);
}

/* The added token that starts at pos, longest first; false when none. */
static bool match_added(const tr_tokenizer *tk, text *t, size_t pos, uint8_t first, int32_t *id,
                        unsigned *flags, size_t *len)
{
    const tr_unigram *u = &tk->unigram;
    if (!(u->added_first[first >> 3] & (1u << (first & 7))))
        return false;
    *len = 0;
    for (uint32_t i = 0; i < tk->added.count; i++) {
        int32_t aid;
        unsigned af;
        size_t tl;
        tr_tokenizer_added(tk, i, &aid, &af);
        const uint8_t *tok = tr_vocab_token(&tk->vocab, (uint32_t)aid, &tl);
        if (tok && tl > *len && text_equals(t, pos, tok, tl)) {
            *id = aid;
            *flags = af;
            *len = tl;
        }
    }
    return *len > 0;
}

size_t tr_unigram_scratch_bytes(void)
{
    /* score (double), then start, piece, path (int32): W + 1 each, the
     * word bytes, then the first-byte ranges */
    return TR_UNIGRAM_MAX_WORD + (8 + 3 * 4) * (TR_UNIGRAM_MAX_WORD + 1) + 256 * 8 + 16;
}

int tr_unigram_encode(const tr_tokenizer *tk, const tr_span *spans, size_t n_spans, void *scratch,
                      int32_t *ids, size_t cap, size_t *n_out, bool *truncated)
{
    *n_out = 0;
    *truncated = false;
    text t = {spans, n_spans, 0, 0, 0};
    for (size_t i = 0; i < n_spans; i++) {
        if (spans[i].len > 0 && spans[i].ptr == NULL)
            return TINYRANK_ERR_INVALID_ARGUMENT;
        t.total += spans[i].len;
    }
    if (t.total == 0)
        return TINYRANK_OK;
    for (size_t pos = 0; pos < t.total;) {
        uint32_t cp;
        size_t n = text_char(&t, pos, &cp);
        if (n == 0)
            return TINYRANK_ERR_INVALID_UTF8;
        pos += n;
    }
    if (scratch == NULL)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    enc e;
    memset(&e, 0, sizeof e);
    e.u = &tk->unigram;
    uint8_t *s = (uint8_t *)(((uintptr_t)scratch + 15) & ~(uintptr_t)15);
    const size_t slots = TR_UNIGRAM_MAX_WORD + 1;
    e.score = (double *)(void *)s;
    e.start = (int32_t *)(void *)(s + 8 * slots);
    e.piece = (int32_t *)(void *)(s + 12 * slots);
    e.path = (int32_t *)(void *)(s + 16 * slots);
    e.word = s + 20 * slots;
    e.first_range = (uint32_t *)(void *)(e.word + ((TR_UNIGRAM_MAX_WORD + 3) & ~(size_t)3));
    memset(e.first_range, 0, 256 * 8);
    e.ids = ids;
    e.cap = cap;

    size_t pos = 0;
    bool strip_left = false; /* the previous added token has rstrip */
    while (!e.stop) {
        /* find the next added token; remember where trailing spaces begin */
        size_t q = pos, text_end = pos, m = t.total, mlen = 0;
        int32_t mid = -1;
        unsigned mflags = 0;
        while (q < t.total) {
            uint8_t b1, buf1[1];
            size_t got;
            b1 = *text_window(&t, q, 1, buf1, &got);
            if (match_added(tk, &t, q, b1, &mid, &mflags, &mlen)) {
                m = q;
                break;
            }
            uint32_t cp;
            size_t n = text_char(&t, q, &cp);
            q += n;
            if (!py_isspace(cp))
                text_end = q;
        }
        size_t a = pos, b = m;
        if (strip_left) {
            while (a < b) {
                uint32_t cp;
                size_t n = text_char(&t, a, &cp);
                if (!py_isspace(cp))
                    break;
                a += n;
            }
        }
        if (mlen > 0 && (mflags & TR_ADDED_LSTRIP))
            b = text_end;
        if (a < b) {
            if (tk->unigram.hf)
                encode_chunk_hf(&e, &t, a, b);
            else
                encode_chunk(&e, &t, a, b);
        }
        if (mlen == 0)
            break;
        e.last_unk = false;
        emit(&e, mid);
        strip_left = (mflags & TR_ADDED_RSTRIP) != 0;
        pos = m + mlen;
    }
    *n_out = e.n;
    *truncated = e.stop;
    return TINYRANK_OK;
}
