/* cmd_rerank.c - `tinyrank rerank`: score passages against a query and print
 * them best first. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "graph/model_view.h"
#include "passages.h"

enum {
    OPT_MODEL = 1, OPT_QUERY, OPT_TOPK, OPT_SIGMOID,
    OPT_TRUNC, OPT_JSON, OPT_HELP
};

static const tr_cli_opt opts[] = {
    {"-m", 1, OPT_MODEL}, {"--model", 1, OPT_MODEL}, {"-q", 1, OPT_QUERY},
    {"--query", 1, OPT_QUERY}, {"--top-k", 1, OPT_TOPK}, {"-k", 1, OPT_TOPK},
    {"--max-length", 1, TR_CLI_OPT_MAXLEN}, {"--threads", 1, TR_CLI_OPT_THREADS},
    {"--xnnpack", 0, TR_CLI_OPT_XNNPACK},
    {"--batch", 1, TR_CLI_OPT_BATCH}, {"--sigmoid", 0, OPT_SIGMOID}, {"--truncation", 1, OPT_TRUNC},
    {"--json", 0, OPT_JSON}, {"-h", 0, OPT_HELP}, {"--help", 0, OPT_HELP}, {NULL, 0, 0},
};

/* Bytes of the first `max_chars` UTF-8 characters of s[0..len) (a character
 * = a lead byte and its continuation bytes), so a preview never splits one. */
static size_t utf8_prefix(const char *s, size_t len, size_t max_chars)
{
    size_t chars = 0;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (chars == max_chars)
                return i;
            chars++;
        }
    }
    return len;
}

/* The text column: at most 60 characters, and no tab or newline that would
 * break the one-line, tab-separated format. */
static void print_preview(const char *s, size_t len)
{
    size_t n = utf8_prefix(s, len, 60);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        fputc(c < 0x20 || c == 0x7F ? ' ' : c, stdout);
    }
}

int tr_cli_rerank(int argc, char **argv)
{
    const char *model_path = NULL, *query = NULL, *input = NULL;
    long top_k = 0;
    int json = 0;
    tinyrank_session_params params = tinyrank_session_params_default();
    tr_cli_args a;
    tr_cli_args_init(&a, argc, argv, opts);
    const char *v;
    int id;
    while ((id = tr_cli_next(&a, &v)) != TR_CLI_END) {
        switch (id) {
        case TR_CLI_BAD:
            return 1;
        case TR_CLI_POSITIONAL:
            if (input)
                return tr_cli_error("rerank: one input file only (got '%s' and '%s')", input, v);
            input = v;
            break;
        case OPT_MODEL:
            model_path = v;
            break;
        case OPT_QUERY:
            query = v;
            break;
        case OPT_TOPK:
            if (!tr_cli_parse_long("--top-k", v, 1, 1L << 30, &top_k))
                return 1;
            break;
        case OPT_SIGMOID:
            params.score = TINYRANK_SCORE_SIGMOID;
            break;
        case OPT_TRUNC:
            if (strcmp(v, "only_second") == 0)
                params.truncation = TINYRANK_TRUNCATE_ONLY_SECOND;
            else if (strcmp(v, "longest_first") == 0)
                params.truncation = TINYRANK_TRUNCATE_LONGEST_FIRST;
            else
                return tr_cli_error(
                    "rerank: --truncation must be only_second or longest_first, got '%s'", v);
            break;
        case OPT_JSON:
            json = 1;
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
    if (!model_path)
        return tr_cli_error("rerank: missing -m MODEL");
    if (!query)
        return tr_cli_error("rerank: missing -q QUERY");

    /* Read the input before loading the model: a bad input line is reported
     * without the cost of a load. */
    tr_passages p;
    char err[512];
    int st = tr_passages_read(input, &p, err, sizeof err);
    if (st != TINYRANK_OK)
        return tr_cli_error("rerank: %s", err);
    if (p.count == 0) {
        tr_passages_free(&p);
        return tr_cli_error("rerank: no passages in %s", input ? input : "stdin");
    }

    tr_cli_model m;
    if (tr_cli_model_open(&m, model_path) != TINYRANK_OK) {
        tr_passages_free(&p);
        return 1;
    }
    /* MVP-style models score all passages of a call together (one candidate
     * list): the batch must hold them all */
    if (tr_model_scores_one_list(m.model) && (size_t)params.max_batch < p.count)
        params.max_batch = p.count > 4096 ? 4096 : (int)p.count;
    tr_cli_session s;
    if (tr_cli_session_open(&s, &m, &params) != TINYRANK_OK) {
        tr_cli_model_close(&m);
        tr_passages_free(&p);
        return 1;
    }
    size_t k = top_k > 0 && (size_t)top_k < p.count ? (size_t)top_k : p.count;
    float *scratch = malloc(p.count * sizeof *scratch);
    tinyrank_result *results = malloc(p.count * sizeof *results);
    int rc = 0;
    if (!scratch || !results) {
        rc = tr_cli_error("rerank: out of memory for %zu passages", p.count);
    } else {
        st = tinyrank_rerank(s.session, query, p.texts, p.count, k, scratch, results);
        if (st != TINYRANK_OK)
            rc = tr_cli_session_error(&s, "rerank", st);
    }
    for (size_t r = 0; rc == 0 && r < k; r++) {
        size_t i = results[r].index;
        if (i >= p.count) { /* would be a library bug: never index out of range */
            rc = tr_cli_error("rerank: the library returned passage index %zu of %zu", i, p.count);
            break;
        }
        double score = results[r].score;
        if (json) {
            printf("{\"rank\": %zu, \"index\": %zu, \"score\": ", r + 1, i);
            if (isfinite(score))
                printf("%.9g", score);
            else
                fputs("null", stdout); /* JSON has no NaN/Inf */
            fputs(", \"text\": ", stdout);
            tr_cli_json_string(stdout, p.texts[i], p.lens[i]);
            fputs("}\n", stdout);
        } else {
            printf("%zu\t%zu\t%.6f\t", r + 1, i, score);
            print_preview(p.texts[i], p.lens[i]);
            fputc('\n', stdout);
        }
    }
    free(scratch);
    free(results);
    tr_cli_session_close(&s);
    tr_cli_model_close(&m);
    tr_passages_free(&p);
    return rc;
}
