/* ndcg.h - nDCG@k exactly as trec_eval's ndcg_cut measure computes it, so
 * that numbers compare with published TREC results:
 *  - the run is ordered by score, highest first, ties broken by docid in
 *    DEcreasing strcmp order (trec_eval ignores the rank column);
 *  - gain = the qrels grade as is (linear), only grades > 0 count;
 *    discount 1/log2(rank + 1), rank 1 undiscounted;
 *  - ideal DCG from ALL judged documents of the query (not only those the
 *    run retrieved), best grades first, cut at k;
 *  - nDCG = DCG / ideal, 0 when the ideal is 0;
 *  - the mean is over the queries present in both the run and the qrels
 *    (trec_eval without -c). */
#ifndef TR_CLI_NDCG_H
#define TR_CLI_NDCG_H

#include <stddef.h>

#include "eval_data.h"
#include "qrels.h"

/* nDCG@k of one query. ranked[i]: grade of the document at rank i+1
 * (< 0 or 0: no gain); judged: grades of all judged documents of the query,
 * any order. Allocation-free. */
double tr_ndcg_at_k(const int *ranked, size_t num_ranked, const int *judged, size_t num_judged,
                    size_t k);

typedef struct tr_run_entry {
    const char *docid;
    double score;
} tr_run_entry;

/* Orders a run the way trec_eval does (see above). */
void tr_run_sort(tr_run_entry *run, size_t n);

/* nDCG@k of one query's run against the qrels: sorts `run` in place.
 * Returns 0 with *in_qrels = 0 when the query has no judgments. Allocates
 * scratch; returns -1.0 when that fails. */
double tr_ndcg_query(const tr_qrels *q, const char *qid, tr_run_entry *run, size_t n, size_t k,
                     int *in_qrels);

/* Mean nDCG@k over the queries of `data` present in the qrels, each
 * reranking its first `depth` hits (all when depth is 0 or larger).
 * scores[qi][j] is the score of hit j of query qi; scores == NULL scores
 * the first-stage order itself (the hits' "score"). *num_queries gets how
 * many queries were averaged. Returns -1.0 on allocation failure. */
double tr_ndcg_mean(const tr_eval_data *data, const tr_qrels *q, const float *const *scores,
                    size_t depth, size_t k, size_t *num_queries);

#endif
