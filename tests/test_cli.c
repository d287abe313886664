/* test_cli.c - the `tinyrank` binary end to end: a generated checkpoint is
 * converted (f32 and int8) and reranks passages given in every input form;
 * every failure gives a non-zero exit and exactly one "tinyrank: " line.
 *
 * Needs TINYRANK_CLI (the binary), TINYRANK_PYTHON and TINYRANK_SOURCE_DIR
 * (for tests/tools/make_checkpoint.py); ctest sets them. Without them the
 * tests say SKIPPED and skip. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "converter/hf/json.h"

/* ------------------------------------------------------------ environment */

static char g_dir[64];         /* work folder of this run */
static const char *g_cli;      /* the binary */
static char g_f32[128], g_int8[128], g_passages[128], g_ckpt[128];
static int g_ready;            /* models converted */
static char g_skip_reason[256];

static const char *const PASSAGES[] = {
    "the water of the river was cold in the morning",
    "a small bird sat on the tree near the house",
    "how many people live in the city",
    "the history of the world is a long story",
    "my father gave me a book about fish and the sea",
    "music and song are part of every school day",
};
#define NUM_PASSAGES (sizeof PASSAGES / sizeof PASSAGES[0])
static const char QUERY[] = "where do fish live in the river";

typedef struct run_result {
    int status;    /* exit status, or 128 + signal */
    char *out;     /* stdout, NUL-terminated */
    char *err;     /* stderr */
} run_result;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return calloc(1, 1);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 2) {
            char *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* Runs argv (argv[0] = program) with stdin from `in_path` (NULL:
 * /dev/null), capturing stdout and stderr. fork + exec, no shell: no
 * quoting problems. */
static run_result run_argv(const char *in_path, char *const argv[])
{
    run_result r = {-1, NULL, NULL};
    char out_path[128], err_path[128];
    snprintf(out_path, sizeof out_path, "%s/stdout.txt", g_dir);
    snprintf(err_path, sizeof err_path, "%s/stderr.txt", g_dir);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || err < 0)
            _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid < 0)
        return r;
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
    r.out = slurp(out_path);
    r.err = slurp(err_path);
    return r;
}

/* run(stdin, "rerank", "-m", x, NULL): the CLI with these arguments. */
static run_result run(const char *in_path, ...)
{
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)g_cli;
    va_list ap;
    va_start(ap, in_path);
    const char *a;
    while (n < 31 && (a = va_arg(ap, const char *)) != NULL)
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    return run_argv(in_path, argv);
}

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* A failure: non-zero exit, stderr is exactly one line "tinyrank: ...",
 * and it contains `needle` (when given). No crash (signal) either. */
static void assert_failure(run_result *r, const char *needle)
{
    if (r->status == 0 || r->status >= 128 || strncmp(r->err, "tinyrank: ", 10) != 0 ||
        count_lines(r->err) != 1 || (needle && !strstr(r->err, needle)))
        fail_msg("expected one 'tinyrank: ' error line%s%s, got status %d, stderr: %s",
                 needle ? " containing " : "", needle ? needle : "", r->status, r->err);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int group_setup(void **state)
{
    (void)state;
    g_cli = getenv("TINYRANK_CLI");
    const char *py = getenv("TINYRANK_PYTHON");
    const char *src = getenv("TINYRANK_SOURCE_DIR");
    if (!g_cli || !*g_cli || access(g_cli, X_OK) != 0) {
        snprintf(g_skip_reason, sizeof g_skip_reason,
                 "SKIPPED: TINYRANK_CLI does not name the tinyrank binary (build target tinyrank_cli)");
        return 0;
    }
    snprintf(g_dir, sizeof g_dir, "/tmp/tr_cli_XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_ckpt, sizeof g_ckpt, "%s/ckpt", g_dir);
    snprintf(g_f32, sizeof g_f32, "%s/tiny_f32.trk", g_dir);
    snprintf(g_int8, sizeof g_int8, "%s/tiny_int8.trk", g_dir);
    snprintf(g_passages, sizeof g_passages, "%s/passages.txt", g_dir);

    FILE *f = fopen(g_passages, "wb");
    if (!f)
        return -1;
    for (size_t i = 0; i < NUM_PASSAGES; i++) {
        fprintf(f, "%s\n", PASSAGES[i]);
        if (i == 2)
            fputs("\n", f); /* an empty line: skipped, not a passage */
    }
    fclose(f);

    if (!py || !*py || !src || !*src) {
        snprintf(g_skip_reason, sizeof g_skip_reason,
                 "SKIPPED: TINYRANK_PYTHON or TINYRANK_SOURCE_DIR not set (model tests)");
        return 0;
    }
    char script[1024];
    snprintf(script, sizeof script, "%s/tests/tools/make_checkpoint.py", src);
    char *const gen[] = {(char *)py, script, "--preset", "tiny", "--seed", "3", "--out", g_ckpt,
                         NULL};
    run_result r = run_argv(NULL, gen);
    if (r.status != 0) {
        fprintf(stderr, "make_checkpoint.py failed (%d): %s\n", r.status, r.err);
        run_free(&r);
        return -1;
    }
    run_free(&r);
    r = run(NULL, "convert", g_ckpt, "-o", g_f32, "--dtype", "f32", "--quiet", NULL);
    if (r.status != 0) {
        fprintf(stderr, "convert f32 failed (%d): %s\n", r.status, r.err);
        run_free(&r);
        return -1;
    }
    run_free(&r);
    r = run(NULL, "convert", g_ckpt, "-o", g_int8, "--dtype", "int8", "--name", "tiny-int8",
            "--quiet", NULL);
    if (r.status != 0) {
        fprintf(stderr, "convert int8 failed (%d): %s\n", r.status, r.err);
        run_free(&r);
        return -1;
    }
    run_free(&r);
    g_ready = 1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (g_dir[0]) {
        char *const rm[] = {"/bin/rm", "-rf", g_dir, NULL};
        run_result r = run_argv(NULL, rm);
        run_free(&r);
    }
    return 0;
}

#define NEED_CLI()                                                                                 \
    do {                                                                                           \
        if (!g_cli || !g_dir[0]) {                                                                 \
            print_message("%s\n", g_skip_reason);                                                  \
            skip();                                                                                \
        }                                                                                          \
    } while (0)
#define NEED_MODELS()                                                                              \
    do {                                                                                           \
        NEED_CLI();                                                                                \
        if (!g_ready) {                                                                            \
            print_message("%s\n", g_skip_reason);                                                  \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* ------------------------------------------------------------------ tests */

static void test_version_and_help(void **state)
{
    (void)state;
    NEED_CLI();
    run_result r = run(NULL, "--version", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "tinyrank 0.1.0"));
    run_free(&r);
    r = run(NULL, "help", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "rerank"));
    assert_non_null(strstr(r.out, "Empty lines"));
    run_free(&r);
    r = run(NULL, NULL);
    assert_failure(&r, "no command");
    run_free(&r);
    r = run(NULL, "frobnicate", NULL);
    assert_failure(&r, "unknown command");
    run_free(&r);
}

typedef struct parsed_line {
    size_t rank, index;
    double score;
    char text[128];
} parsed_line;

/* Parses the plain output and checks its invariants: ranks 1..n in order,
 * indices a permutation (no duplicate, all in range), scores sorted best
 * first, and the text column the beginning of the passage at that index. */
static size_t parse_plain(const char *out, parsed_line *lines, size_t max, size_t num_inputs)
{
    size_t n = 0;
    int seen[64] = {0};
    const char *s = out;
    while (*s) {
        assert_true(n < max);
        parsed_line *l = &lines[n];
        int consumed = 0;
        if (sscanf(s, "%zu\t%zu\t%lf\t%n", &l->rank, &l->index, &l->score, &consumed) != 3)
            fail_msg("bad output line: %s", s);
        s += consumed;
        const char *nl = strchr(s, '\n');
        assert_non_null(nl);
        size_t tl = (size_t)(nl - s);
        assert_true(tl < sizeof l->text);
        memcpy(l->text, s, tl);
        l->text[tl] = '\0';
        s = nl + 1;
        assert_int_equal(l->rank, n + 1);
        assert_true(l->index < num_inputs);
        assert_false(seen[l->index]);
        seen[l->index] = 1;
        assert_true(isfinite(l->score));
        if (n > 0)
            assert_true(lines[n - 1].score >= l->score);
        assert_int_equal(strncmp(PASSAGES[l->index], l->text, tl), 0);
        n++;
    }
    return n;
}

static void rerank_file(const char *model)
{
    run_result r = run(NULL, "rerank", "-m", model, "-q", QUERY, g_passages, NULL);
    if (r.status != 0)
        fail_msg("rerank failed (%d): %s", r.status, r.err);
    parsed_line lines[16];
    /* The empty line of the file is not a passage: 6 of them, not 7. */
    assert_int_equal(parse_plain(r.out, lines, 16, NUM_PASSAGES), NUM_PASSAGES);
    assert_string_equal(r.err, "");
    run_free(&r);
}

static void test_rerank_f32(void **state)
{
    (void)state;
    NEED_MODELS();
    rerank_file(g_f32);
}

static void test_rerank_int8(void **state)
{
    (void)state;
    NEED_MODELS();
    rerank_file(g_int8);
}

/* --top-k N prints the first N lines of the full ranking. */
static void test_top_k(void **state)
{
    (void)state;
    NEED_MODELS();
    run_result all = run(NULL, "rerank", "-m", g_f32, "-q", QUERY, g_passages, NULL);
    run_result top = run(NULL, "rerank", "-m", g_f32, "-q", QUERY, "--top-k", "2", g_passages,
                         NULL);
    assert_int_equal(all.status, 0);
    assert_int_equal(top.status, 0);
    assert_int_equal(count_lines(top.out), 2);
    assert_int_equal(strncmp(all.out, top.out, strlen(top.out)), 0);
    run_free(&all);
    run_free(&top);
    /* More than there are: all of them. */
    top = run(NULL, "rerank", "-m", g_f32, "-q", QUERY, "--top-k=100", g_passages, NULL);
    assert_int_equal(top.status, 0);
    assert_int_equal(count_lines(top.out), NUM_PASSAGES);
    run_free(&top);
}

/* stdin ("-" or no FILE) and JSON Lines give exactly the output of the
 * plain file: same passages, same scores. */
static void test_stdin_and_jsonl(void **state)
{
    (void)state;
    NEED_MODELS();
    run_result ref = run(NULL, "rerank", "-m", g_f32, "-q", QUERY, g_passages, NULL);
    assert_int_equal(ref.status, 0);
    run_result in = run(g_passages, "rerank", "-m", g_f32, "-q", QUERY, NULL);
    assert_int_equal(in.status, 0);
    assert_string_equal(in.out, ref.out);
    run_free(&in);
    in = run(g_passages, "rerank", "-q", QUERY, "-", "-m", g_f32, NULL);
    assert_int_equal(in.status, 0);
    assert_string_equal(in.out, ref.out);
    run_free(&in);

    char jsonl[128];
    snprintf(jsonl, sizeof jsonl, "%s/passages.jsonl", g_dir);
    FILE *f = fopen(jsonl, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < NUM_PASSAGES; i++)
        fprintf(f, "{\"id\": %zu, \"text\": \"%s\"}\r\n", i, PASSAGES[i]);
    fclose(f);
    run_result j = run(NULL, "rerank", "-m", g_f32, "-q", QUERY, jsonl, NULL);
    assert_int_equal(j.status, 0);
    assert_string_equal(j.out, ref.out);
    run_free(&j);
    run_free(&ref);
}

/* --json: one object per line, in rank order, with rank, index, score,
 * and the passage's text; --sigmoid maps scores into (0, 1). */
static void test_json_output(void **state)
{
    (void)state;
    NEED_MODELS();
    run_result r = run(NULL, "rerank", "-m", g_int8, "-q", QUERY, "--json", "--sigmoid",
                       "--batch", "4", "--truncation", "longest_first", "--max-length", "16",
                       g_passages, NULL);
    if (r.status != 0)
        fail_msg("rerank --json failed (%d): %s", r.status, r.err);
    char *s = r.out;
    size_t n = 0;
    double prev = INFINITY;
    int seen[NUM_PASSAGES] = {0};
    while (*s) {
        char *nl = strchr(s, '\n');
        assert_non_null(nl);
        char err[256];
        tr_json *v = tr_json_parse(s, (size_t)(nl - s), err, sizeof err);
        if (!v)
            fail_msg("line %zu is not JSON (%s): %.*s", n + 1, err, (int)(nl - s), s);
        assert_int_equal(v->type, TR_JSON_OBJECT);
        long long rank = tr_json_get_int(v, "rank", -1);
        long long index = tr_json_get_int(v, "index", -1);
        double score = tr_json_get_number(v, "score", NAN);
        const char *text = tr_json_get_string(v, "text", NULL);
        assert_int_equal(rank, (long long)n + 1);
        assert_true(index >= 0 && index < (long long)NUM_PASSAGES);
        assert_false(seen[index]);
        seen[index] = 1;
        assert_true(score > 0.0 && score < 1.0);
        assert_true(score <= prev);
        prev = score;
        assert_non_null(text);
        assert_string_equal(text, PASSAGES[index]);
        tr_json_free(v);
        n++;
        s = nl + 1;
    }
    assert_int_equal(n, NUM_PASSAGES);
    run_free(&r);
}

static void test_inspect(void **state)
{
    (void)state;
    NEED_MODELS();
    run_result r = run(NULL, "inspect", g_int8, "--json", NULL);
    if (r.status != 0)
        fail_msg("inspect failed (%d): %s", r.status, r.err);
    char err[256];
    tr_json *v = tr_json_parse(r.out, strlen(r.out), err, sizeof err);
    if (!v)
        fail_msg("inspect --json is not JSON: %s", err);
    /* Facts of the generated checkpoint (preset tiny: 2 layers, hidden 64,
     * 4 heads, FFN 256, vocab 1000) and of the conversion options. */
    assert_string_equal(tr_json_get_string(v, "family", ""), "bert");
    assert_string_equal(tr_json_get_string(v, "name", ""), "tiny-int8");
    assert_string_equal(tr_json_get_string(v, "weight_dtype", ""), "int8");
    assert_int_equal(tr_json_get_int(v, "num_layers", 0), 2);
    assert_int_equal(tr_json_get_int(v, "hidden_size", 0), 64);
    assert_int_equal(tr_json_get_int(v, "num_heads", 0), 4);
    assert_int_equal(tr_json_get_int(v, "intermediate_size", 0), 256);
    const tr_json *t = tr_json_get(v, "tensors");
    assert_non_null(t);
    assert_int_equal(t->type, TR_JSON_ARRAY);
    assert_int_equal((long long)t->len, tr_json_get_int(v, "num_tensors", -1));
    assert_true(tr_json_get_int(v, "arena_bytes_batch8", 0) >
                tr_json_get_int(v, "arena_bytes_batch1", 0));
    tr_json_free(v);
    run_free(&r);
    r = run(NULL, "inspect", g_f32, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "bert"));
    assert_non_null(strstr(r.out, "weight dtype      f32"));
    run_free(&r);
}

static void test_bench(void **state)
{
    (void)state;
    NEED_MODELS();
    run_result r = run(NULL, "bench", "-m", g_f32, "--pairs", "4", "--tokens", "40", "--runs",
                       "2", "--batch", "2", "--json", NULL);
    if (r.status != 0)
        fail_msg("bench failed (%d): %s", r.status, r.err);
    char err[256];
    tr_json *v = tr_json_parse(r.out, strlen(r.out), err, sizeof err);
    if (!v)
        fail_msg("bench --json is not JSON: %s", err);
    assert_int_equal(tr_json_get_int(v, "pairs", 0), 4);
    assert_true(tr_json_get_number(v, "pairs_per_s", 0) > 0);
    /* Real token counts: near the 40 asked (most words are one token; some
     * split into pieces in the generated vocabulary). */
    double tpp = tr_json_get_number(v, "tokens_per_pair", 0);
    assert_true(tpp >= 30 && tpp <= 50);
    tr_json_free(v);
    run_free(&r);
}

/* --bm25 needs no model: the published check of the data set. */
static void test_eval_bm25(void **state)
{
    (void)state;
    NEED_CLI();
    const char *shared = getenv("TINYRANK_SHARED");
    char data[1024], qrels[1024];
    snprintf(data, sizeof data, "%s/data/trec-dl19/dl19_bm25_top100.json", shared ? shared : "");
    snprintf(qrels, sizeof qrels, "%s/data/trec-dl19/qrels.dl19-passage.txt", shared ? shared : "");
    if (!shared || access(data, R_OK) != 0) {
        print_message("SKIPPED: ../shared not found\n");
        skip();
    }
    run_result r = run(NULL, "eval", "--bm25", "--data", data, "--qrels", qrels, NULL);
    if (r.status != 0)
        fail_msg("eval --bm25 failed (%d): %s", r.status, r.err);
    assert_non_null(strstr(r.out, "nDCG@10\t0.5058\t(43 queries"));
    run_free(&r);
    if (g_ready) {
        /* A (random) model at depth 5: runs, and reranking the top 5 only. */
        r = run(NULL, "eval", "-m", g_int8, "--depth", "5", "--data", data, "--qrels", qrels, NULL);
        if (r.status != 0)
            fail_msg("eval with a model failed (%d): %s", r.status, r.err);
        assert_non_null(strstr(r.out, "nDCG@10\t"));
        run_free(&r);
    }
    r = run(NULL, "eval", "--bm25", "--data", data, "--qrels", "/nonexistent/qrels", NULL);
    assert_failure(&r, "/nonexistent/qrels");
    run_free(&r);
}

static void test_failures(void **state)
{
    (void)state;
    NEED_CLI();
    char missing[128], corrupt[128], empty[128];
    snprintf(missing, sizeof missing, "%s/missing.trk", g_dir);
    snprintf(corrupt, sizeof corrupt, "%s/corrupt.trk", g_dir);
    snprintf(empty, sizeof empty, "%s/empty.trk", g_dir);

    /* Random bytes (a fixed LCG: reproducible) are no model. */
    FILE *f = fopen(corrupt, "wb");
    assert_non_null(f);
    uint32_t x = 12345;
    for (int i = 0; i < 8192; i++) {
        x = x * 1664525u + 1013904223u;
        fputc((int)(x >> 24), f);
    }
    fclose(f);
    write_text(empty, "");

    run_result r = run(NULL, "rerank", "-m", missing, "-q", "q", g_passages, NULL);
    assert_failure(&r, missing);
    run_free(&r);
    r = run(NULL, "rerank", "-m", corrupt, "-q", "q", g_passages, NULL);
    assert_failure(&r, "TINYRANK_ERR");
    run_free(&r);
    r = run(NULL, "inspect", corrupt, NULL);
    assert_failure(&r, "TINYRANK_ERR");
    run_free(&r);
    r = run(NULL, "rerank", "-m", empty, "-q", "q", g_passages, NULL);
    assert_failure(&r, "empty");
    run_free(&r);
    r = run(NULL, "rerank", "-m", g_dir, "-q", "q", g_passages, NULL);
    assert_failure(&r, "directory");
    run_free(&r);
    r = run(NULL, "rerank", "-m", corrupt, "-q", "q", "--frobnicate", g_passages, NULL);
    assert_failure(&r, "--frobnicate");
    run_free(&r);
    r = run(NULL, "rerank", "-m", corrupt, g_passages, NULL);
    assert_failure(&r, "-q");
    run_free(&r);
    r = run(NULL, "rerank", "-q", "q", g_passages, NULL);
    assert_failure(&r, "-m");
    run_free(&r);
    r = run(NULL, "rerank", "-m", corrupt, "-q", NULL);
    assert_failure(&r, "needs a value");
    run_free(&r);
    r = run(NULL, "rerank", "-m", corrupt, "-q", "q", "--top-k", "zero", g_passages, NULL);
    assert_failure(&r, "--top-k");
    run_free(&r);
    r = run(NULL, "rerank", "-m", corrupt, "-q", "q", "--truncation", "middle", g_passages, NULL);
    assert_failure(&r, "--truncation");
    run_free(&r);
    r = run(NULL, "rerank", "-m", corrupt, "-q", "q", missing, NULL);
    assert_failure(&r, missing);
    run_free(&r);
    r = run(NULL, "convert", "/nonexistent/ckpt", "-o", missing, "--quiet", NULL);
    assert_failure(&r, NULL);
    assert_int_equal(access(missing, F_OK), -1); /* no partial output */
    run_free(&r);
    r = run(NULL, "convert", g_dir, "--dtype", "int4", "-o", missing, NULL);
    assert_failure(&r, "--dtype");
    run_free(&r);
    r = run(NULL, "bench", NULL);
    assert_failure(&r, "-m");
    run_free(&r);
    r = run(NULL, "eval", "-m", corrupt, NULL);
    assert_failure(&r, "--data");
    run_free(&r);

    /* Bad input lines name their line. */
    char bad[128];
    snprintf(bad, sizeof bad, "%s/bad.jsonl", g_dir);
    write_text(bad, "plain passage\n{\"title\": \"no text field\"}\n");
    r = run(NULL, "rerank", "-m", corrupt, "-q", "q", bad, NULL);
    assert_failure(&r, "line 2");
    run_free(&r);
    write_text(bad, "{\"text\": \"unterminated\n");
    r = run(NULL, "rerank", "-m", corrupt, "-q", "q", bad, NULL);
    assert_failure(&r, "line 1");
    run_free(&r);
    write_text(bad, "\n\n");
    r = run(NULL, "rerank", "-m", corrupt, "-q", "q", bad, NULL);
    assert_failure(&r, "no passages");
    run_free(&r);

    if (g_ready) {
        /* Invalid UTF-8 reaches the runtime, which refuses it. */
        write_text(bad, "caf\xC3 au lait\n");
        r = run(NULL, "rerank", "-m", g_f32, "-q", "q", bad, NULL);
        assert_failure(&r, "TINYRANK_ERR_INVALID_UTF8");
        run_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_and_help),
        cmocka_unit_test(test_rerank_f32),
        cmocka_unit_test(test_rerank_int8),
        cmocka_unit_test(test_top_k),
        cmocka_unit_test(test_stdin_and_jsonl),
        cmocka_unit_test(test_json_output),
        cmocka_unit_test(test_inspect),
        cmocka_unit_test(test_bench),
        cmocka_unit_test(test_eval_bm25),
        cmocka_unit_test(test_failures),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
