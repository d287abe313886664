/* tokenizer_files.c - WordPiece vocabulary and normalizer flags of a BERT
 * checkpoint folder, from tokenizer.json (the fast tokenizer) or vocab.txt
 * (the slow BertTokenizer), with tokenizer_config.json settings applied.
 *
 * Both sources must end up with the same description: tokens in id order
 * with no holes, resolved flags, and the ids of the special tokens. */
#include "converter/hf/tokenizer_files.h"

#include "converter/hf/json.h"
#include "tinyrank.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int tr_wp_error(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static char *tr_wp_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    size_t k = a;
    if (a > 0 && dir[a - 1] != '/')
        p[k++] = '/';
    memcpy(p + k, name, b + 1);
    return p;
}

static bool tr_wp_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *tr_wp_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* True when s[0..n) is valid UTF-8 (RFC 3629: no overlongs, surrogates or
 * values above U+10FFFF), as Python's strict utf-8 decoding requires. */
static bool tr_wp_valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 2;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 3;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 4;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (n - i < need)
            return false;
        for (size_t k = 1; k < need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += need;
    }
    return true;
}

/* ------------------------------------------------------------ token table */

/* Places token text at `id`, growing the table (bounded by `limit`, the
 * number of entries the files declare: an id at or past it must leave a
 * hole). The same id given twice must carry the same text. */
static int tr_wp_put(tr_wp_files *v, size_t *cap, long long id, const char *text, size_t len, size_t limit,
                     const char *what, char *err, size_t errlen)
{
    if (id < 0 || (unsigned long long)id >= limit)
        return tr_wp_error(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                           "%s: token '%s' has id %lld outside 0..%zu (the ids would have holes)", what, text, id,
                           limit ? limit - 1 : 0);
    size_t i = (size_t)id;
    if (i >= *cap) {
        size_t ncap = *cap ? *cap : 1024;
        while (ncap <= i)
            ncap *= 2;
        if (ncap > limit)
            ncap = limit;
        char **t = realloc(v->tokens, ncap * sizeof *t);
        if (!t)
            return tr_wp_error(err, errlen, TINYRANK_ERR_IO, "out of memory");
        v->tokens = t;
        size_t *l = realloc(v->lens, ncap * sizeof *l);
        if (!l)
            return tr_wp_error(err, errlen, TINYRANK_ERR_IO, "out of memory");
        v->lens = l;
        for (size_t k = *cap; k < ncap; k++) {
            v->tokens[k] = NULL;
            v->lens[k] = 0;
        }
        *cap = ncap;
    }
    if (v->tokens[i]) {
        if (v->lens[i] == len && memcmp(v->tokens[i], text, len) == 0)
            return TINYRANK_OK;
        return tr_wp_error(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "%s: id %zu is both '%s' and '%s'", what, i,
                           v->tokens[i], text);
    }
    v->tokens[i] = tr_wp_strndup(text, len);
    if (!v->tokens[i])
        return tr_wp_error(err, errlen, TINYRANK_ERR_IO, "out of memory");
    v->lens[i] = len;
    if (i + 1 > v->count)
        v->count = i + 1;
    return TINYRANK_OK;
}

static const tr_wp_files *tr_wp_sort_ctx; /* qsort has no context argument */

static int tr_wp_cmp_ids(const void *a, const void *b)
{
    const tr_wp_files *v = tr_wp_sort_ctx;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    size_t n = v->lens[x] < v->lens[y] ? v->lens[x] : v->lens[y];
    int c = memcmp(v->tokens[x], v->tokens[y], n);
    if (c)
        return c;
    if (v->lens[x] != v->lens[y])
        return v->lens[x] < v->lens[y] ? -1 : 1;
    return x < y ? -1 : (x > y);
}

/* No holes, and every text names exactly one id (else lookup by text, which
 * the tokenizer does, would be ambiguous). */
static int tr_wp_check_table(const tr_wp_files *v, const char *what, char *err, size_t errlen)
{
    if (v->count == 0)
        return tr_wp_error(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "%s: empty vocabulary", what);
    for (size_t i = 0; i < v->count; i++) {
        if (!v->tokens[i])
            return tr_wp_error(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "%s: no token has id %zu", what, i);
    }
    size_t *order = malloc(v->count * sizeof *order);
    if (!order)
        return tr_wp_error(err, errlen, TINYRANK_ERR_IO, "out of memory");
    for (size_t i = 0; i < v->count; i++)
        order[i] = i;
    tr_wp_sort_ctx = v;
    qsort(order, v->count, sizeof *order, tr_wp_cmp_ids);
    tr_wp_sort_ctx = NULL;
    int rc = TINYRANK_OK;
    for (size_t i = 1; i < v->count; i++) {
        size_t a = order[i - 1], b = order[i];
        if (v->lens[a] == v->lens[b] && memcmp(v->tokens[a], v->tokens[b], v->lens[a]) == 0) {
            rc = tr_wp_error(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "%s: token '%s' appears twice (ids %zu and %zu)",
                             what, v->tokens[a], a, b);
            break;
        }
    }
    free(order);
    return rc;
}

int32_t tr_wp_files_find(const tr_wp_files *v, const char *token)
{
    if (!v || !token)
        return -1;
    size_t n = strlen(token);
    for (size_t i = 0; i < v->count; i++) {
        if (v->tokens[i] && v->lens[i] == n && memcmp(v->tokens[i], token, n) == 0)
            return (int32_t)i;
    }
    return -1;
}

void tr_wp_files_free(tr_wp_files *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->count; i++)
        free(v->tokens ? v->tokens[i] : NULL);
    free(v->tokens);
    free(v->lens);
    free(v->prefix);
    free(v->special_ids);
    memset(v, 0, sizeof *v);
}

/* ----------------------------------------------------------- JSON files */

static int tr_wp_read_json(const char *path, tr_json **out, char *err, size_t errlen)
{
    char jerr[256];
    size_t len = 0;
    char *text = tr_read_file(path, &len, jerr, sizeof jerr);
    if (!text)
        return tr_wp_error(err, errlen, TINYRANK_ERR_IO, "%s", jerr);
    *out = tr_json_parse(text, len, jerr, sizeof jerr);
    free(text);
    if (!*out)
        return tr_wp_error(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "%s: %s", path, jerr);
    if ((*out)->type != TR_JSON_OBJECT) {
        tr_json_free(*out);
        *out = NULL;
        return tr_wp_error(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "%s: not a JSON object", path);
    }
    return TINYRANK_OK;
}

/* A special token setting of tokenizer_config.json: a plain string, or an
 * AddedToken object {"content": "...", ...} as newer transformers write. */
static const char *tr_wp_token_setting(const tr_json *cfg, const char *key, const char *dflt)
{
    const tr_json *t = tr_json_get(cfg, key);
    if (!t)
        return dflt;
    if (t->type == TR_JSON_STRING)
        return t->string;
    if (t->type == TR_JSON_OBJECT)
        return tr_json_get_string(t, "content", dflt);
    return dflt;
}

/* Reads a bool-or-null setting: 1 true, 0 false, -1 null, `absent` when the
 * key is not there. */
static int tr_wp_tristate(const tr_json *obj, const char *key, int absent)
{
    const tr_json *t = tr_json_get(obj, key);
    if (!t)
        return absent;
    if (t->type == TR_JSON_BOOL)
        return t->boolean ? 1 : 0;
    if (t->type == TR_JSON_NULL)
        return -1;
    return absent;
}

/* ------------------------------------------------------------ vocab.txt */

/* transformers' load_vocab: Python text mode readlines() (universal
 * newlines: "\n", "\r\n" and "\r" all end a line), then rstrip("\n") only,
 * so spaces stay part of a token and an empty line is an (empty) token. */
static int tr_wp_load_vocab_txt(const char *path, tr_wp_files *v, char *err, size_t errlen)
{
    char ferr[256];
    size_t len = 0;
    char *text = tr_read_file(path, &len, ferr, sizeof ferr);
    if (!text)
        return tr_wp_error(err, errlen, TINYRANK_ERR_IO, "%s", ferr);
    int rc = TINYRANK_OK;
    if (!tr_wp_valid_utf8((const unsigned char *)text, len)) {
        rc = tr_wp_error(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "%s: not valid UTF-8", path);
        goto done;
    }
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= len || text[i + 1] != '\n')))
            lines++;
    }
    if (len > 0 && text[len - 1] != '\n' && text[len - 1] != '\r')
        lines++; /* last line without newline */
    size_t cap = 0;
    size_t start = 0, id = 0;
    for (size_t i = 0; i <= len; i++) {
        bool eol = i < len && (text[i] == '\n' || text[i] == '\r');
        if (!eol && i < len)
            continue;
        if (i == len && start == len)
            break; /* nothing after the final newline */
        rc = tr_wp_put(v, &cap, (long long)id, text + start, i - start, lines, path, err, errlen);
        if (rc != TINYRANK_OK)
            goto done;
        id++;
        if (i < len && text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
            i++;
        start = i + 1;
    }
    rc = tr_wp_check_table(v, path, err, errlen);
done:
    free(text);
    return rc;
}

/* ------------------------------------------------------- tokenizer.json */

/* *unk receives a malloc'd copy of model.unk_token. */
static int tr_wp_load_tokenizer_json(const char *path, tr_wp_files *v, int *strip, char **unk, char *err,
                                     size_t errlen)
{
    tr_json *root = NULL;
    int rc = tr_wp_read_json(path, &root, err, errlen);
    if (rc != TINYRANK_OK)
        return rc;
    const int bad = TINYRANK_ERR_CORRUPT_MODEL;
    const tr_json *model = tr_json_get(root, "model");
    const char *type = tr_json_get_string(model, "type", NULL);
    if (!model || model->type != TR_JSON_OBJECT || !type) {
        rc = tr_wp_error(err, errlen, bad, "%s: missing \"model\" object with a \"type\"", path);
        goto done;
    }
    if (strcmp(type, "WordPiece") != 0) {
        rc = tr_wp_error(err, errlen, TINYRANK_ERR_UNSUPPORTED,
                         "%s: model type \"%s\" is not WordPiece (only BERT WordPiece tokenizers are read here)",
                         path, type);
        goto done;
    }
    const tr_json *norm = tr_json_get(root, "normalizer");
    const char *ntype = tr_json_get_string(norm, "type", NULL);
    if (!ntype || strcmp(ntype, "BertNormalizer") != 0) {
        rc = tr_wp_error(err, errlen, TINYRANK_ERR_UNSUPPORTED, "%s: normalizer \"%s\" is not BertNormalizer", path,
                         ntype ? ntype : "null");
        goto done;
    }
    const tr_json *pre = tr_json_get(root, "pre_tokenizer");
    const char *ptype = tr_json_get_string(pre, "type", NULL);
    if (!ptype || strcmp(ptype, "BertPreTokenizer") != 0) {
        rc = tr_wp_error(err, errlen, TINYRANK_ERR_UNSUPPORTED, "%s: pre_tokenizer \"%s\" is not BertPreTokenizer",
                         path, ptype ? ptype : "null");
        goto done;
    }
    /* BertNormalizer's defaults, as in the tokenizers library. */
    v->clean_text = tr_json_get_bool(norm, "clean_text", true);
    v->split_chinese_chars = tr_json_get_bool(norm, "handle_chinese_chars", true);
    v->lowercase = tr_json_get_bool(norm, "lowercase", true);
    *strip = tr_wp_tristate(norm, "strip_accents", -1);

    const char *prefix = tr_json_get_string(model, "continuing_subword_prefix", "##");
    v->prefix = tr_wp_strndup(prefix, strlen(prefix));
    if (!v->prefix) {
        rc = tr_wp_error(err, errlen, TINYRANK_ERR_IO, "out of memory");
        goto done;
    }
    long long maxc = tr_json_get_int(model, "max_input_chars_per_word", 100);
    if (maxc <= 0 || maxc > 1000000) {
        rc = tr_wp_error(err, errlen, bad, "%s: max_input_chars_per_word %lld out of range", path, maxc);
        goto done;
    }
    v->max_chars_per_word = (int)maxc;

    const tr_json *vocab = tr_json_get(model, "vocab");
    if (!vocab || vocab->type != TR_JSON_OBJECT) {
        rc = tr_wp_error(err, errlen, bad, "%s: missing \"model.vocab\" object", path);
        goto done;
    }
    const tr_json *added = tr_json_get(root, "added_tokens");
    if (added && added->type != TR_JSON_ARRAY && added->type != TR_JSON_NULL) {
        rc = tr_wp_error(err, errlen, bad, "%s: \"added_tokens\" is not an array", path);
        goto done;
    }
    size_t nadded = (added && added->type == TR_JSON_ARRAY) ? added->len : 0;
    size_t limit = vocab->len + nadded;
    size_t cap = 0;
    for (size_t i = 0; i < vocab->len; i++) {
        const tr_json *id = &vocab->items[i];
        if (id->type != TR_JSON_NUMBER || !id->is_integer) {
            rc = tr_wp_error(err, errlen, bad, "%s: vocab entry '%s' has no integer id", path, vocab->keys[i]);
            goto done;
        }
        rc = tr_wp_put(v, &cap, id->integer, vocab->keys[i], strlen(vocab->keys[i]), limit, path, err, errlen);
        if (rc != TINYRANK_OK)
            goto done;
    }
    /* Added tokens may repeat vocabulary entries (same id) or extend the
     * vocabulary past its end. */
    size_t nspecial = 0;
    int32_t *special = malloc((nadded ? nadded : 1) * sizeof *special);
    if (!special) {
        rc = tr_wp_error(err, errlen, TINYRANK_ERR_IO, "out of memory");
        goto done;
    }
    v->special_ids = special;
    for (size_t i = 0; i < nadded; i++) {
        const tr_json *t = &added->items[i];
        const tr_json *id = tr_json_get(t, "id");
        const tr_json *content = tr_json_get(t, "content");
        if (!id || id->type != TR_JSON_NUMBER || !id->is_integer || !content || content->type != TR_JSON_STRING) {
            rc = tr_wp_error(err, errlen, bad, "%s: added_tokens[%zu] needs an integer \"id\" and a \"content\"", path,
                             i);
            goto done;
        }
        rc = tr_wp_put(v, &cap, id->integer, content->string, content->len, limit, path, err, errlen);
        if (rc != TINYRANK_OK)
            goto done;
        if (tr_json_get_bool(t, "special", false))
            special[nspecial++] = (int32_t)id->integer;
    }
    v->num_special = nspecial;
    const char *u = tr_json_get_string(model, "unk_token", NULL);
    if (!u) {
        rc = tr_wp_error(err, errlen, bad, "%s: model.unk_token missing", path);
        goto done;
    }
    *unk = tr_wp_strndup(u, strlen(u));
    if (!*unk) {
        rc = tr_wp_error(err, errlen, TINYRANK_ERR_IO, "out of memory");
        goto done;
    }
    rc = tr_wp_check_table(v, path, err, errlen);
done:
    tr_json_free(root);
    return rc;
}

/* --------------------------------------------------------------- common */

static int tr_wp_cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Adds tokenizer_config.json's added_tokens_decoder {"id": {"content",
 * "special"}} (newer transformers) to the table and the special list. */
static int tr_wp_config_added(tr_wp_files *v, const tr_json *cfg, const char *path, char *err, size_t errlen)
{
    const tr_json *dec = tr_json_get(cfg, "added_tokens_decoder");
    if (!dec || dec->type != TR_JSON_OBJECT || dec->len == 0)
        return TINYRANK_OK;
    size_t cap = v->count;
    size_t limit = v->count + dec->len;
    int32_t *sp = realloc(v->special_ids, (v->num_special + dec->len + 5) * sizeof *sp);
    if (!sp)
        return tr_wp_error(err, errlen, TINYRANK_ERR_IO, "out of memory");
    v->special_ids = sp;
    for (size_t i = 0; i < dec->len; i++) {
        const char *content = tr_json_get_string(&dec->items[i], "content", NULL);
        char *end = NULL;
        long long id = strtoll(dec->keys[i], &end, 10);
        if (!content || !end || *end != '\0' || end == dec->keys[i])
            return tr_wp_error(err, errlen, TINYRANK_ERR_CORRUPT_MODEL,
                               "%s: added_tokens_decoder entry '%s' needs a numeric key and a \"content\"", path,
                               dec->keys[i]);
        int rc = tr_wp_put(v, &cap, id, content, strlen(content), limit, path, err, errlen);
        if (rc != TINYRANK_OK)
            return rc;
        if (tr_json_get_bool(&dec->items[i], "special", false))
            v->special_ids[v->num_special++] = (int32_t)id;
    }
    return TINYRANK_OK;
}

/* Looks up the named special tokens and builds the sorted special list. */
static int tr_wp_resolve_specials(tr_wp_files *v, const tr_json *cfg, const char *unk_name, const char *what,
                                  char *err, size_t errlen)
{
    const char *names[5] = {
        unk_name ? unk_name : tr_wp_token_setting(cfg, "unk_token", "[UNK]"),
        tr_wp_token_setting(cfg, "cls_token", "[CLS]"),
        tr_wp_token_setting(cfg, "sep_token", "[SEP]"),
        tr_wp_token_setting(cfg, "pad_token", "[PAD]"),
        tr_wp_token_setting(cfg, "mask_token", "[MASK]"),
    };
    int32_t ids[5];
    for (int k = 0; k < 5; k++) {
        ids[k] = tr_wp_files_find(v, names[k]);
        if (ids[k] < 0 && k < 3)
            return tr_wp_error(err, errlen, TINYRANK_ERR_CORRUPT_MODEL, "%s: special token '%s' is not in the vocabulary",
                               what, names[k]);
    }
    v->unk_id = ids[0];
    v->cls_id = ids[1];
    v->sep_id = ids[2];
    v->pad_id = ids[3];
    v->mask_id = ids[4];
    int32_t *sp = realloc(v->special_ids, (v->num_special + 5) * sizeof *sp);
    if (!sp)
        return tr_wp_error(err, errlen, TINYRANK_ERR_IO, "out of memory");
    v->special_ids = sp;
    for (int k = 0; k < 5; k++) {
        if (ids[k] >= 0)
            sp[v->num_special++] = ids[k];
    }
    qsort(sp, v->num_special, sizeof *sp, tr_wp_cmp_i32);
    size_t n = 0;
    for (size_t i = 0; i < v->num_special; i++) {
        if (n == 0 || sp[n - 1] != sp[i])
            sp[n++] = sp[i];
    }
    v->num_special = n;
    return TINYRANK_OK;
}

int tr_wp_files_load(const char *dir, int source, tr_wp_files *out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!out || !dir)
        return tr_wp_error(err, errlen, TINYRANK_ERR_INVALID_ARGUMENT, "tr_wp_files_load: NULL argument");
    memset(out, 0, sizeof *out);
    out->unk_id = out->cls_id = out->sep_id = out->pad_id = out->mask_id = -1;
    if (source < TR_WP_SOURCE_AUTO || source > TR_WP_SOURCE_VOCAB_TXT)
        return tr_wp_error(err, errlen, TINYRANK_ERR_INVALID_ARGUMENT, "tr_wp_files_load: bad source %d", source);

    char *tj_path = tr_wp_join(dir, "tokenizer.json");
    char *vt_path = tr_wp_join(dir, "vocab.txt");
    char *cfg_path = tr_wp_join(dir, "tokenizer_config.json");
    tr_json *cfg = NULL;
    char *unk_name = NULL; /* declared before any goto done */
    int rc = TINYRANK_OK;
    if (!tj_path || !vt_path || !cfg_path) {
        rc = tr_wp_error(err, errlen, TINYRANK_ERR_IO, "out of memory");
        goto done;
    }
    if (tr_wp_exists(cfg_path)) {
        rc = tr_wp_read_json(cfg_path, &cfg, err, errlen);
        if (rc != TINYRANK_OK)
            goto done;
    }
    if (source == TR_WP_SOURCE_AUTO)
        source = tr_wp_exists(tj_path) ? TR_WP_SOURCE_TOKENIZER_JSON
                 : tr_wp_exists(vt_path) ? TR_WP_SOURCE_VOCAB_TXT
                                         : -1;
    if (source < 0) {
        rc = tr_wp_error(err, errlen, TINYRANK_ERR_IO, "%s: neither tokenizer.json nor vocab.txt found", dir);
        goto done;
    }
    out->source = source;

    int strip = -1; /* null: follow lowercase */
    const char *what;
    if (source == TR_WP_SOURCE_TOKENIZER_JSON) {
        what = tj_path;
        rc = tr_wp_load_tokenizer_json(tj_path, out, &strip, &unk_name, err, errlen);
    } else {
        /* The slow BertTokenizer's fixed behaviour and defaults. */
        what = vt_path;
        out->clean_text = true;
        out->lowercase = true;
        out->split_chinese_chars = true;
        out->max_chars_per_word = 100;
        out->prefix = tr_wp_strndup("##", 2);
        rc = out->prefix ? tr_wp_load_vocab_txt(vt_path, out, err, errlen)
                         : tr_wp_error(err, errlen, TINYRANK_ERR_IO, "out of memory");
    }
    if (rc != TINYRANK_OK)
        goto done;

    if (cfg) {
        /* Settings written in tokenizer_config.json win: transformers passes
         * them to the tokenizer, and the fast one rebuilds its normalizer
         * when they differ from tokenizer.json. */
        int lc = tr_wp_tristate(cfg, "do_lower_case", -2);
        if (lc >= 0)
            out->lowercase = lc == 1;
        int sa = tr_wp_tristate(cfg, "strip_accents", -2);
        if (sa != -2)
            strip = sa;
        int cc = tr_wp_tristate(cfg, "tokenize_chinese_chars", -2);
        if (cc >= 0)
            out->split_chinese_chars = cc == 1;
        rc = tr_wp_config_added(out, cfg, cfg_path, err, errlen);
        if (rc != TINYRANK_OK)
            goto done;
        rc = tr_wp_check_table(out, what, err, errlen);
        if (rc != TINYRANK_OK)
            goto done;
    }
    out->strip_accents = strip < 0 ? out->lowercase : strip == 1;

    /* tokenizer.json names its own unknown token (unk_name); vocab.txt
     * takes it from tokenizer_config.json or the default "[UNK]". */
    rc = tr_wp_resolve_specials(out, cfg, unk_name, what, err, errlen);
done:
    free(unk_name);
    tr_json_free(cfg);
    free(tj_path);
    free(vt_path);
    free(cfg_path);
    return rc;
}
