/* tokenizer_load.c - verifies a model's Tokenizer table and fills the
 * tr_tokenizer the session encodes with: the vocabulary shared by every kind
 * (token bytes, offsets, the sorted index), special ids, added tokens, then
 * the settings of the kind itself. */
#include <string.h>

#include "format/schema_ids.h"
#include "graph/model.h"
#include "tinyrank.h"
#include "tokenizer/tokenizer.h"

#define FAIL(code, ...)                       \
    do {                                      \
        tr_msg(msg, msglen, __VA_ARGS__);     \
        return (code);                        \
    } while (0)
#define CORRUPT(...) FAIL(TINYRANK_ERR_CORRUPT_MODEL, __VA_ARGS__)

static bool id_ok(int32_t id, uint32_t n, bool optional)
{
    return (optional && id == -1) || (id >= 0 && (uint32_t)id < n);
}

static int load_vocab(tr_tokenizer *t, const tr_fb_table *tk, char *msg, size_t msglen)
{
    tr_fb_vec bytes, offs, sorted;
    if (!tr_fb_vec_field(tk, F_TOK_TOKEN_BYTES, 1, 1, &bytes) ||
        !tr_fb_vec_field(tk, F_TOK_TOKEN_OFFSETS, 4, 4, &offs) ||
        !tr_fb_vec_field(tk, F_TOK_SORTED_IDS, 4, 4, &sorted))
        CORRUPT("tokenizer vocabulary vectors are malformed");
    uint32_t n = sorted.count;
    if (n == 0 || offs.count != n + 1)
        CORRUPT("tokenizer: %u tokens but %u offsets", n, offs.count);
    const uint32_t *o = (const uint32_t *)(const void *)offs.data;
    const uint32_t *ids = (const uint32_t *)(const void *)sorted.data;
    if (o[0] != 0 || o[n] != bytes.count)
        CORRUPT("tokenizer: token offsets do not cover the token bytes");
    for (uint32_t i = 0; i < n; i++)
        if (o[i + 1] < o[i])
            CORRUPT("tokenizer: token offsets decrease at %u", i);
    /* sorted_ids must be in memcmp order of the token bytes, equal strings
     * by ascending id: binary search relies on it, and with all n ids in
     * range and no pair repeated it lists every id exactly once */
    for (uint32_t i = 0; i < n; i++) {
        if (ids[i] >= n)
            CORRUPT("tokenizer: sorted id %u out of range", ids[i]);
        if (i == 0)
            continue;
        uint32_t a = ids[i - 1], b = ids[i];
        uint32_t la = o[a + 1] - o[a], lb = o[b + 1] - o[b];
        int c = memcmp(bytes.data + o[a], bytes.data + o[b], la < lb ? la : lb);
        if (c > 0 || (c == 0 && (la > lb || (la == lb && a >= b))))
            CORRUPT("tokenizer: vocabulary index is not sorted at %u", i);
    }
    t->vocab.bytes = bytes.data;
    t->vocab.offsets = o;
    t->vocab.sorted_ids = ids;
    t->vocab.n = n;
    return TINYRANK_OK;
}

static int load_added(tr_tokenizer *t, const tr_fb_table *tk, char *msg, size_t msglen)
{
    if (!tr_fb_vec_field(tk, F_TOK_ADDED_TOKENS, 4, 4, &t->added))
        CORRUPT("tokenizer: added token list is malformed");
    if (t->added.count > 4096)
        CORRUPT("tokenizer: %u added tokens (at most 4096)", t->added.count);
    for (uint32_t i = 0; i < t->added.count; i++) {
        tr_fb_table a;
        int32_t id;
        uint8_t f[5];
        if (!tr_fb_vec_table(&t->table, &t->added, i, &a) || !tr_fb_i32(&a, F_ADDED_ID, -1, &id) ||
            !tr_fb_u8(&a, F_ADDED_SPECIAL, 1, &f[0]) || !tr_fb_u8(&a, F_ADDED_LSTRIP, 0, &f[1]) ||
            !tr_fb_u8(&a, F_ADDED_RSTRIP, 0, &f[2]) || !tr_fb_u8(&a, F_ADDED_SINGLE_WORD, 0, &f[3]) ||
            !tr_fb_u8(&a, F_ADDED_NORMALIZED, 0, &f[4]))
            CORRUPT("tokenizer: added token %u is malformed", i);
        if (!id_ok(id, t->vocab.n, false))
            CORRUPT("tokenizer: added token %u has id %d, outside the vocabulary", i, (int)id);
        size_t len;
        tr_vocab_token(&t->vocab, (uint32_t)id, &len);
        if (len == 0)
            CORRUPT("tokenizer: added token %u (id %d) is empty", i, (int)id);
    }
    return TINYRANK_OK;
}

void tr_tokenizer_added(const tr_tokenizer *t, uint32_t i, int32_t *id, unsigned *flags)
{
    tr_fb_table a;
    uint8_t f[5] = {1, 0, 0, 0, 0};
    *id = -1;
    if (tr_fb_vec_table(&t->table, &t->added, i, &a)) {
        tr_fb_i32(&a, F_ADDED_ID, -1, id);
        tr_fb_u8(&a, F_ADDED_SPECIAL, 1, &f[0]);
        tr_fb_u8(&a, F_ADDED_LSTRIP, 0, &f[1]);
        tr_fb_u8(&a, F_ADDED_RSTRIP, 0, &f[2]);
        tr_fb_u8(&a, F_ADDED_SINGLE_WORD, 0, &f[3]);
        tr_fb_u8(&a, F_ADDED_NORMALIZED, 0, &f[4]);
    }
    *flags = (f[0] ? TR_ADDED_SPECIAL : 0u) | (f[1] ? TR_ADDED_LSTRIP : 0u) |
             (f[2] ? TR_ADDED_RSTRIP : 0u) | (f[3] ? TR_ADDED_SINGLE_WORD : 0u) |
             (f[4] ? TR_ADDED_NORMALIZED : 0u);
}

static int load_wordpiece(tr_tokenizer *t, const tr_fb_table *tk, char *msg, size_t msglen)
{
    tr_fb_vec special;
    uint8_t lower, strip, chinese;
    int32_t max_chars;
    const char *prefix;
    uint32_t prefix_len;
    if (!tr_fb_u8(tk, F_TOK_LOWERCASE, 1, &lower) || !tr_fb_u8(tk, F_TOK_STRIP_ACCENTS, 1, &strip) ||
        !tr_fb_u8(tk, F_TOK_SPLIT_CHINESE, 1, &chinese) ||
        !tr_fb_i32(tk, F_TOK_MAX_CHARS, 100, &max_chars) ||
        !tr_fb_string_field(tk, F_TOK_PREFIX, &prefix, &prefix_len) ||
        !tr_fb_vec_field(tk, F_TOK_SPECIAL_IDS, 4, 4, &special))
        CORRUPT("tokenizer: WordPiece settings are malformed");
    uint32_t n = t->vocab.n;
    if (t->unk_id < 0 || t->cls_id < 0 || t->sep_id < 0)
        CORRUPT("tokenizer: WordPiece needs [UNK], [CLS] and [SEP] ids");
    if (max_chars < 1 || max_chars > 100000 || special.count > 1024)
        CORRUPT("tokenizer: bad max_chars_per_word or special token list");
    const int32_t *sp = (const int32_t *)(const void *)special.data;
    for (uint32_t i = 0; i < special.count; i++)
        if (!id_ok(sp[i], n, false))
            CORRUPT("tokenizer: special token id %d out of range", (int)sp[i]);
    tr_wordpiece *wp = &t->wordpiece;
    wp->vocab = t->vocab;
    wp->lowercase = lower != 0;
    wp->strip_accents = strip != 0;
    wp->split_chinese_chars = chinese != 0;
    wp->max_chars_per_word = max_chars;
    wp->prefix = prefix;
    wp->prefix_len = prefix_len;
    wp->unk_id = t->unk_id;
    wp->special_ids = sp;
    wp->n_special = special.count;
    const char *why = "";
    int rc = tr_wordpiece_validate(wp, &why);
    if (rc != TINYRANK_OK)
        FAIL(rc, "tokenizer: %s", why);
    return TINYRANK_OK;
}

int tr_tokenizer_load(tr_tokenizer *t, const tr_fb_table *tk, char *msg, size_t msglen)
{
    memset(t, 0, sizeof *t);
    t->table = *tk;
    if (!tr_fb_u8(tk, F_TOK_KIND, TR_TOKENIZER_WORDPIECE, &t->kind) ||
        !tr_fb_i32(tk, F_TOK_UNK_ID, -1, &t->unk_id) || !tr_fb_i32(tk, F_TOK_CLS_ID, -1, &t->cls_id) ||
        !tr_fb_i32(tk, F_TOK_SEP_ID, -1, &t->sep_id) || !tr_fb_i32(tk, F_TOK_PAD_ID, -1, &t->pad_id) ||
        !tr_fb_i32(tk, F_TOK_EOS_ID, -1, &t->eos_id) || !tr_fb_i32(tk, F_TOK_BOS_ID, -1, &t->bos_id))
        CORRUPT("tokenizer table is malformed");
    int rc = load_vocab(t, tk, msg, msglen);
    if (rc != TINYRANK_OK)
        return rc;
    uint32_t n = t->vocab.n;
    if (!id_ok(t->unk_id, n, true) || !id_ok(t->cls_id, n, true) || !id_ok(t->sep_id, n, true) ||
        !id_ok(t->pad_id, n, true) || !id_ok(t->eos_id, n, true) || !id_ok(t->bos_id, n, true))
        CORRUPT("tokenizer: special token ids out of range");
    rc = load_added(t, tk, msg, msglen);
    if (rc != TINYRANK_OK)
        return rc;
    switch (t->kind) {
    case TR_TOKENIZER_WORDPIECE:
        return load_wordpiece(t, tk, msg, msglen);
    case TR_TOKENIZER_BYTE_LEVEL_BPE: {
        tr_fb_table bt;
        bool present;
        if (!tr_fb_table_field(tk, F_TOK_BPE, &bt, &present) || !present)
            CORRUPT("tokenizer: byte-level BPE without its BPE table");
        return tr_bpe_load(t, &bt, msg, msglen);
    }
    case TR_TOKENIZER_UNIGRAM: {
        tr_fb_table ut;
        bool present;
        if (!tr_fb_table_field(tk, F_TOK_UNIGRAM, &ut, &present) || !present)
            CORRUPT("tokenizer: Unigram without its Unigram table");
        return tr_unigram_load(t, &ut, msg, msglen);
    }
    default:
        FAIL(TINYRANK_ERR_UNSUPPORTED, "tokenizer kind %d is not supported by this runtime",
             (int)t->kind);
    }
}
