/* qrels.h - TREC relevance judgments ("qid iter docid grade" per line). */
#ifndef TR_CLI_QRELS_H
#define TR_CLI_QRELS_H

#include <stddef.h>

typedef struct tr_qrel {
    const char *qid;   /* point into tr_qrels.text */
    const char *docid;
    int grade;         /* as written; trec_eval treats < 0 as "in pool, unjudged" */
} tr_qrel;

typedef struct tr_qrels {
    char *text;        /* the file, cut into NUL-terminated fields */
    tr_qrel *items;    /* sorted by (qid, docid), no duplicates */
    size_t count;
} tr_qrels;

/* TINYRANK_OK, or TINYRANK_ERR_IO / TINYRANK_ERR_INVALID_ARGUMENT with
 * "path:line: ..." in err (bad line, duplicate judgment). */
int tr_qrels_load(const char *path, tr_qrels *q, char *err, size_t errlen);
void tr_qrels_free(tr_qrels *q);

/* The judgments of one query: items[*first .. *first + return value).
 * Returns 0 when the query has none (it is not in the qrels). */
size_t tr_qrels_query(const tr_qrels *q, const char *qid, size_t *first);

/* Grade of docid within a range from tr_qrels_query, or -1 when the
 * document was not judged for that query. */
int tr_qrels_grade(const tr_qrels *q, size_t first, size_t count, const char *docid);

#endif
