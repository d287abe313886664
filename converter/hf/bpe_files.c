/* bpe_files.c - byte-level BPE tokenizer of a checkpoint folder (see
 * bpe_files.h). */
#include "converter/hf/bpe_files.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "converter/hf/json.h"
#include "tinyrank.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* ---- the byte-level alphabet (GPT-2's bytes_to_unicode): printable bytes
 * stand for themselves, the other 68 (controls, space, DEL, NBSP, soft
 * hyphen...) for U+0100 + their order. */
static void alphabet_inverse(int16_t inv[256 + 68])
{
    for (int i = 0; i < 256 + 68; i++)
        inv[i] = -1;
    int extra = 0;
    for (int b = 0; b < 256; b++) {
        bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
        if (printable)
            inv[b] = (int16_t)b;
        else
            inv[256 + extra++] = (int16_t)b;
    }
}

/* Decodes a token written in the alphabet into its raw bytes (out has room
 * for n bytes: every character is at least one byte). false when a
 * character is not in the alphabet. */
static bool alphabet_decode(const int16_t *inv, const char *s, size_t n, char *out, size_t *out_len)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = tr_utf8_decode((const uint8_t *)s + i, n - i, &cp);
        if (len == 0 || cp >= 256 + 68 || inv[cp] < 0)
            return false;
        out[k++] = (char)inv[cp];
        i += len;
    }
    *out_len = k;
    return true;
}

/* ---- a hash of the BPE vocabulary by raw bytes (open addressing) */
typedef struct vocab_hash {
    int32_t *slot; /* id or -1 */
    size_t mask;
} vocab_hash;

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h;
}

static int32_t hash_find(const vocab_hash *h, const tr_bpe_files *f, const char *s, size_t n)
{
    for (size_t i = hash_bytes(s, n) & h->mask;; i = (i + 1) & h->mask) {
        int32_t id = h->slot[i];
        if (id < 0)
            return -1;
        if (f->lens[id] == n && memcmp(f->tokens[id], s, n) == 0)
            return id;
    }
}

/* false when the bytes are already there (a duplicate) */
static bool hash_add(vocab_hash *h, const tr_bpe_files *f, int32_t id)
{
    const char *s = f->tokens[id];
    size_t n = f->lens[id];
    size_t i = hash_bytes(s, n) & h->mask;
    for (; h->slot[i] >= 0; i = (i + 1) & h->mask)
        if (f->lens[h->slot[i]] == n && memcmp(f->tokens[h->slot[i]], s, n) == 0)
            return false;
    h->slot[i] = id;
    return true;
}

/* ---- settings checks */
static bool is_type(const tr_json *o, const char *type)
{
    return o && o->type == TR_JSON_OBJECT && strcmp(tr_json_get_string(o, "type", ""), type) == 0;
}

static bool null_or_empty(const tr_json *o, const char *key)
{
    const tr_json *v = tr_json_get(o, key);
    return !v || v->type == TR_JSON_NULL || (v->type == TR_JSON_STRING && v->len == 0);
}

static int check_pipeline(const tr_json *root, char *err, size_t errlen)
{
    const tr_json *norm = tr_json_get(root, "normalizer");
    if (!is_type(norm, "NFC"))
        return fail(err, errlen, TINYRANK_ERR_UNSUPPORTED,
                    "tokenizer.json: byte-level BPE needs the NFC normalizer (found %s)",
                    norm && norm->type == TR_JSON_OBJECT ? tr_json_get_string(norm, "type", "?") : "none");
    const tr_json *pre = tr_json_get(root, "pre_tokenizer");
    const tr_json *list = is_type(pre, "Sequence") ? tr_json_get(pre, "pretokenizers") : NULL;
    const tr_json *split = list && list->type == TR_JSON_ARRAY && list->len == 2 ? &list->items[0] : NULL;
    const tr_json *bl = split ? &list->items[1] : NULL;
    const tr_json *pat = split ? tr_json_get(split, "pattern") : NULL;
    const char *regex = pat && pat->type == TR_JSON_OBJECT ? tr_json_get_string(pat, "Regex", "") : "";
    if (!is_type(split, "Split") || strcmp(regex, TR_QWEN2_SPLIT_PATTERN) != 0 ||
        strcmp(tr_json_get_string(split, "behavior", ""), "Isolated") != 0 ||
        tr_json_get_bool(split, "invert", false))
        return fail(err, errlen, TINYRANK_ERR_UNSUPPORTED,
                    "tokenizer.json: the pre-tokenizer is not Qwen2's (Sequence[Split(the Qwen2 "
                    "pattern, Isolated), ByteLevel]); only that one is implemented");
    if (!is_type(bl, "ByteLevel") || tr_json_get_bool(bl, "use_regex", true) ||
        tr_json_get_bool(bl, "add_prefix_space", true))
        return fail(err, errlen, TINYRANK_ERR_UNSUPPORTED,
                    "tokenizer.json: the pre-tokenizer's ByteLevel must have use_regex=false and "
                    "add_prefix_space=false");
    const tr_json *m = tr_json_get(root, "model");
    if (!is_type(m, "BPE"))
        return fail(err, errlen, TINYRANK_ERR_UNSUPPORTED, "tokenizer.json: the model is not BPE");
    const tr_json *dropout = tr_json_get(m, "dropout");
    if ((dropout && dropout->type != TR_JSON_NULL) || !null_or_empty(m, "unk_token") ||
        !null_or_empty(m, "continuing_subword_prefix") || !null_or_empty(m, "end_of_word_suffix") ||
        tr_json_get_bool(m, "byte_fallback", false) || tr_json_get_bool(m, "ignore_merges", false) ||
        tr_json_get_bool(m, "fuse_unk", false))
        return fail(err, errlen, TINYRANK_ERR_UNSUPPORTED,
                    "tokenizer.json: BPE with dropout, unk_token, a subword prefix/suffix, "
                    "byte_fallback, fuse_unk or ignore_merges is not supported");
    return TINYRANK_OK;
}

/* ---- reading */
static int put_token(tr_bpe_files *f, size_t id, const char *s, size_t n, char *err, size_t errlen)
{
    if (id >= f->count)
        return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "tokenizer.json: id %zu out of range", id);
    if (f->tokens[id])
        return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "tokenizer.json: id %zu is given twice", id);
    f->tokens[id] = malloc(n + 1);
    if (!f->tokens[id])
        return fail(err, errlen, TINYRANK_ERR_IO, "out of memory");
    memcpy(f->tokens[id], s, n);
    f->tokens[id][n] = '\0';
    f->lens[id] = n;
    return TINYRANK_OK;
}

static bool id_of(const tr_json *v, size_t *id)
{
    if (!v || v->type != TR_JSON_NUMBER || !v->is_integer || v->integer < 0 || v->integer >= INT32_MAX)
        return false;
    *id = (size_t)v->integer;
    return true;
}

typedef struct pair_key {
    uint64_t key;
    uint32_t rank;
} pair_key;

static int cmp_pair(const void *a, const void *b)
{
    uint64_t x = ((const pair_key *)a)->key, y = ((const pair_key *)b)->key;
    return x < y ? -1 : (x > y ? 1 : 0);
}

/* Merge part (alphabet text) -> id of its raw bytes, or -1. */
static int32_t part_id(const vocab_hash *h, const tr_bpe_files *f, const int16_t *inv, const char *s,
                       size_t n, char *buf)
{
    size_t len;
    if (!alphabet_decode(inv, s, n, buf, &len))
        return -1;
    return hash_find(h, f, buf, len);
}

static int read_merges(const tr_json *merges, tr_bpe_files *f, const vocab_hash *h, const int16_t *inv,
                       char *err, size_t errlen)
{
    size_t nm = merges->len;
    f->merges = malloc((2 * nm + 1) * sizeof *f->merges);
    f->merge_ids = malloc((nm + 1) * sizeof *f->merge_ids);
    f->merge_order = malloc((nm + 1) * sizeof *f->merge_order);
    pair_key *keys = malloc((nm + 1) * sizeof *keys);
    size_t maxlen = 0;
    for (size_t i = 0; i < f->n_model; i++)
        maxlen = f->lens[i] > maxlen ? f->lens[i] : maxlen;
    char *buf = malloc(2 * maxlen + 8), *cat = malloc(2 * maxlen + 8);
    int rc = TINYRANK_OK;
    if (!f->merges || !f->merge_ids || !f->merge_order || !keys || !buf || !cat) {
        rc = fail(err, errlen, TINYRANK_ERR_IO, "out of memory");
        goto out;
    }
    f->n_merges = nm;
    for (size_t r = 0; r < nm && rc == TINYRANK_OK; r++) {
        const tr_json *m = &merges->items[r];
        const char *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;
        if (m->type == TR_JSON_STRING) {
            const char *sp = memchr(m->string, ' ', m->len);
            if (sp && !memchr(sp + 1, ' ', m->len - (size_t)(sp + 1 - m->string))) {
                a = m->string;
                na = (size_t)(sp - m->string);
                b = sp + 1;
                nb = m->len - na - 1;
            }
        } else if (m->type == TR_JSON_ARRAY && m->len == 2 && m->items[0].type == TR_JSON_STRING &&
                   m->items[1].type == TR_JSON_STRING) {
            a = m->items[0].string;
            na = m->items[0].len;
            b = m->items[1].string;
            nb = m->items[1].len;
        }
        if (!a || na > 2 * maxlen || nb > 2 * maxlen) {
            rc = fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "tokenizer.json: merge %zu is malformed", r);
            break;
        }
        int32_t l = part_id(h, f, inv, a, na, buf), rt = part_id(h, f, inv, b, nb, buf);
        if (l < 0 || rt < 0) {
            rc = fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                      "tokenizer.json: merge %zu uses a token that is not in the vocabulary", r);
            break;
        }
        size_t ll = f->lens[l], lr = f->lens[rt];
        memcpy(cat, f->tokens[l], ll);
        memcpy(cat + ll, f->tokens[rt], lr);
        int32_t res = hash_find(h, f, cat, ll + lr);
        if (res < 0) {
            rc = fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                      "tokenizer.json: merge %zu gives a token that is not in the vocabulary", r);
            break;
        }
        f->merges[2 * r] = l;
        f->merges[2 * r + 1] = rt;
        f->merge_ids[r] = res;
        keys[r].key = ((uint64_t)(uint32_t)l << 32) | (uint32_t)rt;
        keys[r].rank = (uint32_t)r;
    }
    if (rc == TINYRANK_OK) {
        qsort(keys, nm, sizeof *keys, cmp_pair);
        for (size_t i = 0; i < nm; i++) {
            if (i > 0 && keys[i].key == keys[i - 1].key) {
                rc = fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                          "tokenizer.json: merges %u and %u join the same pair", keys[i - 1].rank,
                          keys[i].rank);
                break;
            }
            f->merge_order[i] = keys[i].rank;
        }
    }
out:
    free(keys);
    free(buf);
    free(cat);
    return rc;
}

static int32_t config_token(const tr_bpe_files *f, const tr_json *cfg, const char *key)
{
    const tr_json *v = tr_json_get(cfg, key);
    const char *s = NULL;
    if (v && v->type == TR_JSON_STRING)
        s = v->string;
    else if (v && v->type == TR_JSON_OBJECT)
        s = tr_json_get_string(v, "content", NULL);
    return s ? tr_bpe_files_find(f, s) : -1;
}

static int parse(const tr_json *root, const tr_json *cfg, tr_bpe_files *f, char *err, size_t errlen)
{
    if (!root || root->type != TR_JSON_OBJECT)
        return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "tokenizer.json: not a JSON object");
    int rc = check_pipeline(root, err, errlen);
    if (rc != TINYRANK_OK)
        return rc;
    const tr_json *model = tr_json_get(root, "model");
    const tr_json *vocab = tr_json_get(model, "vocab");
    const tr_json *merges = tr_json_get(model, "merges");
    const tr_json *added = tr_json_get(root, "added_tokens");
    if (!vocab || vocab->type != TR_JSON_OBJECT || vocab->len == 0 || !merges ||
        merges->type != TR_JSON_ARRAY || (added && added->type != TR_JSON_ARRAY))
        return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                    "tokenizer.json: model.vocab, model.merges or added_tokens is missing or malformed");
    size_t n_added = added ? added->len : 0, count = 0, id;
    for (size_t i = 0; i < vocab->len; i++) {
        if (!id_of(&vocab->items[i], &id))
            return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "tokenizer.json: vocab entry %zu has a bad id", i);
        count = id + 1 > count ? id + 1 : count;
    }
    f->n_model = count;
    for (size_t i = 0; i < n_added; i++) {
        if (!id_of(tr_json_get(&added->items[i], "id"), &id) ||
            !tr_json_get_string(&added->items[i], "content", NULL))
            return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "tokenizer.json: added token %zu is malformed", i);
        count = id + 1 > count ? id + 1 : count;
    }
    if (count > (size_t)1 << 24)
        return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "tokenizer.json: ids up to %zu", count);
    f->count = count;
    f->tokens = calloc(count, sizeof *f->tokens);
    f->lens = calloc(count, sizeof *f->lens);
    f->added = calloc(n_added + 1, sizeof *f->added);
    size_t hcap = 16;
    while (hcap < 2 * count)
        hcap *= 2;
    vocab_hash h = {calloc(hcap, sizeof(int32_t)), hcap - 1};
    if (!f->tokens || !f->lens || !f->added || !h.slot) {
        free(h.slot);
        return fail(err, errlen, TINYRANK_ERR_IO, "out of memory");
    }
    memset(h.slot, 0xFF, hcap * sizeof(int32_t));
    int16_t inv[256 + 68];
    alphabet_inverse(inv);
    /* the added tokens first: their content is the text itself (no
     * alphabet), and it wins over a vocabulary entry of the same id */
    for (size_t i = 0; i < n_added && rc == TINYRANK_OK; i++) {
        const tr_json *a = &added->items[i];
        const tr_json *content = tr_json_get(a, "content");
        id_of(tr_json_get(a, "id"), &id);
        if (content->len == 0 || tr_utf8_validate(content->string, content->len, NULL) != TINYRANK_OK) {
            rc = fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "tokenizer.json: added token %zu is empty or not UTF-8", i);
            break;
        }
        if (tr_json_get_bool(a, "normalized", false)) {
            rc = fail(err, errlen, TINYRANK_ERR_UNSUPPORTED,
                      "tokenizer.json: added token \"%s\" has normalized=true; the runtime matches "
                      "added tokens on the raw text only", content->string);
            break;
        }
        rc = put_token(f, id, content->string, content->len, err, errlen);
        f->added[i].id = (int32_t)id;
        f->added[i].flags = (tr_json_get_bool(a, "special", true) ? TR_ADDED_SPECIAL : 0u) |
                            (tr_json_get_bool(a, "lstrip", false) ? TR_ADDED_LSTRIP : 0u) |
                            (tr_json_get_bool(a, "rstrip", false) ? TR_ADDED_RSTRIP : 0u) |
                            (tr_json_get_bool(a, "single_word", false) ? TR_ADDED_SINGLE_WORD : 0u);
        f->n_added = i + 1;
    }
    char *buf = rc == TINYRANK_OK ? malloc(4096) : NULL;
    size_t bufcap = 4096;
    if (rc == TINYRANK_OK && !buf)
        rc = fail(err, errlen, TINYRANK_ERR_IO, "out of memory");
    for (size_t i = 0; i < vocab->len && rc == TINYRANK_OK; i++) {
        const char *key = vocab->keys[i];
        size_t klen = strlen(key), len;
        if (klen + 1 > bufcap) {
            char *nb = realloc(buf, klen + 1);
            if (!nb) {
                rc = fail(err, errlen, TINYRANK_ERR_IO, "out of memory");
                break;
            }
            buf = nb;
            bufcap = klen + 1;
        }
        id_of(&vocab->items[i], &id);
        if (!alphabet_decode(inv, key, klen, buf, &len) || len == 0) {
            rc = fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                      "tokenizer.json: vocab token %zu is not in the byte-level alphabet", id);
            break;
        }
        if (f->tokens[id]) { /* an added token of the same id */
            if (f->lens[id] != len || memcmp(f->tokens[id], buf, len) != 0)
                rc = fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                          "tokenizer.json: id %zu is both a vocab token and a different added token", id);
        } else {
            rc = put_token(f, id, buf, len, err, errlen);
        }
        if (rc == TINYRANK_OK && !hash_add(&h, f, (int32_t)id))
            rc = fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "tokenizer.json: vocab token %zu is a duplicate", id);
    }
    free(buf);
    for (size_t i = 0; i < count && rc == TINYRANK_OK; i++)
        if (!f->tokens[i])
            rc = fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "tokenizer.json: no token has id %zu", i);
    for (int b = 0; b < 256 && rc == TINYRANK_OK; b++) {
        char c = (char)b;
        f->byte_ids[b] = hash_find(&h, f, &c, 1);
        if (f->byte_ids[b] < 0)
            rc = fail(err, errlen, TINYRANK_ERR_UNSUPPORTED,
                      "tokenizer.json: byte 0x%02x has no token (byte-level BPE needs all 256)", b);
    }
    if (rc == TINYRANK_OK)
        rc = read_merges(merges, f, &h, inv, err, errlen);
    free(h.slot);
    if (rc == TINYRANK_OK) {
        f->eos_id = cfg ? config_token(f, cfg, "eos_token") : -1;
        f->bos_id = cfg ? config_token(f, cfg, "bos_token") : -1;
    }
    return rc;
}

int tr_bpe_files_parse(const char *tokenizer_json, size_t len, const char *config_json,
                       size_t config_len, tr_bpe_files *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->eos_id = out->bos_id = -1;
    char jerr[200];
    tr_json *root = tr_json_parse(tokenizer_json, len, jerr, sizeof jerr);
    if (!root)
        return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "tokenizer.json: %s", jerr);
    tr_json *cfg = NULL;
    if (config_json) {
        cfg = tr_json_parse(config_json, config_len, jerr, sizeof jerr);
        if (!cfg) {
            tr_json_free(root);
            return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "tokenizer_config.json: %s", jerr);
        }
    }
    int rc = parse(root, cfg, out, err, errlen);
    tr_json_free(root);
    tr_json_free(cfg);
    return rc;
}

int tr_bpe_files_load(const char *dir, tr_bpe_files *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->eos_id = out->bos_id = -1;
    char path[4096];
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    size_t len, clen = 0;
    char rerr[256];
    char *text = tr_read_file(path, &len, rerr, sizeof rerr);
    if (!text)
        return fail(err, errlen, TINYRANK_ERR_IO, "%s", rerr);
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    FILE *probe = fopen(path, "rb");
    char *cfg = NULL;
    if (probe) {
        fclose(probe);
        cfg = tr_read_file(path, &clen, rerr, sizeof rerr);
        if (!cfg) {
            free(text);
            return fail(err, errlen, TINYRANK_ERR_IO, "%s", rerr);
        }
    }
    int rc = tr_bpe_files_parse(text, len, cfg, clen, out, err, errlen);
    free(text);
    free(cfg);
    return rc;
}

void tr_bpe_files_free(tr_bpe_files *f)
{
    if (f->tokens)
        for (size_t i = 0; i < f->count; i++)
            free(f->tokens[i]);
    free(f->tokens);
    free(f->lens);
    free(f->merges);
    free(f->merge_ids);
    free(f->merge_order);
    free(f->added);
    memset(f, 0, sizeof *f);
    f->eos_id = f->bos_id = -1;
}

void tr_bpe_files_fill_ir(const tr_bpe_files *f, tr_ir_tokenizer *tk)
{
    tk->kind = TR_TOKENIZER_BYTE_LEVEL_BPE;
    tk->tokens = f->tokens;
    tk->lens = f->lens;
    tk->count = f->count;
    tk->merges = f->merges;
    tk->n_merges = f->n_merges;
    tk->merge_ids = f->merge_ids;
    tk->merge_order = f->merge_order;
    tk->byte_ids = f->byte_ids;
    tk->added = f->added;
    tk->n_added = f->n_added;
    tk->eos_id = f->eos_id;
    tk->bos_id = f->bos_id;
    tk->unk_id = tk->cls_id = tk->sep_id = tk->pad_id = -1;
}

int32_t tr_bpe_files_find(const tr_bpe_files *f, const char *text)
{
    size_t n = strlen(text);
    for (size_t i = 0; i < f->n_added; i++) {
        int32_t id = f->added[i].id;
        if (f->lens[id] == n && memcmp(f->tokens[id], text, n) == 0)
            return id;
    }
    for (size_t i = 0; i < f->count; i++)
        if (f->lens[i] == n && memcmp(f->tokens[i], text, n) == 0)
            return (int32_t)i;
    return -1;
}
