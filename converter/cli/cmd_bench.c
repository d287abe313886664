/* cmd_bench.c - `tinyrank bench`: throughput on a synthetic workload.
 *
 * The passages are made of common English words, each one token in a
 * typical BERT vocabulary, so the pair length is controlled in tokens.
 * The real token counts are measured, not assumed: tinyrank_tokenize_pair
 * gives each pair's length after template and truncation to max_length. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli.h"
#include "graph/model_view.h"

enum { OPT_MODEL = 1, OPT_PAIRS, OPT_TOKENS, OPT_RUNS,
       OPT_JSON, OPT_HELP };

static const tr_cli_opt opts[] = {
    {"-m", 1, OPT_MODEL}, {"--model", 1, OPT_MODEL}, {"--pairs", 1, OPT_PAIRS},
    {"--tokens", 1, OPT_TOKENS}, {"--batch", 1, TR_CLI_OPT_BATCH},
    {"--threads", 1, TR_CLI_OPT_THREADS}, {"--runs", 1, OPT_RUNS},
    {"--xnnpack", 0, TR_CLI_OPT_XNNPACK},
    {"--max-length", 1, TR_CLI_OPT_MAXLEN}, {"--json", 0, OPT_JSON}, {"-h", 0, OPT_HELP},
    {"--help", 0, OPT_HELP}, {NULL, 0, 0},
};

static const char *const words[] = {
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "was", "on", "with", "as",
    "by", "at", "from", "this", "are", "be", "or", "an", "his", "which", "have", "not", "one",
    "had", "but", "all", "were", "they", "there", "been", "has", "more", "their", "if", "when",
    "who", "will", "can", "time", "new", "would", "about", "first", "other", "some", "into",
    "also", "after", "many", "then", "them", "these", "two", "so", "its", "only", "may",
};
#define NUM_WORDS (sizeof words / sizeof words[0])

static const char query[] = "what is the best time of the year to see the new city";

/* `count` words starting at word `start` of the list (cycling). */
static char *make_text(size_t start, size_t count)
{
    size_t len = 1;
    for (size_t i = 0; i < count; i++)
        len += strlen(words[(start + i) % NUM_WORDS]) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    size_t off = 0;
    for (size_t i = 0; i < count; i++) {
        const char *w = words[(start + i) % NUM_WORDS];
        size_t n = strlen(w);
        if (i)
            s[off++] = ' ';
        memcpy(s + off, w, n);
        off += n;
    }
    s[off] = '\0';
    return s;
}

/* Tokens of the (query, text) pair as the session builds it (template and
 * truncation included). `ids` has room for `cap` tokens. */
static int pair_tokens(tr_cli_session *s, const char *text, int32_t *ids, size_t cap,
                       size_t *count)
{
    int st = tinyrank_tokenize_pair(s->session, query, strlen(query), text, strlen(text), ids,
                                    NULL, cap, count);
    if (st != TINYRANK_OK)
        return tr_cli_session_error(s, "bench: counting tokens", st), st;
    return TINYRANK_OK;
}

static int tokens_of_words(tr_cli_session *s, size_t w, int32_t *ids, size_t cap, size_t *got)
{
    char *t = make_text(0, w);
    if (!t)
        return tr_cli_error("bench: out of memory"), TINYRANK_ERR_INTERNAL;
    int st = pair_tokens(s, t, ids, cap, got);
    free(t);
    return st;
}

/* Number of words whose pair comes closest to `target` tokens. A one-word
 * pair gives the fixed cost (query + special tokens); then correct a few
 * times, as a word is not always exactly one token. When truncation caps
 * the pair below the target, more words change nothing: stop there. */
static int calibrate_words(tr_cli_session *s, size_t target, int32_t *ids, size_t cap,
                           size_t *out_words)
{
    size_t got = 0, prev = 0;
    int st = tokens_of_words(s, 1, ids, cap, &got);
    if (st != TINYRANK_OK)
        return st;
    size_t fixed = got - (got > 0); /* tokens besides the word */
    size_t w = target > fixed + 1 ? target - fixed : 1;
    for (int iter = 0; iter < 4 && w > 1; iter++) {
        prev = got;
        if ((st = tokens_of_words(s, w, ids, cap, &got)) != TINYRANK_OK)
            return st;
        if (got == target || (iter > 0 && got == prev))
            break;
        if (got > target)
            w -= got - target < w ? got - target : w - 1;
        else
            w += target - got;
    }
    *out_words = w;
    return TINYRANK_OK;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int tr_cli_bench(int argc, char **argv)
{
    const char *model_path = NULL, *v;
    long pairs = 32, tokens = 256, runs = 5;
    int json = 0, id;
    tinyrank_session_params params = tinyrank_session_params_default();
    tr_cli_args a;
    tr_cli_args_init(&a, argc, argv, opts);
    while ((id = tr_cli_next(&a, &v)) != TR_CLI_END) {
        switch (id) {
        case TR_CLI_BAD:
            return 1;
        case TR_CLI_POSITIONAL:
            return tr_cli_error("bench: unexpected argument '%s'", v);
        case OPT_MODEL:
            model_path = v;
            break;
        case OPT_PAIRS:
            if (!tr_cli_parse_long("--pairs", v, 1, 1 << 20, &pairs))
                return 1;
            break;
        case OPT_TOKENS:
            if (!tr_cli_parse_long("--tokens", v, 4, 1 << 20, &tokens))
                return 1;
            break;
        case OPT_RUNS:
            if (!tr_cli_parse_long("--runs", v, 1, 1 << 20, &runs))
                return 1;
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
        return tr_cli_error("bench: missing -m MODEL");

    tr_cli_model m;
    if (tr_cli_model_open(&m, model_path) != TINYRANK_OK)
        return 1;
    /* MVP-style models score a call's passages together: one batch for all */
    if (tr_model_scores_one_list(m.model) && params.max_batch < pairs)
        params.max_batch = pairs > 4096 ? 4096 : pairs;
    tr_cli_session s;
    if (tr_cli_session_open(&s, &m, &params) != TINYRANK_OK) {
        tr_cli_model_close(&m);
        return 1;
    }
    int rc = 0;
    size_t np = (size_t)pairs, nwords = 1, total_tokens = 0;
    char **texts = calloc(np, sizeof *texts);
    float *scores = malloc(np * sizeof *scores);
    /* A pair is at most max_length tokens, and max_length is at most the
     * model's max_position (or the explicit --max-length). */
    size_t cap = (size_t)(params.max_length > m.info.max_position ? params.max_length
                                                                   : m.info.max_position) + 8;
    int32_t *ids = malloc(cap * sizeof *ids);
    if (!texts || !scores || !ids) {
        rc = tr_cli_error("bench: out of memory for %zu pairs", np);
        goto done;
    }
    if (calibrate_words(&s, (size_t)tokens, ids, cap, &nwords) != TINYRANK_OK) {
        rc = 1;
        goto done;
    }
    for (size_t i = 0; i < np; i++) {
        /* Different starting words: distinct passages of equal length. */
        texts[i] = make_text(i % NUM_WORDS, nwords);
        size_t count = 0;
        if (!texts[i]) {
            rc = tr_cli_error("bench: out of memory");
            goto done;
        }
        if (pair_tokens(&s, texts[i], ids, cap, &count) != TINYRANK_OK) {
            rc = 1;
            goto done;
        }
        total_tokens += count;
    }

    /* Warm-up: first touch of the weights (page faults of the mapping) and
     * of the arena is not what a long-running reranker pays. */
    int st = tinyrank_score(s.session, query, (const char *const *)texts, np, scores);
    if (st != TINYRANK_OK) {
        rc = tr_cli_session_error(&s, "bench: warm-up run", st);
        goto done;
    }
    double best = 1e300, total = 0.0;
    for (long r = 0; r < runs; r++) {
        double t0 = now_seconds();
        st = tinyrank_score(s.session, query, (const char *const *)texts, np, scores);
        double dt = now_seconds() - t0;
        if (st != TINYRANK_OK) {
            rc = tr_cli_session_error(&s, "bench: timed run", st);
            goto done;
        }
        total += dt;
        if (dt < best)
            best = dt;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    size_t peak_rss = (size_t)ru.ru_maxrss * 1024; /* Linux reports KiB */
    double mean = total / (double)runs;
    double pairs_s = mean > 0 ? (double)np / mean : 0.0;
    double tokens_s = mean > 0 ? (double)total_tokens / mean : 0.0;
    double avg_tokens = (double)total_tokens / (double)np;
    int batch = params.max_batch, threads = params.num_threads;
    size_t delegated = 0;
    if (params.num_delegates > 0)
        tinyrank_session_delegated_ops(s.session, 0, &delegated);
    const char *delegate = params.num_delegates > 0 ? params.delegates[0]->name : "none";
    if (json) {
        printf("{\"model\": ");
        tr_cli_json_string(stdout, model_path, strlen(model_path));
        printf(", \"weight_dtype\": \"%s\", \"pairs\": %zu, \"tokens_per_pair\": %.1f, "
               "\"tokens_requested\": %ld, \"batch\": %d, \"threads\": %d, \"runs\": %ld, "
               "\"pairs_per_s\": %.3f, \"tokens_per_s\": %.1f, \"ms_per_call\": %.4f, "
               "\"ms_per_call_min\": %.4f, \"arena_bytes\": %zu, \"peak_rss_bytes\": %zu, "
               "\"model_bytes\": %zu, \"delegate\": \"%s\", \"delegated_ops\": %zu}\n",
               m.info.weight_dtype, np, avg_tokens, tokens, batch, threads, runs, pairs_s,
               tokens_s, mean * 1e3, best * 1e3, s.arena_bytes, peak_rss, m.map.size, delegate,
               delegated);
    } else {
        printf("model          %s (%s, %zu bytes)\n", model_path, m.info.weight_dtype, m.map.size);
        printf("workload       %zu pairs x %.1f tokens (asked %ld), batch %d, %d thread(s), "
               "%ld runs\n",
               np, avg_tokens, tokens, batch, threads, runs);
        printf("pairs/s        %.3f\n", pairs_s);
        printf("tokens/s       %.1f\n", tokens_s);
        printf("ms per call    %.4f (mean), %.4f (best); one call = %zu pairs\n", mean * 1e3,
               best * 1e3, np);
        printf("arena bytes    %zu\n", s.arena_bytes);
        printf("peak RSS       %zu bytes\n", peak_rss);
        if (params.num_delegates > 0)
            printf("delegate       %s ran %zu operators\n", delegate, delegated);
    }
done:
    if (texts)
        for (size_t i = 0; i < np; i++)
            free(texts[i]);
    free(texts);
    free(scores);
    free(ids);
    tr_cli_session_close(&s);
    tr_cli_model_close(&m);
    return rc;
}
