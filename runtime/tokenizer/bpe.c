/* bpe.c - byte-level BPE: loading and verification, added-token splitting,
 * merges, and the encode driver (see bpe.h for the pipeline and bounds). */
#include "tokenizer/bpe.h"

#include <string.h>

#include "format/schema_ids.h"
#include "graph/model.h"
#include "tinyrank.h"
#include "tokenizer/bpe_pretokenize.h"
#include "tokenizer/regex_class.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

#define NO_RANK 0xFFFFFFFFu
#define CORRUPT(...)                      \
    do {                                  \
        tr_msg(msg, msglen, __VA_ARGS__); \
        return TINYRANK_ERR_CORRUPT_MODEL; \
    } while (0)

/* ------------------------------------------------------------- loading */

static bool token_eq2(const tr_vocab *v, uint32_t id, uint32_t a, uint32_t b)
{
    size_t n, na, nb;
    const uint8_t *s = tr_vocab_token(v, id, &n);
    const uint8_t *sa = tr_vocab_token(v, a, &na);
    const uint8_t *sb = tr_vocab_token(v, b, &nb);
    return n == na + nb && memcmp(s, sa, na) == 0 && memcmp(s + na, sb, nb) == 0;
}

int tr_bpe_load(struct tr_tokenizer *t, const tr_fb_table *bt, char *msg, size_t msglen)
{
    tr_bpe *b = &t->bpe;
    memset(b, 0, sizeof *b);
    b->vocab = t->vocab;
    tr_fb_vec merges, merge_ids, order, bytes;
    if (!tr_fb_vec_field(bt, F_BPE_MERGES, 4, 4, &merges) ||
        !tr_fb_vec_field(bt, F_BPE_MERGE_IDS, 4, 4, &merge_ids) ||
        !tr_fb_vec_field(bt, F_BPE_MERGE_ORDER, 4, 4, &order) ||
        !tr_fb_vec_field(bt, F_BPE_BYTE_IDS, 4, 4, &bytes))
        CORRUPT("tokenizer: BPE tables are malformed");
    uint32_t nm = merges.count / 2, n = t->vocab.n;
    if (merges.count % 2 != 0 || merge_ids.count != nm || order.count != nm)
        CORRUPT("tokenizer: BPE has %u merge ids and %u ranks for %u merges", merge_ids.count,
                order.count, nm);
    if (bytes.count != 256)
        CORRUPT("tokenizer: BPE needs the ids of all 256 bytes (has %u)", bytes.count);
    b->merges = (const int32_t *)(const void *)merges.data;
    b->merge_ids = (const int32_t *)(const void *)merge_ids.data;
    b->merge_order = (const uint32_t *)(const void *)order.data;
    b->byte_ids = (const int32_t *)(const void *)bytes.data;
    b->n_merges = nm;
    for (uint32_t i = 0; i < 256; i++) {
        size_t len;
        int32_t id = b->byte_ids[i];
        const uint8_t *s = id >= 0 && (uint32_t)id < n ? tr_vocab_token(&t->vocab, (uint32_t)id, &len) : NULL;
        if (s == NULL || len != 1 || s[0] != i)
            CORRUPT("tokenizer: BPE byte %u has no single-byte token", i);
    }
    /* every merge joins two tokens into the token of their bytes: the
     * encoder then never needs the vocabulary */
    for (uint32_t r = 0; r < nm; r++) {
        int32_t l = b->merges[2 * r], rt = b->merges[2 * r + 1], m = b->merge_ids[r];
        if (l < 0 || rt < 0 || m < 0 || (uint32_t)l >= n || (uint32_t)rt >= n || (uint32_t)m >= n)
            CORRUPT("tokenizer: BPE merge %u has an id out of range", r);
        if (!token_eq2(&t->vocab, (uint32_t)m, (uint32_t)l, (uint32_t)rt))
            CORRUPT("tokenizer: BPE merge %u does not give the token of its two parts", r);
    }
    /* ranks strictly ordered by (left, right): binary search works and no
     * pair has two ranks (so it is a permutation) */
    for (uint32_t i = 0; i < nm; i++) {
        uint32_t r = b->merge_order[i];
        if (r >= nm)
            CORRUPT("tokenizer: BPE merge index entry %u out of range", i);
        if (i > 0) {
            uint32_t q = b->merge_order[i - 1];
            int32_t ql = b->merges[2 * q], qr = b->merges[2 * q + 1];
            int32_t rl = b->merges[2 * r], rr = b->merges[2 * r + 1];
            if (ql > rl || (ql == rl && qr >= rr))
                CORRUPT("tokenizer: BPE merge index is not sorted at %u", i);
        }
    }
    for (uint32_t i = 0; i < t->added.count; i++) {
        int32_t id;
        unsigned flags;
        tr_tokenizer_added(t, i, &id, &flags);
        if (flags & TR_ADDED_NORMALIZED)
            return tr_msg(msg, msglen,
                          "tokenizer: BPE added tokens matched after normalization "
                          "(normalized=true) are not supported"),
                   TINYRANK_ERR_UNSUPPORTED;
        size_t len;
        const uint8_t *s = tr_vocab_token(&t->vocab, (uint32_t)id, &len);
        if (tr_utf8_validate((const char *)s, len, NULL) != TINYRANK_OK)
            CORRUPT("tokenizer: added token %u is not valid UTF-8", i);
        b->added_first[s[0] >> 3] |= (uint8_t)(1u << (s[0] & 7));
    }
    return TINYRANK_OK;
}

uint32_t tr_bpe_merge_rank(const tr_bpe *b, int32_t left, int32_t right)
{
    size_t lo = 0, hi = b->n_merges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t r = b->merge_order[mid];
        int32_t l = b->merges[2 * r], rt = b->merges[2 * r + 1];
        if (l == left && rt == right)
            return r;
        if (l < left || (l == left && rt < right))
            lo = mid + 1;
        else
            hi = mid;
    }
    return NO_RANK;
}

/* ------------------------------------------------------------ encoding */

typedef struct bpe_work {
    tr_pretok pt;
    int32_t sym[TR_BPE_MAX_WORD];
    int32_t next[TR_BPE_MAX_WORD];
    int32_t prev[TR_BPE_MAX_WORD];
    uint32_t rank[TR_BPE_MAX_WORD]; /* merge rank of (i, next[i]) */
    const tr_tokenizer *t;
    int32_t *ids;
    size_t cap, n;
    bool truncated;
} bpe_work;

size_t tr_bpe_scratch_bytes(void)
{
    return sizeof(bpe_work);
}

/* Appends an id; nonzero (stop) once the output is full and more follows. */
static int put(bpe_work *w, int32_t id)
{
    if (w->n == w->cap) {
        w->truncated = true;
        return 1;
    }
    w->ids[w->n++] = id;
    return 0;
}

static uint32_t pair_rank(const tr_bpe *b, const bpe_work *w, int32_t i)
{
    int32_t j = w->next[i];
    return j < 0 ? NO_RANK : tr_bpe_merge_rank(b, w->sym[i], w->sym[j]);
}

/* Merges one pre-token: the pair of lowest rank first, leftmost among
 * equal ranks (Hugging Face's queue order), until no pair merges. */
static int bpe_word(void *ctx, const uint8_t *word, size_t len)
{
    bpe_work *w = ctx;
    const tr_bpe *b = &w->t->bpe;
    int32_t n = (int32_t)len;
    for (int32_t i = 0; i < n; i++) {
        w->sym[i] = b->byte_ids[word[i]];
        w->next[i] = i + 1 < n ? i + 1 : -1;
        w->prev[i] = i - 1;
    }
    for (int32_t i = 0; i < n; i++)
        w->rank[i] = pair_rank(b, w, i);
    for (;;) {
        uint32_t best = NO_RANK;
        int32_t at = -1;
        for (int32_t i = 0; i >= 0; i = w->next[i])
            if (w->rank[i] < best) {
                best = w->rank[i];
                at = i;
            }
        if (at < 0)
            break;
        int32_t j = w->next[at];
        w->sym[at] = b->merge_ids[best];
        w->next[at] = w->next[j];
        if (w->next[j] >= 0)
            w->prev[w->next[j]] = at;
        w->rank[at] = pair_rank(b, w, at);
        if (w->prev[at] >= 0)
            w->rank[w->prev[at]] = pair_rank(b, w, w->prev[at]);
    }
    for (int32_t i = 0; i >= 0 && n > 0; i = w->next[i])
        if (put(w, w->sym[i]))
            return 1;
    return 0;
}

static bool is_space_at(tr_bpe_text *x, size_t g, size_t end, size_t *len)
{
    uint32_t cp;
    *len = tr_bpe_text_cp(x, g, end, &cp);
    return *len > 0 && tr_regex_class(cp) == TR_RX_SPACE;
}

/* Start of the code point that ends at g (g > 0). */
static size_t cp_before(tr_bpe_text *x, size_t g)
{
    size_t s = g - 1;
    while (s > 0 && g - s < 4 && (tr_bpe_text_byte(x, s) & 0xC0) == 0x80)
        s--;
    return s;
}

/* single_word's "word character": Hugging Face tests Rust regex \w, which
 * also counts combining marks and connector punctuation besides '_'; this
 * approximation (letter, number, '_') differs only there, and only for
 * single_word tokens (Qwen has none). */
static bool is_word_cp(uint32_t cp)
{
    return cp == '_' || tr_regex_class(cp) == TR_RX_LETTER || tr_regex_class(cp) == TR_RX_NUMBER;
}

/* Longest added token at g: its index, or -1. */
static long match_added(const tr_tokenizer *t, tr_bpe_text *x, size_t g, size_t *mlen, int32_t *mid,
                        unsigned *mflags)
{
    long best = -1;
    *mlen = 0;
    for (uint32_t i = 0; i < t->added.count; i++) {
        int32_t id;
        unsigned flags;
        size_t len;
        tr_tokenizer_added(t, i, &id, &flags);
        const uint8_t *s = tr_vocab_token(&t->vocab, (uint32_t)id, &len);
        if (len <= *mlen || len > x->total - g)
            continue;
        size_t k = 0;
        while (k < len && tr_bpe_text_byte(x, g + k) == s[k])
            k++;
        if (k == len) {
            best = (long)i;
            *mlen = len;
            *mid = id;
            *mflags = flags;
        }
    }
    return best;
}

int tr_bpe_encode(const struct tr_tokenizer *t, const struct tr_span *spans, size_t n_spans,
                  void *scratch, int32_t *ids, size_t cap, size_t *n_out, bool *truncated)
{
    *n_out = 0;
    *truncated = false;
    if ((n_spans > 0 && spans == NULL) || scratch == NULL || (cap > 0 && ids == NULL))
        return TINYRANK_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < n_spans; i++)
        if (spans[i].ptr == NULL && spans[i].len > 0)
            return TINYRANK_ERR_INVALID_ARGUMENT;
    tr_bpe_text x;
    tr_bpe_text_init(&x, spans, n_spans);
    /* the whole text first: a code point may straddle two spans */
    for (size_t g = 0; g < x.total;) {
        uint32_t cp;
        size_t len = tr_bpe_text_cp(&x, g, x.total, &cp);
        if (len == 0)
            return TINYRANK_ERR_INVALID_UTF8;
        g += len;
    }
    bpe_work *w = scratch;
    w->t = t;
    w->ids = ids;
    w->cap = cap;
    w->n = 0;
    w->truncated = false;
    w->pt.sink = bpe_word;
    w->pt.ctx = w;
    const tr_bpe *b = &t->bpe;
    size_t piece = 0; /* start of the text not tokenized yet */
    int stop = 0;
    for (size_t g = 0; g < x.total && !stop;) {
        uint8_t c = tr_bpe_text_byte(&x, g);
        size_t len;
        int32_t id = -1;
        unsigned flags = 0;
        if (!(b->added_first[c >> 3] & (1u << (c & 7))) ||
            match_added(t, &x, g, &len, &id, &flags) < 0) {
            g++;
            continue;
        }
        size_t start = g, stop_at = g + len, l;
        if (flags & TR_ADDED_SINGLE_WORD) {
            uint32_t cp;
            bool word_before = start > 0 && tr_bpe_text_cp(&x, cp_before(&x, start), start, &cp) > 0 &&
                               is_word_cp(cp);
            bool word_after = stop_at < x.total && tr_bpe_text_cp(&x, stop_at, x.total, &cp) > 0 &&
                              is_word_cp(cp);
            if (word_before || word_after) { /* not a word of its own: plain text */
                g = stop_at;
                continue;
            }
        }
        if (flags & TR_ADDED_LSTRIP)
            while (start > piece && is_space_at(&x, cp_before(&x, start), start, &l))
                start = cp_before(&x, start);
        if (flags & TR_ADDED_RSTRIP)
            while (stop_at < x.total && is_space_at(&x, stop_at, x.total, &l))
                stop_at += l;
        if (start > piece)
            stop = tr_pretok_run(&w->pt, &x, piece, start);
        if (!stop)
            stop = put(w, id);
        piece = g = stop_at;
    }
    if (!stop && piece < x.total)
        tr_pretok_run(&w->pt, &x, piece, x.total);
    *n_out = w->n;
    *truncated = w->truncated;
    return TINYRANK_OK;
}
