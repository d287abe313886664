/* api.c - the small public calls: status names, version, defaults, model
 * facts, and the convenience forms of scoring (NUL-terminated texts, top-k). */
#include <string.h>

#include "graph/model.h"
#include "graph/session.h"

const char *tinyrank_status_string(int status)
{
    switch (status) {
    case TINYRANK_OK: return "TINYRANK_OK";
    case TINYRANK_ERR_INVALID_ARGUMENT: return "TINYRANK_ERR_INVALID_ARGUMENT";
    case TINYRANK_ERR_CORRUPT_MODEL: return "TINYRANK_ERR_CORRUPT_MODEL";
    case TINYRANK_ERR_VERSION: return "TINYRANK_ERR_VERSION";
    case TINYRANK_ERR_UNSUPPORTED: return "TINYRANK_ERR_UNSUPPORTED";
    case TINYRANK_ERR_ALIGNMENT: return "TINYRANK_ERR_ALIGNMENT";
    case TINYRANK_ERR_ARENA_TOO_SMALL: return "TINYRANK_ERR_ARENA_TOO_SMALL";
    case TINYRANK_ERR_INVALID_UTF8: return "TINYRANK_ERR_INVALID_UTF8";
    case TINYRANK_ERR_INPUT_TOO_LARGE: return "TINYRANK_ERR_INPUT_TOO_LARGE";
    case TINYRANK_ERR_IO: return "TINYRANK_ERR_IO";
    case TINYRANK_ERR_INTERNAL: return "TINYRANK_ERR_INTERNAL";
    default: return "TINYRANK_ERR_UNKNOWN";
    }
}

#define TR_STR2(x) #x
#define TR_STR(x) TR_STR2(x)

const char *tinyrank_version(void)
{
    return TR_STR(TINYRANK_VERSION_MAJOR) "." TR_STR(TINYRANK_VERSION_MINOR) "." TR_STR(
        TINYRANK_VERSION_PATCH);
}

tinyrank_session_params tinyrank_session_params_default(void)
{
    tinyrank_session_params p;
    p.max_length = 0;
    p.max_batch = 1;
    p.truncation = TINYRANK_TRUNCATE_MODEL_DEFAULT;
    p.score = TINYRANK_SCORE_MODEL_DEFAULT;
    p.num_threads = 1;
    p.threadpool = NULL;
    p.delegates = NULL;
    p.num_delegates = 0;
    return p;
}

static const char *family_name(int f)
{
    switch (f) {
    case TR_FAMILY_BERT: return "bert";
    case TR_FAMILY_XLM_ROBERTA: return "xlm-roberta";
    case TR_FAMILY_QWEN2: return "qwen2";
    case TR_FAMILY_QWEN3: return "qwen3";
    case TR_FAMILY_T5: return "t5";
    default: return "unknown";
    }
}

int tinyrank_model_get_info(const tinyrank_model *m, tinyrank_model_info *info)
{
    if (m == NULL || info == NULL || m->magic != TR_MODEL_MAGIC)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    memset(info, 0, sizeof *info);
    info->family = family_name(m->family);
    info->name = m->name; /* NUL-terminated: checked by the reader */
    info->num_layers = m->num_layers;
    info->hidden_size = m->hidden;
    info->num_heads = m->num_heads;
    info->intermediate_size = m->intermediate;
    info->vocab_size = m->vocab_size;
    info->max_position = m->max_position;
    info->default_max_length = m->max_length;
    info->weight_dtype = tr_dtype_name(m->weight_dtype);
    info->num_tensors = m->tensors.count;
    info->num_operators = m->operators.count;
    info->weight_bytes = m->weight_bytes;
    return TINYRANK_OK;
}

/* Batches of this many lengths are measured at a time on the stack. */
#define TR_LEN_CHUNK 64

int tinyrank_score(tinyrank_session *s, const char *query, const char *const *passages, size_t n,
                   float *scores)
{
    size_t lens[TR_LEN_CHUNK];
    if (s == NULL)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    if (n > 0 && (query == NULL || passages == NULL || scores == NULL))
        return tinyrank_score_n(s, query, 0, passages, NULL, n, scores); /* reports the error */
    size_t qlen = n > 0 ? strlen(query) : 0;
    for (size_t first = 0; first < n; first += TR_LEN_CHUNK) {
        size_t count = n - first < TR_LEN_CHUNK ? n - first : TR_LEN_CHUNK;
        for (size_t i = 0; i < count; i++)
            lens[i] = passages[first + i] ? strlen(passages[first + i]) : 0;
        int rc = tinyrank_score_n(s, query, qlen, passages + first, lens, count, scores + first);
        if (rc != TINYRANK_OK)
            return rc;
    }
    return TINYRANK_OK;
}

/* a ranks before b: higher score, then lower index; NaN ranks last */
static int better(float a, size_t ia, float b, size_t ib)
{
    int an = a != a, bn = b != b;
    if (an != bn)
        return bn;
    if (!an && a != b)
        return a > b;
    return ia < ib;
}

int tinyrank_rerank(tinyrank_session *s, const char *query, const char *const *passages, size_t n,
                    size_t top_k, float *scratch, tinyrank_result *results)
{
    if (s == NULL)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    if (n > 0 && (scratch == NULL || (results == NULL && top_k > 0))) {
        tr_msg(s->errmsg, sizeof s->errmsg, "rerank needs a scratch array of n floats and a results "
                                            "array of top_k entries");
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    int rc = tinyrank_score(s, query, passages, n, scratch);
    if (rc != TINYRANK_OK)
        return rc;
    size_t k = top_k < n ? top_k : n;
    /* insertion into the sorted top-k: O(n k), no memory beyond results */
    size_t filled = 0;
    for (size_t i = 0; i < n; i++) {
        float v = scratch[i];
        if (filled == k && (k == 0 || !better(v, i, results[k - 1].score, results[k - 1].index)))
            continue;
        size_t at = filled < k ? filled++ : k - 1;
        while (at > 0 && better(v, i, results[at - 1].score, results[at - 1].index)) {
            results[at] = results[at - 1];
            at--;
        }
        results[at].index = i;
        results[at].score = v;
    }
    return TINYRANK_OK;
}
