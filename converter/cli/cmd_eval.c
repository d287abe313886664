/* cmd_eval.c - `tinyrank eval`: rerank first-stage candidates of a TREC
 * collection and report nDCG@10 the way trec_eval computes it (ndcg.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "converter/eval/eval_data.h"
#include "converter/eval/ndcg.h"
#include "converter/eval/qrels.h"

enum { OPT_MODEL = 1, OPT_DATA, OPT_QRELS, OPT_DEPTH, OPT_BM25, OPT_HELP };

static const tr_cli_opt opts[] = {
    {"-m", 1, OPT_MODEL}, {"--model", 1, OPT_MODEL}, {"--data", 1, OPT_DATA},
    {"--qrels", 1, OPT_QRELS}, {"--depth", 1, OPT_DEPTH}, {"--bm25", 0, OPT_BM25},
    {"--batch", 1, TR_CLI_OPT_BATCH}, {"--threads", 1, TR_CLI_OPT_THREADS},
    {"--max-length", 1, TR_CLI_OPT_MAXLEN}, {"-h", 0, OPT_HELP}, {"--help", 0, OPT_HELP},
    {NULL, 0, 0},
};

#define NDCG_K 10

/* Scores the first `depth` hits of every query; scores[q] is malloc'd. */
static int score_all(tr_cli_session *s, const tr_eval_data *d, size_t depth, float **scores,
                     size_t *num_pairs)
{
    size_t max_hits = 0;
    for (size_t q = 0; q < d->num_queries; q++)
        if (d->queries[q].num_hits > max_hits)
            max_hits = d->queries[q].num_hits;
    const char **texts = malloc((max_hits ? max_hits : 1) * sizeof *texts);
    if (!texts)
        return tr_cli_error("eval: out of memory");
    *num_pairs = 0;
    for (size_t q = 0; q < d->num_queries; q++) {
        const tr_eval_query *query = &d->queries[q];
        size_t n = depth < query->num_hits ? depth : query->num_hits;
        scores[q] = malloc(n * sizeof *scores[q]);
        if (!scores[q]) {
            free(texts);
            return tr_cli_error("eval: out of memory");
        }
        for (size_t j = 0; j < n; j++)
            texts[j] = query->hits[j].text;
        int st = tinyrank_score(s->session, query->text, texts, n, scores[q]);
        if (st != TINYRANK_OK) {
            free(texts);
            char what[128];
            snprintf(what, sizeof what, "eval: query %s", query->qid);
            return tr_cli_session_error(s, what, st);
        }
        *num_pairs += n;
    }
    free(texts);
    return 0;
}

int tr_cli_eval(int argc, char **argv)
{
    const char *model_path = NULL, *data_path = NULL, *qrels_path = NULL, *v;
    long depth = 100;
    int bm25 = 0, id;
    tinyrank_session_params params = tinyrank_session_params_default();
    tr_cli_args a;
    tr_cli_args_init(&a, argc, argv, opts);
    while ((id = tr_cli_next(&a, &v)) != TR_CLI_END) {
        switch (id) {
        case TR_CLI_BAD:
            return 1;
        case TR_CLI_POSITIONAL:
            return tr_cli_error("eval: unexpected argument '%s'", v);
        case OPT_MODEL:
            model_path = v;
            break;
        case OPT_DATA:
            data_path = v;
            break;
        case OPT_QRELS:
            qrels_path = v;
            break;
        case OPT_DEPTH:
            if (!tr_cli_parse_long("--depth", v, 1, 1L << 30, &depth))
                return 1;
            break;
        case OPT_BM25:
            bm25 = 1;
            break;
        case OPT_HELP:
            tr_cli_usage(stdout);
            return 0;
        default:
            if (tr_cli_session_option(id, v, &params) < 0)
                return 1;
            break;
        }
    }
    if (!data_path)
        return tr_cli_error("eval: missing --data CANDIDATES_JSON");
    if (!qrels_path)
        return tr_cli_error("eval: missing --qrels QRELS");
    if (!model_path && !bm25)
        return tr_cli_error("eval: missing -m MODEL (or --bm25 to score the given order)");

    char err[1024];
    tr_eval_data d;
    if (tr_eval_data_load(data_path, &d, err, sizeof err) != TINYRANK_OK)
        return tr_cli_error("eval: %s", err);
    tr_qrels q;
    if (tr_qrels_load(qrels_path, &q, err, sizeof err) != TINYRANK_OK) {
        tr_eval_data_free(&d);
        return tr_cli_error("eval: %s", err);
    }

    int rc = 0;
    float **scores = NULL;
    size_t num_pairs = 0;
    double seconds = 0.0;
    tr_cli_model m;
    tr_cli_session s;
    int have_model = 0, have_session = 0;
    if (!bm25) {
        scores = calloc(d.num_queries ? d.num_queries : 1, sizeof *scores);
        if (!scores) {
            rc = tr_cli_error("eval: out of memory");
            goto done;
        }
        if (tr_cli_model_open(&m, model_path) != TINYRANK_OK) {
            rc = 1;
            goto done;
        }
        have_model = 1;
        if (tr_cli_session_open(&s, &m, &params) != TINYRANK_OK) {
            rc = 1;
            goto done;
        }
        have_session = 1;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = score_all(&s, &d, (size_t)depth, scores, &num_pairs);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        if (rc)
            goto done;
    }
    size_t nq = 0;
    double ndcg = tr_ndcg_mean(&d, &q, (const float *const *)scores, (size_t)depth, NDCG_K, &nq);
    if (ndcg < 0.0) {
        rc = tr_cli_error("eval: out of memory");
        goto done;
    }
    if (nq == 0) {
        rc = tr_cli_error("eval: no query of %s has judgments in %s", data_path, qrels_path);
        goto done;
    }
    printf("nDCG@%d\t%.4f\t(%zu queries, depth %ld, %s)\n", NDCG_K, ndcg, nq, depth,
           bm25 ? "first-stage order" : model_path);
    if (!bm25)
        printf("scored %zu pairs in %.2f s (%.1f pairs/s)\n", num_pairs, seconds,
               seconds > 0 ? (double)num_pairs / seconds : 0.0);
done:
    if (scores)
        for (size_t i = 0; i < d.num_queries; i++)
            free(scores[i]);
    free(scores);
    if (have_session)
        tr_cli_session_close(&s);
    if (have_model)
        tr_cli_model_close(&m);
    tr_qrels_free(&q);
    tr_eval_data_free(&d);
    return rc;
}
