/* vocab_index.c - vocabulary arrays for the model file (see vocab_index.h). */
#include "vocab_index.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinyrank.h"
#include "tokenizer/utf8.h"

static int fail(char *err, size_t errlen, int rc, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
    return rc;
}

static int fail_n(char *err, size_t errlen, int rc, const char *what, unsigned long n)
{
    if (err && errlen)
        snprintf(err, errlen, what, n);
    return rc;
}

/* qsort has no context argument: the arrays being sorted are passed through
 * this file-local pointer (the converter is single-threaded). */
static const tr_vocab_index *g_sort_index;

static int cmp_ids(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    const tr_vocab_index *v = g_sort_index;
    size_t la = v->offsets[a + 1] - v->offsets[a], lb = v->offsets[b + 1] - v->offsets[b];
    size_t k = la < lb ? la : lb;
    int c = k ? memcmp(v->bytes + v->offsets[a], v->bytes + v->offsets[b], k) : 0;
    if (c != 0)
        return c;
    if (la != lb)
        return la < lb ? -1 : 1;
    /* equal strings: ascending id, so the lookup can return the last one */
    return a < b ? -1 : (a > b ? 1 : 0);
}

static int build_index(const char *const *tokens, const size_t *lens, uint32_t n, tr_vocab_index *out,
                       bool utf8, char *err, size_t errlen);

int tr_vocab_index_build(const char *const *tokens, const size_t *lens, uint32_t n, tr_vocab_index *out,
                         char *err, size_t errlen)
{
    return build_index(tokens, lens, n, out, true, err, errlen);
}

int tr_vocab_index_build_bytes(const char *const *tokens, const size_t *lens, uint32_t n,
                               tr_vocab_index *out, char *err, size_t errlen)
{
    return build_index(tokens, lens, n, out, false, err, errlen);
}

static int build_index(const char *const *tokens, const size_t *lens, uint32_t n, tr_vocab_index *out,
                       bool utf8, char *err, size_t errlen)
{
    if (!out || (n > 0 && (!tokens || !lens)))
        return fail(err, errlen, TINYRANK_ERR_INVALID_ARGUMENT, "vocab: NULL argument");
    memset(out, 0, sizeof *out);
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (lens[i] > 0 && !tokens[i])
            return fail_n(err, errlen, TINYRANK_ERR_INVALID_ARGUMENT, "vocab: token %lu is NULL",
                        (unsigned long)i);
        if (utf8 && tr_utf8_validate(tokens[i], lens[i], NULL) != TINYRANK_OK)
            return fail_n(err, errlen, TINYRANK_ERR_INVALID_UTF8, "vocab: token %lu is not valid UTF-8",
                        (unsigned long)i);
        total += lens[i];
        if (total > UINT32_MAX)
            return fail(err, errlen, TINYRANK_ERR_INPUT_TOO_LARGE, "vocab: more than 4 GiB of tokens");
    }
    out->bytes = malloc(total ? total : 1);
    out->offsets = malloc(((size_t)n + 1) * sizeof *out->offsets);
    out->sorted_ids = malloc((n ? n : 1) * sizeof *out->sorted_ids);
    if (!out->bytes || !out->offsets || !out->sorted_ids) {
        tr_vocab_index_free(out);
        return fail(err, errlen, TINYRANK_ERR_IO, "vocab: out of memory");
    }
    size_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        out->offsets[i] = (uint32_t)at;
        if (lens[i])
            memcpy(out->bytes + at, tokens[i], lens[i]);
        at += lens[i];
        out->sorted_ids[i] = i;
    }
    out->offsets[n] = (uint32_t)at;
    out->bytes_len = total;
    out->n = n;
    g_sort_index = out;
    qsort(out->sorted_ids, n, sizeof *out->sorted_ids, cmp_ids);
    g_sort_index = NULL;
    return TINYRANK_OK;
}

int tr_vocab_index_parse_txt(const char *data, size_t len, tr_vocab_index *out, char *err, size_t errlen)
{
    if (!out || (!data && len))
        return fail(err, errlen, TINYRANK_ERR_INVALID_ARGUMENT, "vocab.txt: NULL argument");
    memset(out, 0, sizeof *out);
    size_t bad;
    if (tr_utf8_validate(data, len, &bad) != TINYRANK_OK) {
        unsigned long line = 1;
        for (size_t i = 0; i < bad; i++)
            line += data[i] == '\n';
        return fail_n(err, errlen, TINYRANK_ERR_INVALID_UTF8, "vocab.txt: invalid UTF-8 on line %lu", line);
    }
    /* Count lines: a line ends at "\n", "\r\n" or "\r". */
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n' || data[i] == '\r') {
            if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
                i++;
            n++;
        } else if (i + 1 == len) {
            n++; /* last line without a line break */
        }
    }
    if (n > UINT32_MAX - 1)
        return fail(err, errlen, TINYRANK_ERR_INPUT_TOO_LARGE, "vocab.txt: too many lines");
    const char **toks = malloc((n ? n : 1) * sizeof *toks);
    size_t *lens = malloc((n ? n : 1) * sizeof *lens);
    if (!toks || !lens) {
        free(toks);
        free(lens);
        return fail(err, errlen, TINYRANK_ERR_IO, "vocab.txt: out of memory");
    }
    size_t k = 0, start = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n' || data[i] == '\r') {
            toks[k] = data + start;
            lens[k++] = i - start;
            if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
                i++;
            start = i + 1;
        } else if (i + 1 == len) {
            toks[k] = data + start;
            lens[k++] = len - start;
        }
    }
    int rc = tr_vocab_index_build(toks, lens, (uint32_t)k, out, err, errlen);
    free(toks);
    free(lens);
    return rc;
}

int tr_vocab_index_read_txt(const char *path, tr_vocab_index *out, char *err, size_t errlen)
{
    if (!path || !out)
        return fail(err, errlen, TINYRANK_ERR_INVALID_ARGUMENT, "vocab.txt: NULL argument");
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot open", path);
        return TINYRANK_ERR_IO;
    }
    char *buf = NULL;
    size_t len = 0, capacity = 0;
    for (;;) {
        if (len == capacity) {
            size_t nc = capacity ? capacity * 2 : 65536;
            char *nb = realloc(buf, nc);
            if (!nb) {
                free(buf);
                fclose(f);
                return fail(err, errlen, TINYRANK_ERR_IO, "vocab.txt: out of memory");
            }
            buf = nb;
            capacity = nc;
        }
        size_t got = fread(buf + len, 1, capacity - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int io_error = ferror(f);
    fclose(f);
    if (io_error) {
        free(buf);
        if (err && errlen)
            snprintf(err, errlen, "%s: read error", path);
        return TINYRANK_ERR_IO;
    }
    int rc = tr_vocab_index_parse_txt(buf, len, out, err, errlen);
    free(buf);
    return rc;
}

tr_vocab tr_vocab_index_view(const tr_vocab_index *index)
{
    tr_vocab v;
    v.bytes = index->bytes;
    v.offsets = index->offsets;
    v.sorted_ids = index->sorted_ids;
    v.n = index->n;
    return v;
}

void tr_vocab_index_free(tr_vocab_index *index)
{
    if (!index)
        return;
    free(index->bytes);
    free(index->offsets);
    free(index->sorted_ids);
    memset(index, 0, sizeof *index);
}
