/* qrels.c - TREC qrels reader (see qrels.h). */
#include "converter/eval/qrels.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "converter/hf/json.h"
#include "tinyrank.h"

static int cmp_qrel(const void *a, const void *b)
{
    const tr_qrel *x = a, *y = b;
    int c = strcmp(x->qid, y->qid);
    return c ? c : strcmp(x->docid, y->docid);
}

/* Next whitespace-separated field of the line at *s (NUL-terminates it). */
static char *field(char **s)
{
    char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return NULL;
    char *start = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    if (*p)
        *p++ = '\0';
    *s = p;
    return start;
}

int tr_qrels_load(const char *path, tr_qrels *q, char *err, size_t errlen)
{
    memset(q, 0, sizeof *q);
    size_t len = 0;
    q->text = tr_read_file(path, &len, err, errlen);
    if (!q->text)
        return TINYRANK_ERR_IO;
    size_t cap = 0, lineno = 0;
    char *s = q->text, *end = q->text + len;
    while (s < end) {
        lineno++;
        char *nl = memchr(s, '\n', (size_t)(end - s));
        char *line_end = nl ? nl : end;
        *line_end = '\0';
        if (line_end > s && line_end[-1] == '\r')
            line_end[-1] = '\0';
        char *cur = s;
        s = nl ? nl + 1 : end;
        char *f[5];
        int nf = 0;
        while (nf < 5 && (f[nf] = field(&cur)) != NULL)
            nf++;
        if (nf == 0)
            continue; /* blank line */
        if (nf != 4) {
            snprintf(err, errlen, "%s:%zu: expected 'qid iter docid grade'", path, lineno);
            tr_qrels_free(q);
            return TINYRANK_ERR_INVALID_ARGUMENT;
        }
        char *gend = NULL;
        errno = 0;
        long g = strtol(f[3], &gend, 10);
        if (*gend || errno || g < INT_MIN || g > INT_MAX) {
            snprintf(err, errlen, "%s:%zu: grade '%s' is not an integer", path, lineno, f[3]);
            tr_qrels_free(q);
            return TINYRANK_ERR_INVALID_ARGUMENT;
        }
        if (q->count == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            tr_qrel *items = realloc(q->items, nc * sizeof *items);
            if (!items) {
                snprintf(err, errlen, "out of memory reading %s", path);
                tr_qrels_free(q);
                return TINYRANK_ERR_IO;
            }
            q->items = items;
            cap = nc;
        }
        q->items[q->count].qid = f[0];
        q->items[q->count].docid = f[2];
        q->items[q->count].grade = (int)g;
        q->count++;
    }
    if (q->count)
        qsort(q->items, q->count, sizeof *q->items, cmp_qrel);
    for (size_t i = 1; i < q->count; i++) {
        /* trec_eval refuses duplicates too: which grade would count? */
        if (cmp_qrel(&q->items[i - 1], &q->items[i]) == 0) {
            snprintf(err, errlen, "%s: document %s is judged twice for query %s", path,
                     q->items[i].docid, q->items[i].qid);
            tr_qrels_free(q);
            return TINYRANK_ERR_INVALID_ARGUMENT;
        }
    }
    return TINYRANK_OK;
}

void tr_qrels_free(tr_qrels *q)
{
    free(q->text);
    free(q->items);
    memset(q, 0, sizeof *q);
}

size_t tr_qrels_query(const tr_qrels *q, const char *qid, size_t *first)
{
    /* Lower bound of qid, then the run of equal qids. */
    size_t lo = 0, hi = q->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(q->items[mid].qid, qid) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < q->count && strcmp(q->items[lo + n].qid, qid) == 0)
        n++;
    *first = lo;
    return n;
}

int tr_qrels_grade(const tr_qrels *q, size_t first, size_t count, const char *docid)
{
    size_t lo = first, hi = first + count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(q->items[mid].docid, docid);
        if (c == 0)
            return q->items[mid].grade;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}
