/* unigram_files.c - see unigram_files.h. Two readers (spiece.model's
 * protobuf, tokenizer.json) that must end with the same description, then
 * the added tokens by the slow T5Tokenizer's rules. */
#include "converter/hf/unigram_files.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "converter/hf/json.h"
#include "tinyrank.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unigram.h"

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

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool alloc_pieces(tr_unigram_files *f, size_t n)
{
    f->tokens = calloc(n ? n : 1, sizeof *f->tokens);
    f->lens = calloc(n ? n : 1, sizeof *f->lens);
    f->scores = calloc(n ? n : 1, sizeof *f->scores);
    f->types = calloc(n ? n : 1, sizeof *f->types);
    return f->tokens && f->lens && f->scores && f->types;
}

static char *dup_bytes(const void *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* ---- spiece.model: protobuf wire format (varint keys; wire types 0
 * varint, 1 fixed64, 2 length-delimited, 5 fixed32) */

typedef struct pb {
    const uint8_t *p, *end;
} pb;

static bool pb_varint(pb *r, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && r->p < r->end; shift += 7) {
        uint8_t b = *r->p++;
        *v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

/* Reads one field: its number, wire type, and value (varint/fixed in *v,
 * bytes in *data, *len). false when malformed. */
static bool pb_field(pb *r, uint32_t *field, uint32_t *wire, uint64_t *v, const uint8_t **data,
                     size_t *len)
{
    uint64_t key;
    if (!pb_varint(r, &key) || (key >> 3) == 0 || (key >> 3) > 0x1FFFFFFF)
        return false;
    *field = (uint32_t)(key >> 3);
    *wire = (uint32_t)(key & 7);
    switch (*wire) {
    case 0:
        return pb_varint(r, v);
    case 1:
    case 5: {
        size_t n = *wire == 1 ? 8 : 4;
        if ((size_t)(r->end - r->p) < n)
            return false;
        *v = 0;
        for (size_t i = 0; i < n; i++)
            *v |= (uint64_t)r->p[i] << (8 * i);
        r->p += n;
        return true;
    }
    case 2:
        if (!pb_varint(r, v) || *v > (uint64_t)(r->end - r->p))
            return false;
        *data = r->p;
        *len = (size_t)*v;
        r->p += *len;
        return true;
    default:
        return false; /* groups are not used by sentencepiece */
    }
}

static int parse_piece(const uint8_t *d, size_t n, tr_unigram_files *f, size_t i, char *err,
                       size_t errlen)
{
    pb r = {d, d + n};
    const uint8_t *s = NULL;
    size_t slen = 0;
    float score = 0.0f;
    uint64_t type = TR_PIECE_NORMAL;
    while (r.p < r.end) {
        uint32_t field, wire;
        uint64_t v = 0;
        const uint8_t *data = NULL;
        size_t len = 0;
        if (!pb_field(&r, &field, &wire, &v, &data, &len))
            return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                        "spiece.model: piece %zu is malformed", i);
        if (field == 1 && wire == 2) {
            s = data;
            slen = len;
        } else if (field == 2 && wire == 5) {
            uint32_t bits = (uint32_t)v;
            memcpy(&score, &bits, 4);
        } else if (field == 3 && wire == 0) {
            type = v;
        }
    }
    if (s == NULL || slen == 0 || type < TR_PIECE_NORMAL || type > TR_PIECE_BYTE)
        return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                    "spiece.model: piece %zu has no text or an unknown type", i);
    f->tokens[i] = dup_bytes(s, slen);
    if (!f->tokens[i])
        return fail(err, errlen, TINYRANK_ERR_INTERNAL, "out of memory");
    f->lens[i] = slen;
    f->scores[i] = score;
    f->types[i] = (uint8_t)type;
    return TINYRANK_OK;
}

static int parse_normalizer(const uint8_t *d, size_t n, tr_unigram_files *f, char *err,
                            size_t errlen)
{
    pb r = {d, d + n};
    while (r.p < r.end) {
        uint32_t field, wire;
        uint64_t v = 0;
        const uint8_t *data = NULL;
        size_t len = 0;
        if (!pb_field(&r, &field, &wire, &v, &data, &len))
            return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                        "spiece.model: normalizer_spec is malformed");
        if (field == 2 && wire == 2) {
            free(f->charsmap);
            f->charsmap = malloc(len ? len : 1);
            if (!f->charsmap)
                return fail(err, errlen, TINYRANK_ERR_INTERNAL, "out of memory");
            memcpy(f->charsmap, data, len);
            f->charsmap_len = len;
        } else if (field == 3 && wire == 0) {
            f->add_dummy_prefix = v != 0;
        } else if (field == 4 && wire == 0) {
            f->remove_extra_whitespaces = v != 0;
        } else if (field == 5 && wire == 0 && v == 0) {
            return fail(err, errlen, TINYRANK_ERR_UNSUPPORTED,
                        "spiece.model: escape_whitespaces=false is not supported");
        } else if (field == 6 && wire == 2 && len > 0) {
            return fail(err, errlen, TINYRANK_ERR_UNSUPPORTED,
                        "spiece.model: normalization_rule_tsv is not supported (only precompiled "
                        "charsmaps)");
        }
    }
    return TINYRANK_OK;
}

static int parse_trainer(const uint8_t *d, size_t n, char *err, size_t errlen)
{
    pb r = {d, d + n};
    while (r.p < r.end) {
        uint32_t field, wire;
        uint64_t v = 0;
        const uint8_t *data = NULL;
        size_t len = 0;
        if (!pb_field(&r, &field, &wire, &v, &data, &len))
            return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                        "spiece.model: trainer_spec is malformed");
        if (field == 3 && wire == 0 && v != 1)
            return fail(err, errlen, TINYRANK_ERR_UNSUPPORTED,
                        "spiece.model: model_type %llu is not UNIGRAM", (unsigned long long)v);
        if (field == 24 && wire == 0 && v != 0)
            return fail(err, errlen, TINYRANK_ERR_UNSUPPORTED,
                        "spiece.model: treat_whitespace_as_suffix is not supported");
    }
    return TINYRANK_OK;
}

int tr_unigram_parse_spiece(const uint8_t *data, size_t len, tr_unigram_files *f, char *err,
                            size_t errlen)
{
    f->add_dummy_prefix = true;
    f->remove_extra_whitespaces = true;
    /* pass 1: count pieces; pass 2: read everything */
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        pb r = {data, data + len};
        size_t i = 0;
        while (r.p < r.end) {
            uint32_t field, wire;
            uint64_t v = 0;
            const uint8_t *d = NULL;
            size_t dl = 0;
            if (!pb_field(&r, &field, &wire, &v, &d, &dl))
                return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                            "spiece.model: not a sentencepiece model (bad protobuf)");
            if (wire != 2)
                continue;
            int rc = TINYRANK_OK;
            if (field == 1) {
                if (pass == 1)
                    rc = parse_piece(d, dl, f, i, err, errlen);
                i++;
            } else if (pass == 1 && field == 2) {
                rc = parse_trainer(d, dl, err, errlen);
            } else if (pass == 1 && field == 3) {
                rc = parse_normalizer(d, dl, f, err, errlen);
            }
            if (rc != TINYRANK_OK)
                return rc;
        }
        if (pass == 0) {
            n = i;
            if (n == 0 || n > 0x7FFFFFF)
                return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "spiece.model: %zu pieces", n);
            if (!alloc_pieces(f, n))
                return fail(err, errlen, TINYRANK_ERR_INTERNAL, "out of memory");
            f->count = n;
        }
    }
    f->unk_id = f->eos_id = f->pad_id = f->bos_id = -1;
    for (size_t i = 0; i < n; i++)
        if (f->types[i] == TR_PIECE_UNKNOWN && f->unk_id < 0)
            f->unk_id = (int32_t)i;
    if (f->unk_id < 0)
        return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "spiece.model: no unknown piece");
    f->source = TR_UNI_SOURCE_SPIECE_MODEL;
    return TINYRANK_OK;
}

/* ---- tokenizer.json */

static int base64_decode(const char *s, size_t n, uint8_t **out, size_t *out_len)
{
    uint8_t *o = malloc(n / 4 * 3 + 3);
    if (!o)
        return TINYRANK_ERR_INTERNAL;
    uint32_t acc = 0;
    int bits = 0;
    size_t k = 0, i = 0;
    for (; i < n && s[i] != '='; i++) {
        char c = s[i];
        int v = c >= 'A' && c <= 'Z'   ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '+'             ? 62
                : c == '/'             ? 63
                                       : -1;
        if (v < 0) {
            free(o);
            return TINYRANK_ERR_CORRUPT_MODEL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[k++] = (uint8_t)(acc >> bits);
        }
    }
    for (; i < n; i++)
        if (s[i] != '=') {
            free(o);
            return TINYRANK_ERR_CORRUPT_MODEL;
        }
    *out = o;
    *out_len = k;
    return TINYRANK_OK;
}

/* One normalizer of tokenizer.json: Precompiled gives the charsmap; the
 * Replace of runs of spaces by one (XLM-R) is what remove_extra_whitespaces
 * does anyway. */
static int read_normalizer(const tr_json *nz, tr_unigram_files *f, char *err, size_t errlen)
{
    if (nz == NULL || nz->type == TR_JSON_NULL)
        return TINYRANK_OK;
    const char *type = tr_json_get_string(nz, "type", "");
    if (strcmp(type, "Sequence") == 0) {
        const tr_json *list = tr_json_get(nz, "normalizers");
        if (!list || list->type != TR_JSON_ARRAY)
            return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                        "tokenizer.json: bad normalizer Sequence");
        for (size_t i = 0; i < list->len; i++) {
            int rc = read_normalizer(&list->items[i], f, err, errlen);
            if (rc != TINYRANK_OK)
                return rc;
        }
        return TINYRANK_OK;
    }
    if (strcmp(type, "Precompiled") == 0) {
        const tr_json *cm = tr_json_get(nz, "precompiled_charsmap");
        if (!cm || cm->type != TR_JSON_STRING ||
            base64_decode(cm->string, cm->len, &f->charsmap, &f->charsmap_len) != TINYRANK_OK)
            return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                        "tokenizer.json: precompiled_charsmap is not base64");
        return TINYRANK_OK;
    }
    if (strcmp(type, "Replace") == 0) {
        const tr_json *pat = tr_json_get(nz, "pattern");
        const char *re = pat ? tr_json_get_string(pat, "Regex", "") : "";
        if (strcmp(re, " {2,}") == 0 && strcmp(tr_json_get_string(nz, "content", ""), " ") == 0) {
            f->collapse_spaces = true;
            return TINYRANK_OK;
        }
    }
    return fail(err, errlen, TINYRANK_ERR_UNSUPPORTED,
                "tokenizer.json: normalizer %s is not supported for Unigram", type);
}

/* Metaspace (alone or after WhitespaceSplit): its prefix setting. */
static int read_pre_tokenizer(const tr_json *pt, tr_unigram_files *f, char *err, size_t errlen)
{
    if (pt == NULL || pt->type == TR_JSON_NULL)
        return fail(err, errlen, TINYRANK_ERR_UNSUPPORTED,
                    "tokenizer.json: Unigram without Metaspace");
    const char *type = tr_json_get_string(pt, "type", "");
    if (strcmp(type, "Sequence") == 0) {
        const tr_json *list = tr_json_get(pt, "pretokenizers");
        if (!list || list->type != TR_JSON_ARRAY)
            return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                        "tokenizer.json: bad pre_tokenizer Sequence");
        int rc = TINYRANK_ERR_UNSUPPORTED;
        for (size_t i = 0; i < list->len; i++) {
            const char *t = tr_json_get_string(&list->items[i], "type", "");
            if (strcmp(t, "WhitespaceSplit") == 0) {
                f->whitespace_split = true;
                continue;
            }
            rc = read_pre_tokenizer(&list->items[i], f, err, errlen);
            if (rc != TINYRANK_OK)
                return rc;
        }
        return rc == TINYRANK_OK
                   ? rc
                   : fail(err, errlen, rc, "tokenizer.json: Unigram without Metaspace");
    }
    if (strcmp(type, "Metaspace") != 0)
        return fail(err, errlen, TINYRANK_ERR_UNSUPPORTED,
                    "tokenizer.json: pre_tokenizer %s is not supported for Unigram", type);
    if (strcmp(tr_json_get_string(pt, "replacement", "\xe2\x96\x81"), "\xe2\x96\x81") != 0)
        return fail(err, errlen, TINYRANK_ERR_UNSUPPORTED,
                    "tokenizer.json: Metaspace replacement is not U+2581");
    const char *scheme = tr_json_get_string(pt, "prepend_scheme", NULL);
    if (scheme != NULL)
        f->add_dummy_prefix = strcmp(scheme, "never") != 0;
    else
        f->add_dummy_prefix = tr_json_get_bool(pt, "add_prefix_space", true);
    return TINYRANK_OK;
}

static int parse_tokenizer_json(const char *path, tr_unigram_files *f, tr_json **added_out,
                                char *err, size_t errlen)
{
    size_t len;
    char jerr[256];
    char *text = tr_read_file(path, &len, jerr, sizeof jerr);
    if (!text)
        return fail(err, errlen, TINYRANK_ERR_IO, "%s", jerr);
    tr_json *root = tr_json_parse(text, len, jerr, sizeof jerr);
    free(text);
    if (!root)
        return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "%s: %s", path, jerr);
    int rc = TINYRANK_OK;
    const tr_json *model = tr_json_get(root, "model");
    const tr_json *vocab = model ? tr_json_get(model, "vocab") : NULL;
    /* older exports (t5-small's) write no model.type: the [piece, score]
     * vocabulary below is what tells Unigram apart then */
    if (!model || strcmp(tr_json_get_string(model, "type", "Unigram"), "Unigram") != 0) {
        rc = fail(err, errlen, TINYRANK_ERR_UNSUPPORTED, "%s: model is not Unigram", path);
        goto out;
    }
    if (tr_json_get_bool(model, "byte_fallback", false)) {
        rc =
            fail(err, errlen, TINYRANK_ERR_UNSUPPORTED, "%s: byte_fallback is not supported", path);
        goto out;
    }
    if (!vocab || vocab->type != TR_JSON_ARRAY || vocab->len == 0) {
        rc = fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "%s: model.vocab is not a list", path);
        goto out;
    }
    if (!alloc_pieces(f, vocab->len)) {
        rc = fail(err, errlen, TINYRANK_ERR_INTERNAL, "out of memory");
        goto out;
    }
    f->count = vocab->len;
    f->scores64 = calloc(vocab->len, sizeof *f->scores64);
    if (!f->scores64) {
        rc = fail(err, errlen, TINYRANK_ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < vocab->len; i++) {
        const tr_json *e = &vocab->items[i];
        if (e->type != TR_JSON_ARRAY || e->len != 2 || e->items[0].type != TR_JSON_STRING ||
            e->items[0].len == 0 || e->items[1].type != TR_JSON_NUMBER) {
            rc = fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                      "%s: vocab entry %zu is not [piece, score]", path, i);
            goto out;
        }
        f->tokens[i] = dup_bytes(e->items[0].string, e->items[0].len);
        if (!f->tokens[i]) {
            rc = fail(err, errlen, TINYRANK_ERR_INTERNAL, "out of memory");
            goto out;
        }
        f->lens[i] = e->items[0].len;
        f->scores[i] = (float)e->items[1].number;
        f->scores64[i] = e->items[1].number;
        f->types[i] = TR_PIECE_NORMAL;
    }
    long long unk = tr_json_get_int(model, "unk_id", -1);
    if (unk < 0 || (size_t)unk >= f->count) {
        rc = fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "%s: model.unk_id is missing", path);
        goto out;
    }
    f->unk_id = (int32_t)unk;
    f->types[unk] = TR_PIECE_UNKNOWN;
    f->add_dummy_prefix = true;
    f->remove_extra_whitespaces = true; /* sentencepiece's nmt_nfkc spec (the slow reference) */
    rc = read_normalizer(tr_json_get(root, "normalizer"), f, err, errlen);
    if (rc == TINYRANK_OK)
        rc = read_pre_tokenizer(tr_json_get(root, "pre_tokenizer"), f, err, errlen);
    if (rc != TINYRANK_OK)
        goto out;
    /* hand the added tokens over (detached from root) */
    for (size_t i = 0; i < root->len; i++)
        if (strcmp(root->keys[i], "added_tokens") == 0 && root->items[i].type == TR_JSON_ARRAY) {
            *added_out = malloc(sizeof **added_out);
            if (!*added_out) {
                rc = fail(err, errlen, TINYRANK_ERR_INTERNAL, "out of memory");
                goto out;
            }
            **added_out = root->items[i];
            root->items[i].type = TR_JSON_NULL;
            root->items[i].items = NULL;
            root->items[i].keys = NULL;
            root->items[i].len = 0;
            break;
        }
    f->source = TR_UNI_SOURCE_TOKENIZER_JSON;
out:
    tr_json_free(root);
    return rc;
}

/* ---- added tokens */

static int32_t find_piece(const tr_unigram_files *f, const char *s, size_t n)
{
    for (size_t i = 0; i < f->count; i++)
        if (f->lens[i] == n && memcmp(f->tokens[i], s, n) == 0)
            return (int32_t)i;
    return -1;
}

int32_t tr_unigram_files_find(const tr_unigram_files *f, const char *piece)
{
    return find_piece(f, piece, strlen(piece));
}

static bool is_extra_id(const char *s, size_t n)
{
    if (n < 12 || memcmp(s, "<extra_id_", 10) != 0 || s[n - 1] != '>')
        return false;
    for (size_t i = 10; i < n - 1; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int add_token(tr_unigram_files *f, int32_t id, unsigned flags)
{
    for (size_t i = 0; i < f->n_added; i++)
        if (f->added[i].id == id) {
            f->added[i].flags = flags;
            return TINYRANK_OK;
        }
    tr_ir_added_token *a = realloc(f->added, (f->n_added + 1) * sizeof *a);
    if (!a)
        return TINYRANK_ERR_INTERNAL;
    f->added = a;
    a[f->n_added].id = id;
    a[f->n_added].flags = flags;
    f->n_added++;
    return TINYRANK_OK;
}

static unsigned json_flags(const tr_json *t)
{
    return (tr_json_get_bool(t, "special", true) ? TR_ADDED_SPECIAL : 0u) |
           (tr_json_get_bool(t, "lstrip", false) ? TR_ADDED_LSTRIP : 0u) |
           (tr_json_get_bool(t, "rstrip", false) ? TR_ADDED_RSTRIP : 0u) |
           (tr_json_get_bool(t, "single_word", false) ? TR_ADDED_SINGLE_WORD : 0u) |
           (tr_json_get_bool(t, "normalized", false) ? TR_ADDED_NORMALIZED : 0u);
}

/* An added token: its piece must be the vocabulary's at that id (or the
 * next id, which appends it). Special tokens become CONTROL pieces: they
 * never take part in the segmentation. */
static int put_added(tr_unigram_files *f, long long id, const char *s, size_t n, unsigned flags,
                     char *err, size_t errlen)
{
    if (id < 0 || (size_t)id > f->count)
        return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "added token %s has id %lld", s, id);
    if ((size_t)id == f->count) {
        size_t c = f->count + 1;
        char **t = realloc(f->tokens, c * sizeof *t);
        if (t)
            f->tokens = t;
        size_t *l = realloc(f->lens, c * sizeof *l);
        if (l)
            f->lens = l;
        float *sc = realloc(f->scores, c * sizeof *sc);
        if (sc)
            f->scores = sc;
        if (f->scores64) {
            double *s64 = realloc(f->scores64, c * sizeof *s64);
            if (!s64)
                return fail(err, errlen, TINYRANK_ERR_INTERNAL, "out of memory");
            f->scores64 = s64;
            s64[id] = 0.0;
        }
        uint8_t *ty = realloc(f->types, c);
        if (ty)
            f->types = ty;
        if (!t || !l || !sc || !ty || !(f->tokens[id] = dup_bytes(s, n)))
            return fail(err, errlen, TINYRANK_ERR_INTERNAL, "out of memory");
        f->lens[id] = n;
        f->scores[id] = 0.0f;
        f->types[id] = TR_PIECE_CONTROL;
        f->count = c;
    } else if (f->lens[id] != n || memcmp(f->tokens[id], s, n) != 0) {
        return fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                    "added token %s has id %lld, which is another piece", s, id);
    }
    if ((flags & TR_ADDED_SPECIAL) && f->types[id] != TR_PIECE_UNKNOWN)
        f->types[id] = TR_PIECE_CONTROL;
    if (add_token(f, (int32_t)id, flags) != TINYRANK_OK)
        return fail(err, errlen, TINYRANK_ERR_INTERNAL, "out of memory");
    return TINYRANK_OK;
}

static int cmp_added(const void *a, const void *b)
{
    int32_t x = ((const tr_ir_added_token *)a)->id, y = ((const tr_ir_added_token *)b)->id;
    return (x > y) - (x < y);
}

void tr_unigram_files_free(tr_unigram_files *f)
{
    if (f->tokens)
        for (size_t i = 0; i < f->count; i++)
            free(f->tokens[i]);
    free(f->tokens);
    free(f->lens);
    free(f->scores);
    free(f->scores64);
    free(f->types);
    free(f->charsmap);
    free(f->added);
    memset(f, 0, sizeof *f);
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (p)
        snprintf(p, a + b + 2, "%s/%s", dir, name);
    return p;
}

int tr_unigram_files_load(const char *dir, int source, tr_unigram_files *f, char *err,
                          size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->unk_id = f->eos_id = f->pad_id = f->bos_id = -1;
    char *spm = join(dir, "spiece.model"), *tj = join(dir, "tokenizer.json"),
         *tc = join(dir, "tokenizer_config.json");
    tr_json *cfg = NULL, *added = NULL;
    int rc = TINYRANK_OK;
    if (!spm || !tj || !tc) {
        rc = fail(err, errlen, TINYRANK_ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (source == TR_UNI_SOURCE_AUTO)
        source = file_exists(spm) ? TR_UNI_SOURCE_SPIECE_MODEL : TR_UNI_SOURCE_TOKENIZER_JSON;
    if (file_exists(tc)) {
        size_t len;
        char jerr[256];
        char *text = tr_read_file(tc, &len, jerr, sizeof jerr);
        if (text)
            cfg = tr_json_parse(text, len, jerr, sizeof jerr);
        free(text);
        if (!cfg) {
            rc = fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "%s: %s", tc, jerr);
            goto out;
        }
    }
    if (source == TR_UNI_SOURCE_SPIECE_MODEL) {
        size_t len;
        char jerr[256];
        char *data = tr_read_file(spm, &len, jerr, sizeof jerr);
        if (!data) {
            rc = fail(err, errlen, TINYRANK_ERR_IO, "%s", jerr);
            goto out;
        }
        rc = tr_unigram_parse_spiece((const uint8_t *)data, len, f, err, errlen);
        free(data);
        if (rc != TINYRANK_OK)
            goto out;
        /* the slow T5Tokenizer: <pad> </s> <unk> are special added tokens,
         * then extra_ids pieces <extra_id_i> at sp_size - 1 + extra_ids - i */
        static const char *const specials[3] = {"<pad>", "</s>", "<unk>"};
        for (int k = 0; k < 3 && rc == TINYRANK_OK; k++) {
            int32_t id = tr_unigram_files_find(f, specials[k]);
            if (id >= 0)
                rc = put_added(f, id, specials[k], strlen(specials[k]), TR_ADDED_SPECIAL, err,
                               errlen);
        }
        long long extra = cfg ? tr_json_get_int(cfg, "extra_ids", 100) : 100;
        if (extra < 0 || extra > 4000) {
            rc = fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "%s: extra_ids %lld", tc, extra);
            goto out;
        }
        size_t sp_size = f->count;
        for (long long k = extra - 1; k >= 0 && rc == TINYRANK_OK; k--) {
            char name[32];
            snprintf(name, sizeof name, "<extra_id_%lld>", k);
            rc = put_added(f, (long long)sp_size - 1 + extra - k, name, strlen(name),
                           TR_ADDED_SPECIAL | TR_ADDED_LSTRIP | TR_ADDED_RSTRIP, err, errlen);
        }
    } else {
        rc = parse_tokenizer_json(tj, f, &added, err, errlen);
        /* whose rules: see unigram_files.h */
        bool t5 = cfg && strcmp(tr_json_get_string(cfg, "tokenizer_class", ""), "T5Tokenizer") == 0;
        for (size_t i = 0; rc == TINYRANK_OK && added && i < added->len; i++) {
            const tr_json *content = tr_json_get(&added->items[i], "content");
            if (content && content->type == TR_JSON_STRING &&
                is_extra_id(content->string, content->len))
                t5 = true;
        }
        if (rc == TINYRANK_OK && !t5) {
            if (f->whitespace_split) {
                rc = fail(
                    err, errlen, TINYRANK_ERR_UNSUPPORTED,
                    "%s: WhitespaceSplit before Metaspace is supported for T5 tokenizers only", tj);
                goto out;
            }
            f->semantics = TR_UNIGRAM_HF_TOKENIZERS;
            f->remove_extra_whitespaces = false;
        }
        for (size_t i = 0; rc == TINYRANK_OK && added && i < added->len; i++) {
            const tr_json *a = &added->items[i];
            const tr_json *content = tr_json_get(a, "content");
            if (!content || content->type != TR_JSON_STRING || content->len == 0) {
                rc = fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                          "%s: added token %zu has no content", tj, i);
                break;
            }
            unsigned flags = json_flags(a);
            if (t5 && is_extra_id(content->string, content->len)) /* the slow T5Tokenizer's rule */
                flags |= TR_ADDED_LSTRIP | TR_ADDED_RSTRIP;
            rc = put_added(f, tr_json_get_int(a, "id", -1), content->string, content->len, flags,
                           err, errlen);
        }
    }
    if (rc != TINYRANK_OK)
        goto out;
    /* tokenizer_config.json's added_tokens_decoder overrides the flags */
    const tr_json *dec = cfg ? tr_json_get(cfg, "added_tokens_decoder") : NULL;
    for (size_t i = 0; dec && dec->type == TR_JSON_OBJECT && i < dec->len && rc == TINYRANK_OK;
         i++) {
        const tr_json *a = &dec->items[i];
        const tr_json *content = tr_json_get(a, "content");
        char *end;
        long long id = strtoll(dec->keys[i], &end, 10);
        if (*end != '\0' || !content || content->type != TR_JSON_STRING || content->len == 0) {
            rc = fail(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "%s: bad added_tokens_decoder entry",
                      tc);
            break;
        }
        rc = put_added(f, id, content->string, content->len, json_flags(a), err, errlen);
    }
    if (rc != TINYRANK_OK)
        goto out;
    qsort(f->added, f->n_added, sizeof *f->added, cmp_added);
    const char *eos = cfg ? tr_json_get_string(cfg, "eos_token", "</s>") : "</s>";
    const char *pad = cfg ? tr_json_get_string(cfg, "pad_token", "<pad>") : "<pad>";
    f->eos_id = tr_unigram_files_find(f, eos);
    f->pad_id = tr_unigram_files_find(f, pad);
    const char *bos = cfg ? tr_json_get_string(cfg, "bos_token", NULL) : NULL;
    f->bos_id = bos ? tr_unigram_files_find(f, bos) : -1; /* T5 has none */
out:
    if (added)
        tr_json_free(added);
    tr_json_free(cfg);
    free(spm);
    free(tj);
    free(tc);
    return rc;
}

void tr_unigram_files_fill_ir(const tr_unigram_files *f, tr_ir_tokenizer *tk)
{
    tk->kind = TR_TOKENIZER_UNIGRAM;
    tk->tokens = f->tokens;
    tk->lens = f->lens;
    tk->count = f->count;
    tk->scores = f->scores;
    tk->piece_types = f->types;
    tk->charsmap = f->charsmap;
    tk->charsmap_len = f->charsmap_len;
    tk->add_dummy_prefix = f->add_dummy_prefix;
    tk->remove_extra_whitespaces = f->remove_extra_whitespaces;
    tk->unigram_semantics = f->semantics;
    tk->collapse_spaces = f->collapse_spaces;
    tk->scores_f64 = f->semantics == TR_UNIGRAM_HF_TOKENIZERS ? f->scores64 : NULL;
    tk->unk_id = f->unk_id;
    tk->cls_id = tk->sep_id = -1;
    tk->pad_id = f->pad_id;
    tk->eos_id = f->eos_id;
    tk->bos_id = f->bos_id;
    tk->added = f->added;
    tk->n_added = f->n_added;
    tk->special_ids = NULL;
    tk->n_special = 0;
}
