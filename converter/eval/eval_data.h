/* eval_data.h - a reranking benchmark: queries with their first-stage
 * (BM25) candidates, as in dl19_bm25_top100.json: a JSON list of
 * {"query": text, "hits": [{"content", "qid", "docid", "rank", "score"}]}. */
#ifndef TR_CLI_EVAL_DATA_H
#define TR_CLI_EVAL_DATA_H

#include <stddef.h>

#include "converter/hf/json.h"

typedef struct tr_eval_hit {
    const char *docid;  /* string as given, or num_buf for a numeric docid */
    const char *text;
    double score;       /* first-stage score */
    char num_buf[24];
} tr_eval_hit;

typedef struct tr_eval_query {
    const char *qid;    /* from its hits (they must agree) */
    const char *text;
    tr_eval_hit *hits;  /* in the file's order = the first-stage ranking */
    size_t num_hits;
    char num_buf[24];
} tr_eval_query;

typedef struct tr_eval_data {
    tr_json *root;      /* strings point into it */
    tr_eval_query *queries;
    size_t num_queries;
    tr_eval_hit *all_hits;
} tr_eval_data;

/* TINYRANK_OK, or an error with a message naming the path and the item.
 * Queries without hits are dropped (they have no qid; trec_eval would not
 * see them in a run either). */
int tr_eval_data_load(const char *path, tr_eval_data *d, char *err, size_t errlen);
void tr_eval_data_free(tr_eval_data *d);

#endif
