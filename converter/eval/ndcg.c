/* ndcg.c - trec_eval's ndcg_cut (see ndcg.h for the exact definition). */
#include "converter/eval/ndcg.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double tr_ndcg_at_k(const int *ranked, size_t num_ranked, const int *judged, size_t num_judged,
                    size_t k)
{
    double dcg = 0.0;
    for (size_t i = 0; i < num_ranked && i < k; i++)
        if (ranked[i] > 0)
            dcg += (double)ranked[i] / log2((double)(i + 2));

    /* Ideal ranking = judged grades in decreasing order. Walk the distinct
     * grades from the top down (one scan each) instead of sorting a copy:
     * at most k scans, and no memory needed. */
    double ideal = 0.0;
    size_t pos = 0;
    int below = INT_MAX; /* grades already placed are >= below */
    while (pos < k) {
        int best = 0;
        size_t count = 0;
        for (size_t j = 0; j < num_judged; j++) {
            int g = judged[j];
            if (g <= 0 || g >= below)
                continue;
            if (g > best) {
                best = g;
                count = 1;
            } else if (g == best) {
                count++;
            }
        }
        if (count == 0)
            break;
        for (size_t c = 0; c < count && pos < k; c++, pos++)
            ideal += (double)best / log2((double)(pos + 2));
        below = best;
    }
    return ideal > 0.0 ? dcg / ideal : 0.0;
}

static int cmp_run(const void *a, const void *b)
{
    const tr_run_entry *x = a, *y = b;
    if (x->score > y->score)
        return -1;
    if (x->score < y->score)
        return 1;
    return strcmp(y->docid, x->docid); /* trec_eval: ties by docid, decreasing */
}

void tr_run_sort(tr_run_entry *run, size_t n)
{
    if (n > 1)
        qsort(run, n, sizeof *run, cmp_run);
}

double tr_ndcg_query(const tr_qrels *q, const char *qid, tr_run_entry *run, size_t n, size_t k,
                     int *in_qrels)
{
    size_t first = 0;
    size_t num_judged = tr_qrels_query(q, qid, &first);
    *in_qrels = num_judged > 0;
    if (!num_judged)
        return 0.0;
    tr_run_sort(run, n);
    size_t m = n < k ? n : k;
    int *ranked = malloc((m ? m : 1) * sizeof *ranked);
    int *judged = malloc(num_judged * sizeof *judged);
    if (!ranked || !judged) {
        free(ranked);
        free(judged);
        return -1.0;
    }
    for (size_t i = 0; i < m; i++)
        ranked[i] = tr_qrels_grade(q, first, num_judged, run[i].docid);
    for (size_t j = 0; j < num_judged; j++)
        judged[j] = q->items[first + j].grade;
    double v = tr_ndcg_at_k(ranked, m, judged, num_judged, k);
    free(ranked);
    free(judged);
    return v;
}

double tr_ndcg_mean(const tr_eval_data *data, const tr_qrels *q, const float *const *scores,
                    size_t depth, size_t k, size_t *num_queries)
{
    *num_queries = 0;
    double sum = 0.0;
    for (size_t qi = 0; qi < data->num_queries; qi++) {
        const tr_eval_query *query = &data->queries[qi];
        size_t n = depth && depth < query->num_hits ? depth : query->num_hits;
        tr_run_entry *run = malloc(n * sizeof *run);
        if (!run)
            return -1.0;
        for (size_t j = 0; j < n; j++) {
            run[j].docid = query->hits[j].docid;
            run[j].score = scores ? (double)scores[qi][j] : query->hits[j].score;
        }
        int in_qrels = 0;
        double v = tr_ndcg_query(q, query->qid, run, n, k, &in_qrels);
        free(run);
        if (v < 0.0)
            return -1.0;
        if (in_qrels) {
            sum += v;
            (*num_queries)++;
        }
    }
    return *num_queries ? sum / (double)*num_queries : 0.0;
}
