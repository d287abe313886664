/* eval_data.c - reads the candidates file of `tinyrank eval` (see eval_data.h). */
#include "converter/eval/eval_data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinyrank.h"

/* A qid/docid may be written as a JSON string or an integer. */
static const char *id_string(const tr_json *v, char *buf, size_t buflen)
{
    if (!v)
        return NULL;
    if (v->type == TR_JSON_STRING)
        return v->string;
    if (v->type == TR_JSON_NUMBER && v->is_integer) {
        snprintf(buf, buflen, "%lld", v->integer);
        return buf;
    }
    return NULL;
}

int tr_eval_data_load(const char *path, tr_eval_data *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    size_t len = 0;
    char *text = tr_read_file(path, &len, err, errlen);
    if (!text)
        return TINYRANK_ERR_IO;
    char jerr[256];
    d->root = tr_json_parse(text, len, jerr, sizeof jerr);
    free(text);
    if (!d->root) {
        snprintf(err, errlen, "%s: %s", path, jerr);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    const tr_json *list = d->root;
    if (list->type != TR_JSON_ARRAY) {
        snprintf(err, errlen, "%s: expected a JSON list of {\"query\", \"hits\"}", path);
        tr_eval_data_free(d);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    size_t total = 0;
    for (size_t i = 0; i < list->len; i++) {
        const tr_json *hits = tr_json_get(&list->items[i], "hits");
        if (list->items[i].type != TR_JSON_OBJECT || !hits || hits->type != TR_JSON_ARRAY ||
            !tr_json_get_string(&list->items[i], "query", NULL)) {
            snprintf(err, errlen, "%s: item %zu needs a string \"query\" and a list \"hits\"",
                     path, i);
            tr_eval_data_free(d);
            return TINYRANK_ERR_INVALID_ARGUMENT;
        }
        total += hits->len;
    }
    d->queries = calloc(list->len ? list->len : 1, sizeof *d->queries);
    d->all_hits = calloc(total ? total : 1, sizeof *d->all_hits);
    if (!d->queries || !d->all_hits) {
        snprintf(err, errlen, "out of memory reading %s", path);
        tr_eval_data_free(d);
        return TINYRANK_ERR_IO;
    }
    size_t used = 0;
    for (size_t i = 0; i < list->len; i++) {
        const tr_json *item = &list->items[i];
        const tr_json *hits = tr_json_get(item, "hits");
        if (hits->len == 0)
            continue;
        tr_eval_query *q = &d->queries[d->num_queries];
        q->text = tr_json_get_string(item, "query", NULL);
        q->hits = &d->all_hits[used];
        for (size_t j = 0; j < hits->len; j++) {
            const tr_json *h = &hits->items[j];
            tr_eval_hit *out = &q->hits[j];
            const tr_json *score = h->type == TR_JSON_OBJECT ? tr_json_get(h, "score") : NULL;
            out->docid = h->type == TR_JSON_OBJECT
                             ? id_string(tr_json_get(h, "docid"), out->num_buf, sizeof out->num_buf)
                             : NULL;
            out->text = h->type == TR_JSON_OBJECT ? tr_json_get_string(h, "content", NULL) : NULL;
            char qbuf[24];
            const char *qid = h->type == TR_JSON_OBJECT
                                  ? id_string(tr_json_get(h, "qid"), qbuf, sizeof qbuf)
                                  : NULL;
            if (!out->docid || !out->text || !qid || !score || score->type != TR_JSON_NUMBER ||
                !isfinite(score->number)) {
                snprintf(err, errlen,
                         "%s: query %zu hit %zu needs \"docid\", \"qid\", string \"content\" "
                         "and a number \"score\"",
                         path, i, j);
                tr_eval_data_free(d);
                return TINYRANK_ERR_INVALID_ARGUMENT;
            }
            out->score = score->number;
            if (j == 0) {
                /* Copy: qbuf dies with this iteration. */
                if (qid == qbuf) {
                    memcpy(q->num_buf, qbuf, sizeof q->num_buf);
                    q->qid = q->num_buf;
                } else {
                    q->qid = qid;
                }
            } else if (strcmp(qid, q->qid) != 0) {
                snprintf(err, errlen, "%s: query %zu mixes hits of qid %s and %s", path, i,
                         q->qid, qid);
                tr_eval_data_free(d);
                return TINYRANK_ERR_INVALID_ARGUMENT;
            }
        }
        q->num_hits = hits->len;
        used += hits->len;
        d->num_queries++;
    }
    return TINYRANK_OK;
}

void tr_eval_data_free(tr_eval_data *d)
{
    tr_json_free(d->root);
    free(d->queries);
    free(d->all_hits);
    memset(d, 0, sizeof *d);
}
