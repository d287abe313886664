/* json.c - strict RFC 8259 reader used by the converter for config.json,
 * tokenizer.json, tokenizer_config.json and safetensors headers.
 *
 * Why strict: these files come from the internet (model hubs). Anything that
 * is not valid JSON is reported with its line and column instead of being
 * guessed at. Strings are checked to be UTF-8, \u escapes must pair their
 * surrogates, nesting is limited so that a "[[[[..." bomb cannot overflow the
 * C stack, and numbers are converted independently of the process locale. */
#include "converter/hf/json.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deep enough for any real config/tokenizer file (they nest < 10 levels),
 * shallow enough that the recursive descent uses little stack. */
#define TR_JSON_MAX_DEPTH 256

typedef struct tr_json_parser {
    const char *text;
    size_t len;
    size_t pos;
    char *err;
    size_t errlen;
    int failed;
} tr_json_parser;

/* Records the first error only, with the 1-based line and byte column of
 * `at`, so that the message points at the cause and not at a later symptom. */
static void tr_json_fail(tr_json_parser *p, size_t at, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = 1;
    if (!p->err || p->errlen == 0)
        return;
    size_t line = 1, col = 1;
    if (at > p->len)
        at = p->len;
    for (size_t i = 0; i < at; i++) {
        if (p->text[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    int n = snprintf(p->err, p->errlen, "line %zu column %zu: ", line, col);
    if (n < 0 || (size_t)n >= p->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static void tr_json_skip_ws(tr_json_parser *p)
{
    while (p->pos < p->len) {
        char c = p->text[p->pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            p->pos++;
        else
            break;
    }
}

/* Frees what a value owns (not the value itself: values live inside their
 * parent's items array). */
static void tr_json_clear(tr_json *v)
{
    if (!v)
        return;
    if (v->type == TR_JSON_ARRAY || v->type == TR_JSON_OBJECT) {
        for (size_t i = 0; i < v->len; i++) {
            tr_json_clear(&v->items[i]);
            if (v->keys)
                free(v->keys[i]);
        }
        free(v->items);
        free(v->keys);
    }
    free(v->string);
    memset(v, 0, sizeof *v);
}

void tr_json_free(tr_json *value)
{
    if (!value)
        return;
    tr_json_clear(value);
    free(value);
}

/* ------------------------------------------------------------- strings */

/* Growable byte buffer for decoded strings. */
typedef struct tr_json_buf {
    char *data;
    size_t len;
    size_t cap;
} tr_json_buf;

static int tr_json_buf_put(tr_json_buf *b, const char *src, size_t n)
{
    if (n > SIZE_MAX - b->len - 1)
        return -1;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->len + n + 1) {
            if (cap > SIZE_MAX / 2)
                return -1;
            cap *= 2;
        }
        char *d = realloc(b->data, cap);
        if (!d)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, src, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is invalid
 * (overlong forms, surrogates and code points above U+10FFFF rejected, as
 * RFC 3629 requires). */
static size_t tr_json_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t need;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need;
}

static size_t tr_json_encode_utf8(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Reads the 4 hex digits after "\u" at p->pos; -1 when malformed. */
static long tr_json_hex4(tr_json_parser *p)
{
    if (p->len - p->pos < 4) {
        tr_json_fail(p, p->len, "truncated \\u escape");
        return -1;
    }
    long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->text[p->pos + (size_t)i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else {
            tr_json_fail(p, p->pos + (size_t)i, "bad hex digit in \\u escape");
            return -1;
        }
        v = v * 16 + d;
    }
    p->pos += 4;
    return v;
}

/* Parses a string starting at the opening quote. On success *out is a
 * malloc'd NUL-terminated copy and *out_len its byte length. */
static int tr_json_string(tr_json_parser *p, char **out, size_t *out_len)
{
    tr_json_buf b = {0};
    size_t start = p->pos;
    p->pos++; /* opening quote */
    for (;;) {
        if (p->pos >= p->len) {
            tr_json_fail(p, start, "unterminated string");
            goto fail;
        }
        /* Copy a run of plain bytes in one go. */
        size_t run = p->pos;
        while (run < p->len) {
            unsigned char c = (unsigned char)p->text[run];
            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
                break;
            run++;
        }
        if (run > p->pos) {
            if (tr_json_buf_put(&b, p->text + p->pos, run - p->pos) != 0)
                goto oom;
            p->pos = run;
            continue;
        }
        unsigned char c = (unsigned char)p->text[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) {
            tr_json_fail(p, p->pos, "control character 0x%02x in string (must be escaped)", c);
            goto fail;
        }
        if (c >= 0x80) {
            size_t n = tr_json_utf8_len((const unsigned char *)p->text + p->pos, p->len - p->pos);
            if (n == 0) {
                tr_json_fail(p, p->pos, "invalid UTF-8 in string");
                goto fail;
            }
            if (tr_json_buf_put(&b, p->text + p->pos, n) != 0)
                goto oom;
            p->pos += n;
            continue;
        }
        /* backslash escape */
        size_t esc = p->pos;
        p->pos++;
        if (p->pos >= p->len) {
            tr_json_fail(p, esc, "unterminated escape");
            goto fail;
        }
        char e = p->text[p->pos++];
        char one;
        switch (e) {
        case '"': one = '"'; break;
        case '\\': one = '\\'; break;
        case '/': one = '/'; break;
        case 'b': one = '\b'; break;
        case 'f': one = '\f'; break;
        case 'n': one = '\n'; break;
        case 'r': one = '\r'; break;
        case 't': one = '\t'; break;
        case 'u': {
            long hi = tr_json_hex4(p);
            if (hi < 0)
                goto fail;
            uint32_t cp = (uint32_t)hi;
            if (hi >= 0xDC00 && hi <= 0xDFFF) {
                tr_json_fail(p, esc, "lone low surrogate \\u%04lX", hi);
                goto fail;
            }
            if (hi >= 0xD800 && hi <= 0xDBFF) {
                /* A high surrogate must be followed by an escaped low one. */
                if (p->len - p->pos < 2 || p->text[p->pos] != '\\' || p->text[p->pos + 1] != 'u') {
                    tr_json_fail(p, esc, "lone high surrogate \\u%04lX", hi);
                    goto fail;
                }
                p->pos += 2;
                long lo = tr_json_hex4(p);
                if (lo < 0)
                    goto fail;
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    tr_json_fail(p, esc, "high surrogate \\u%04lX not followed by a low surrogate", hi);
                    goto fail;
                }
                cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
            }
            char enc[4];
            size_t n = tr_json_encode_utf8(cp, enc);
            if (tr_json_buf_put(&b, enc, n) != 0)
                goto oom;
            continue;
        }
        default:
            tr_json_fail(p, esc, "invalid escape '\\%c'", e >= 0x20 && e < 0x7F ? e : '?');
            goto fail;
        }
        if (tr_json_buf_put(&b, &one, 1) != 0)
            goto oom;
    }
    if (!b.data && tr_json_buf_put(&b, "", 0) != 0)
        goto oom;
    *out = b.data;
    *out_len = b.len;
    return 0;
oom:
    tr_json_fail(p, p->pos, "out of memory");
fail:
    free(b.data);
    return -1;
}

/* ------------------------------------------------------------- numbers */

/* Converts the validated number text with strtod. strtod follows the
 * LC_NUMERIC locale (a host program may have set "de_DE", whose decimal point
 * is ','), so the '.' is replaced by the locale's decimal point first: the
 * result is then what strtod gives in the "C" locale. */
static int tr_json_strtod(const char *s, size_t n, double *out)
{
    const char *dp = localeconv()->decimal_point;
    size_t dpl = (dp && dp[0]) ? strlen(dp) : 1;
    if (!dp || !dp[0])
        dp = ".";
    if (n > SIZE_MAX / 2 - dpl)
        return -1;
    char *buf = malloc(n + dpl + 1);
    if (!buf)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            memcpy(buf + k, dp, dpl);
            k += dpl;
        } else {
            buf[k++] = s[i];
        }
    }
    buf[k] = '\0';
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    int overflow = (errno == ERANGE && isinf(v));
    int complete = (end == buf + k);
    free(buf);
    if (!complete)
        return -1;
    if (overflow)
        return -2;
    *out = v;
    return 0;
}

static int tr_json_number(tr_json_parser *p, tr_json *v)
{
    size_t start = p->pos;
    const char *t = p->text;
    size_t i = p->pos;
    int integral = 1;
    if (i < p->len && t[i] == '-')
        i++;
    if (i >= p->len || t[i] < '0' || t[i] > '9') {
        tr_json_fail(p, i, "invalid number");
        return -1;
    }
    if (t[i] == '0') {
        i++;
        if (i < p->len && t[i] >= '0' && t[i] <= '9') {
            tr_json_fail(p, start, "leading zero in number");
            return -1;
        }
    } else {
        while (i < p->len && t[i] >= '0' && t[i] <= '9')
            i++;
    }
    if (i < p->len && t[i] == '.') {
        integral = 0;
        i++;
        if (i >= p->len || t[i] < '0' || t[i] > '9') {
            tr_json_fail(p, i, "expected a digit after the decimal point");
            return -1;
        }
        while (i < p->len && t[i] >= '0' && t[i] <= '9')
            i++;
    }
    if (i < p->len && (t[i] == 'e' || t[i] == 'E')) {
        integral = 0;
        i++;
        if (i < p->len && (t[i] == '+' || t[i] == '-'))
            i++;
        if (i >= p->len || t[i] < '0' || t[i] > '9') {
            tr_json_fail(p, i, "expected a digit in the exponent");
            return -1;
        }
        while (i < p->len && t[i] >= '0' && t[i] <= '9')
            i++;
    }
    double d = 0;
    int rc = tr_json_strtod(t + start, i - start, &d);
    if (rc == -2) {
        tr_json_fail(p, start, "number out of range");
        return -1;
    }
    if (rc != 0) {
        tr_json_fail(p, start, "invalid number (or out of memory)");
        return -1;
    }
    v->type = TR_JSON_NUMBER;
    v->number = d;
    if (integral) {
        /* Exact integer value when it fits a long long; else it is only
         * available as a double and is_integer stays false. */
        char tmp[32];
        size_t n = i - start;
        if (n < sizeof tmp) {
            memcpy(tmp, t + start, n);
            tmp[n] = '\0';
            errno = 0;
            char *end = NULL;
            long long ll = strtoll(tmp, &end, 10);
            if (errno == 0 && end == tmp + n) {
                v->is_integer = true;
                v->integer = ll;
            }
        }
    }
    p->pos = i;
    return 0;
}

/* -------------------------------------------------------------- values */

static int tr_json_value(tr_json_parser *p, tr_json *v, int depth);

static int tr_json_literal(tr_json_parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n) != 0) {
        tr_json_fail(p, p->pos, "invalid literal (expected '%s')", word);
        return -1;
    }
    p->pos += n;
    return 0;
}

/* Grows a parent's parallel arrays (items and, for objects, keys). */
static int tr_json_grow(tr_json *v, size_t *cap, int with_keys)
{
    if (v->len < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    if (ncap > SIZE_MAX / sizeof(tr_json))
        return -1;
    tr_json *items = realloc(v->items, ncap * sizeof *items);
    if (!items)
        return -1;
    v->items = items;
    if (with_keys) {
        char **keys = realloc(v->keys, ncap * sizeof *keys);
        if (!keys)
            return -1;
        v->keys = keys;
    }
    *cap = ncap;
    return 0;
}

static int tr_json_array(tr_json_parser *p, tr_json *v, int depth)
{
    size_t cap = 0;
    v->type = TR_JSON_ARRAY;
    p->pos++; /* '[' */
    tr_json_skip_ws(p);
    if (p->pos < p->len && p->text[p->pos] == ']') {
        p->pos++;
        return 0;
    }
    for (;;) {
        if (tr_json_grow(v, &cap, 0) != 0) {
            tr_json_fail(p, p->pos, "out of memory");
            return -1;
        }
        tr_json *item = &v->items[v->len];
        memset(item, 0, sizeof *item);
        int rc = tr_json_value(p, item, depth + 1);
        v->len++; /* counted even on failure so that clear() frees it */
        if (rc != 0)
            return -1;
        tr_json_skip_ws(p);
        if (p->pos >= p->len) {
            tr_json_fail(p, p->len, "unexpected end of input in array");
            return -1;
        }
        char c = p->text[p->pos];
        if (c == ',') {
            p->pos++;
            continue;
        }
        if (c == ']') {
            p->pos++;
            return 0;
        }
        tr_json_fail(p, p->pos, "expected ',' or ']' in array");
        return -1;
    }
}

static int tr_json_object(tr_json_parser *p, tr_json *v, int depth)
{
    size_t cap = 0;
    v->type = TR_JSON_OBJECT;
    p->pos++; /* '{' */
    tr_json_skip_ws(p);
    if (p->pos < p->len && p->text[p->pos] == '}') {
        p->pos++;
        return 0;
    }
    for (;;) {
        tr_json_skip_ws(p);
        if (p->pos >= p->len) {
            tr_json_fail(p, p->len, "unexpected end of input in object");
            return -1;
        }
        if (p->text[p->pos] != '"') {
            tr_json_fail(p, p->pos, "expected a string key in object");
            return -1;
        }
        if (tr_json_grow(v, &cap, 1) != 0) {
            tr_json_fail(p, p->pos, "out of memory");
            return -1;
        }
        char *key = NULL;
        size_t key_len = 0;
        if (tr_json_string(p, &key, &key_len) != 0)
            return -1;
        tr_json *item = &v->items[v->len];
        memset(item, 0, sizeof *item);
        v->keys[v->len] = key;
        v->len++; /* owns key and item from here on */
        tr_json_skip_ws(p);
        if (p->pos >= p->len || p->text[p->pos] != ':') {
            tr_json_fail(p, p->pos, "expected ':' after object key");
            return -1;
        }
        p->pos++;
        if (tr_json_value(p, item, depth + 1) != 0)
            return -1;
        tr_json_skip_ws(p);
        if (p->pos >= p->len) {
            tr_json_fail(p, p->len, "unexpected end of input in object");
            return -1;
        }
        char c = p->text[p->pos];
        if (c == ',') {
            p->pos++;
            continue;
        }
        if (c == '}') {
            p->pos++;
            return 0;
        }
        tr_json_fail(p, p->pos, "expected ',' or '}' in object");
        return -1;
    }
}

static int tr_json_value(tr_json_parser *p, tr_json *v, int depth)
{
    if (depth > TR_JSON_MAX_DEPTH) {
        tr_json_fail(p, p->pos, "nesting deeper than %d levels", TR_JSON_MAX_DEPTH);
        return -1;
    }
    tr_json_skip_ws(p);
    if (p->pos >= p->len) {
        tr_json_fail(p, p->len, "unexpected end of input (expected a value)");
        return -1;
    }
    switch (p->text[p->pos]) {
    case '{':
        return tr_json_object(p, v, depth);
    case '[':
        return tr_json_array(p, v, depth);
    case '"':
        v->type = TR_JSON_STRING;
        return tr_json_string(p, &v->string, &v->len);
    case 't':
        v->type = TR_JSON_BOOL;
        v->boolean = true;
        return tr_json_literal(p, "true");
    case 'f':
        v->type = TR_JSON_BOOL;
        v->boolean = false;
        return tr_json_literal(p, "false");
    case 'n':
        v->type = TR_JSON_NULL;
        return tr_json_literal(p, "null");
    default: {
        char c = p->text[p->pos];
        if (c == '-' || (c >= '0' && c <= '9'))
            return tr_json_number(p, v);
        if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7F)
            tr_json_fail(p, p->pos, "unexpected character '%c'", c);
        else
            tr_json_fail(p, p->pos, "unexpected byte 0x%02x", (unsigned char)c);
        return -1;
    }
    }
}

tr_json *tr_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!text) {
        if (err && errlen)
            snprintf(err, errlen, "line 1 column 1: no input");
        return NULL;
    }
    tr_json_parser p = {text, len, 0, err, errlen, 0};
    tr_json *root = calloc(1, sizeof *root);
    if (!root) {
        tr_json_fail(&p, 0, "out of memory");
        return NULL;
    }
    if (tr_json_value(&p, root, 1) != 0) {
        tr_json_free(root);
        return NULL;
    }
    tr_json_skip_ws(&p);
    if (p.pos != p.len) {
        tr_json_fail(&p, p.pos, "unexpected content after the JSON value");
        tr_json_free(root);
        return NULL;
    }
    return root;
}

/* ------------------------------------------------------------ accessors */

const tr_json *tr_json_get(const tr_json *object, const char *key)
{
    if (!object || !key || object->type != TR_JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < object->len; i++) {
        if (strcmp(object->keys[i], key) == 0)
            return &object->items[i];
    }
    return NULL;
}

long long tr_json_get_int(const tr_json *object, const char *key, long long dflt)
{
    const tr_json *v = tr_json_get(object, key);
    if (!v || v->type != TR_JSON_NUMBER)
        return dflt;
    if (v->is_integer)
        return v->integer;
    /* 512.0 or 5e2 still name an integer; anything fractional or outside
     * the exactly representable range does not. */
    double d = v->number;
    if (d == floor(d) && fabs(d) <= 9007199254740992.0)
        return (long long)d;
    return dflt;
}

double tr_json_get_number(const tr_json *object, const char *key, double dflt)
{
    const tr_json *v = tr_json_get(object, key);
    return (v && v->type == TR_JSON_NUMBER) ? v->number : dflt;
}

const char *tr_json_get_string(const tr_json *object, const char *key, const char *dflt)
{
    const tr_json *v = tr_json_get(object, key);
    return (v && v->type == TR_JSON_STRING) ? v->string : dflt;
}

bool tr_json_get_bool(const tr_json *object, const char *key, bool dflt)
{
    const tr_json *v = tr_json_get(object, key);
    return (v && v->type == TR_JSON_BOOL) ? v->boolean : dflt;
}

/* ---------------------------------------------------------------- files */

char *tr_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    if (len)
        *len = 0;
    if (!path) {
        if (err && errlen)
            snprintf(err, errlen, "no file name given");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    /* Read in growing chunks rather than trusting ftell: works for pipes
     * and reports a directory (EISDIR on read) as an error. */
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        goto oom;
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > SIZE_MAX / 2)
                goto oom;
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                goto oom;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                int e = errno;
                if (err && errlen)
                    snprintf(err, errlen, "%s: read error: %s", path, e ? strerror(e) : "unknown");
                free(buf);
                fclose(f);
                return NULL;
            }
            break;
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
oom:
    if (err && errlen)
        snprintf(err, errlen, "%s: out of memory", path);
    free(buf);
    fclose(f);
    return NULL;
}
