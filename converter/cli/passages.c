/* passages.c - input of `tinyrank rerank` (see passages.h). */
#include "passages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "converter/hf/json.h"
#include "tinyrank.h"

/* Whole stream into a NUL-terminated malloc'd buffer (stdin has no size to
 * ask for, so grow geometrically). */
static char *read_stream(FILE *in, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        if (cap - n < 2) {
            char *bigger = cap > ((size_t)-1) / 2 ? NULL : realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                errno = ENOMEM;
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, in);
        n += got;
        if (got == 0) {
            if (ferror(in)) {
                free(buf);
                return NULL;
            }
            break;
        }
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int push(tr_passages *p, size_t *cap, const char *text, size_t len, size_t line)
{
    if (p->count == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        const char **t = realloc(p->texts, nc * sizeof *t);
        if (!t)
            return 0;
        p->texts = t;
        size_t *l = realloc(p->lens, nc * sizeof *l);
        if (!l)
            return 0;
        p->lens = l;
        size_t *ln = realloc(p->lines, nc * sizeof *ln);
        if (!ln)
            return 0;
        p->lines = ln;
        *cap = nc;
    }
    p->texts[p->count] = text;
    p->lens[p->count] = len;
    p->lines[p->count] = line;
    p->count++;
    return 1;
}

/* Parses the JSON line at line[0..len) and writes its "text" in place of
 * the line: a decoded JSON string is never longer than its escaped source,
 * so it fits, and the passage needs no allocation of its own. */
static int json_line(char *line, size_t len, size_t lineno, size_t *out_len, char *err,
                     size_t errlen)
{
    char jerr[256];
    tr_json *v = tr_json_parse(line, len, jerr, sizeof jerr);
    if (!v) {
        snprintf(err, errlen, "line %zu: invalid JSON: %s", lineno, jerr);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    const tr_json *t = v->type == TR_JSON_OBJECT ? tr_json_get(v, "text") : NULL;
    if (!t || t->type != TR_JSON_STRING) {
        snprintf(err, errlen, "line %zu: a JSON line needs a string field \"text\"", lineno);
        tr_json_free(v);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    if (memchr(t->string, '\0', t->len)) {
        /* The rerank API takes NUL-terminated texts: a NUL would silently
         * cut the passage. */
        snprintf(err, errlen, "line %zu: \"text\" contains a NUL character", lineno);
        tr_json_free(v);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    if (t->len >= len + 1) { /* cannot happen (see above); never overflow */
        snprintf(err, errlen, "line %zu: internal error decoding \"text\"", lineno);
        tr_json_free(v);
        return TINYRANK_ERR_INTERNAL;
    }
    memcpy(line, t->string, t->len);
    line[t->len] = '\0';
    *out_len = t->len;
    tr_json_free(v);
    return TINYRANK_OK;
}

int tr_passages_read(const char *path, tr_passages *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    err[0] = '\0';
    int use_stdin = !path || strcmp(path, "-") == 0;
    FILE *in = use_stdin ? stdin : fopen(path, "rb");
    if (!in) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return TINYRANK_ERR_IO;
    }
    size_t len = 0;
    p->buf = read_stream(in, &len);
    int read_errno = errno;
    if (!use_stdin)
        fclose(in);
    if (!p->buf) {
        snprintf(err, errlen, "cannot read %s: %s", use_stdin ? "stdin" : path,
                 strerror(read_errno));
        return TINYRANK_ERR_IO;
    }

    char *s = p->buf;
    /* A UTF-8 byte order mark is an editor artifact, not text. */
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;
    char *end = p->buf + len;
    size_t cap = 0, lineno = 0;
    while (s < end) {
        lineno++;
        char *nl = memchr(s, '\n', (size_t)(end - s));
        char *line_end = nl ? nl : end;
        size_t n = (size_t)(line_end - s);
        if (n > 0 && s[n - 1] == '\r') /* CRLF files */
            n--;
        s[n] = '\0';
        if (n > 0) {
            size_t text_len = n;
            if (s[0] == '{') {
                int st = json_line(s, n, lineno, &text_len, err, errlen);
                if (st != TINYRANK_OK) {
                    tr_passages_free(p);
                    return st;
                }
            } else if (memchr(s, '\0', n)) {
                snprintf(err, errlen, "line %zu contains a NUL byte", lineno);
                tr_passages_free(p);
                return TINYRANK_ERR_INVALID_ARGUMENT;
            }
            if (!push(p, &cap, s, text_len, lineno)) {
                snprintf(err, errlen, "out of memory reading passages");
                tr_passages_free(p);
                return TINYRANK_ERR_IO;
            }
        }
        s = nl ? nl + 1 : end;
    }
    return TINYRANK_OK;
}

void tr_passages_free(tr_passages *p)
{
    free(p->buf);
    free(p->texts);
    free(p->lens);
    free(p->lines);
    memset(p, 0, sizeof *p);
}
