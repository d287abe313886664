/*
 * tinyrank.h - the whole public C API of tinyrank, an on-device reranking runtime.
 *
 * Rules of this API (see docs/ARCHITECTURE.md):
 *  - Every name starts with tinyrank_ / TINYRANK_.
 *  - Handles are opaque. The library never allocates: the caller provides the
 *    storage of a model handle (tinyrank_model_storage) and the arena of a
 *    session (size from tinyrank_arena_size).
 *  - Every call that can fail returns an int status (TINYRANK_OK == 0). The
 *    message of the last failure is given by tinyrank_model_errmsg /
 *    tinyrank_session_errmsg; tinyrank_status_string names a code.
 *  - Parameter structs come with a default initializer function.
 *  - The model bytes are used in place (mmap or flash): they must stay valid and
 *    unchanged for the lifetime of the model and of every session on it, and
 *    their address must be 64-byte aligned.
 */
#ifndef TINYRANK_H
#define TINYRANK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TINYRANK_VERSION_MAJOR 0
#define TINYRANK_VERSION_MINOR 1
#define TINYRANK_VERSION_PATCH 0

/* Model file format version this runtime reads (major must match). */
#define TINYRANK_FORMAT_MAJOR 1
#define TINYRANK_FORMAT_MINOR 1

/* Status codes. */
enum {
    TINYRANK_OK = 0,
    TINYRANK_ERR_INVALID_ARGUMENT = 1, /* NULL pointer, bad parameter value */
    TINYRANK_ERR_CORRUPT_MODEL = 2,    /* the model bytes fail verification */
    TINYRANK_ERR_VERSION = 3,          /* unknown format major version */
    TINYRANK_ERR_UNSUPPORTED = 4,      /* valid, but not implemented by this build */
    TINYRANK_ERR_ALIGNMENT = 5,        /* model buffer not 64-byte aligned */
    TINYRANK_ERR_ARENA_TOO_SMALL = 6,  /* arena smaller than tinyrank_arena_size */
    TINYRANK_ERR_INVALID_UTF8 = 7,     /* input text is not valid UTF-8 */
    TINYRANK_ERR_INPUT_TOO_LARGE = 8,  /* more passages or bytes than the session allows */
    TINYRANK_ERR_IO = 9,               /* file system error (converter, CLI helpers) */
    TINYRANK_ERR_INTERNAL = 10         /* a bug: please report */
};

/* Name of a status code, e.g. "TINYRANK_ERR_CORRUPT_MODEL". Never NULL. */
const char *tinyrank_status_string(int status);

/* Library version string, e.g. "0.1.0". */
const char *tinyrank_version(void);

/* ------------------------------------------------------------------ model */

typedef struct tinyrank_model tinyrank_model;

/* Caller-provided storage of one model handle (static, stack or heap: the
 * library does not care). Its content is private. */
#define TINYRANK_MODEL_STORAGE_BYTES 2048
typedef union tinyrank_model_storage {
    unsigned char bytes[TINYRANK_MODEL_STORAGE_BYTES];
    void *align_ptr_;
    uint64_t align_u64_;
    double align_double_;
} tinyrank_model_storage;

/* Verifies `data` (every offset, length and alignment) and, on success,
 * returns a handle in *out that refers to `data` without copying it.
 * *out is set even on failure (when storage and out are non-NULL) so that
 * tinyrank_model_errmsg can say what was wrong; use no other call on a
 * handle whose load failed. */
int tinyrank_model_load(tinyrank_model_storage *storage, const void *data, size_t size,
                        tinyrank_model **out);

/* Message of the last failure on this model handle ("" when none). */
const char *tinyrank_model_errmsg(const tinyrank_model *model);

/* Facts about a loaded model. */
typedef struct tinyrank_model_info {
    const char *family;       /* "bert", ... */
    const char *name;         /* name given at conversion (may be "") */
    int num_layers;
    int hidden_size;
    int num_heads;
    int intermediate_size;
    int vocab_size;
    int max_position;         /* longest sequence the model can take */
    int default_max_length;   /* max_length stored at conversion */
    const char *weight_dtype; /* "f32" or "int8" */
    size_t num_tensors;
    size_t num_operators;
    size_t weight_bytes;      /* bytes of all constant tensors */
} tinyrank_model_info;

int tinyrank_model_get_info(const tinyrank_model *model, tinyrank_model_info *info);

/* -------------------------------------------------------------- delegates */

/* A delegate runs some operators of the graph on other hardware or with
 * another library (an NPU, XNNPACK); the runtime runs the rest. Offered
 * today: EMBEDDING, FULLY_CONNECTED, NORM, ADD and ACTIVATION (the row-wise
 * operators, fully described below); attention and row gathers, which
 * need the sequence layout of a run, stay on the CPU. At session
 * creation the runtime offers each operator, in graph order, to the
 * session's delegates in the order given; the first that claims it runs it.
 * A claimed operator gets its own slice of the session arena (the bytes the
 * claim asked for, 64-byte aligned); delegates allocate nothing else. An
 * operator whose prepare fails runs on the CPU instead: a delegate that
 * fails never breaks a session. docs/DELEGATES.md explains the contract. */

enum { /* operator kinds a delegate may be offered (the model format's op codes) */
    TINYRANK_OP_EMBEDDING = 0,
    TINYRANK_OP_FULLY_CONNECTED = 1, /* out = act(x W^T + b); inputs x, W [N][K], b [N] or absent */
    TINYRANK_OP_NORM = 2,
    TINYRANK_OP_ATTENTION = 3,
    TINYRANK_OP_ADD = 4,
    TINYRANK_OP_GATHER_ROWS = 5,
    TINYRANK_OP_ACTIVATION = 6
};
enum { TINYRANK_DTYPE_F32 = 0, TINYRANK_DTYPE_F16 = 1, TINYRANK_DTYPE_I8 = 2, TINYRANK_DTYPE_I32 = 3 };
enum { TINYRANK_ACT_NONE = 0, TINYRANK_ACT_GELU_ERF = 1, TINYRANK_ACT_GELU_TANH = 2,
       TINYRANK_ACT_RELU = 3, TINYRANK_ACT_SILU = 4, TINYRANK_ACT_TANH = 5 };
/* Symbolic dimensions: rows of all sequences of a run / one per sequence. */
#define TINYRANK_DIM_TOKENS (-1)
#define TINYRANK_DIM_SEQUENCES (-2)
#define TINYRANK_MAX_NODE_INPUTS 6

typedef struct tinyrank_tensor_desc {
    int dtype;           /* TINYRANK_DTYPE_* */
    int ndim;
    int32_t dims[4];     /* >= 1, or TINYRANK_DIM_* */
    const void *data;    /* constants: the bytes in the model (read in place); else NULL */
    const float *scales; /* int8 constants: per-channel (or one) scales, real = scale * q */
    uint32_t num_scales;
    int packed;          /* 1: int8 weights in the N16K4 layout of tinyrank.fbs */
} tinyrank_tensor_desc;

typedef struct tinyrank_node_desc {
    int op;              /* TINYRANK_OP_* */
    int activation;      /* FULLY_CONNECTED / ACTIVATION: TINYRANK_ACT_* */
    float norm_epsilon;  /* NORM: epsilon, and 1 for RMSNorm (no mean, no beta) */
    int norm_rms;
    int32_t embedding_offset; /* EMBEDDING: out[t] = table[ids[t] + offset] */
    int num_inputs;
    tinyrank_tensor_desc inputs[TINYRANK_MAX_NODE_INPUTS]; /* absent input: ndim 0 */
    tinyrank_tensor_desc output;
    size_t max_rows;     /* rows of the output at the session's maximum batch */
} tinyrank_node_desc;

typedef struct tinyrank_delegate {
    const char *name;
    void *user;
    /* May this delegate run the node? Returns 1 and the arena bytes it needs
     * in *arena_bytes, or 0. Must give the same answer for the same node and
     * max_rows (tinyrank_arena_size asks too). */
    int (*claim)(void *user, const tinyrank_node_desc *node, size_t *arena_bytes);
    /* Builds the delegate's state for the node inside its arena slice (64-byte
     * aligned), e.g. repacked weights; *state is handed to eval. Non-zero:
     * the node runs on the CPU instead. */
    int (*prepare)(void *user, const tinyrank_node_desc *node, void *arena, size_t arena_bytes,
                   void **state);
    /* Runs the node on `rows` rows: inputs[i] points at input i's data (NULL
     * when absent), output at the output's. Non-zero fails the call. */
    int (*eval)(void *user, void *state, const void *const *inputs, void *output, size_t rows);
} tinyrank_delegate;

/* The XNNPACK delegate (library tinyrank_xnnpack, built when Debian's
 * libxnnpack-dev is found; CMake target tinyrank::xnnpack). It runs the f32
 * fully connected operators with XNNPACK's kernels, their packed weights in
 * the session arena. The first call initializes XNNPACK once per process
 * (XNNPACK and cpuinfo allocate then, never afterwards).
 * TINYRANK_ERR_UNSUPPORTED when XNNPACK does not support this CPU. */
int tinyrank_xnnpack_delegate(tinyrank_delegate *out);

/* ------------------------------------------------------------ threadpool */

/* An optional pool of worker threads that sessions share (POSIX builds with
 * TINYRANK_THREADS; firmware builds have none and run on the calling
 * thread). The pool lives in caller storage; its threads are created by
 * tinyrank_threadpool_create (the C library allocates their stacks: that
 * is the only memory tinyrank ever causes to be allocated, and only here)
 * and joined by tinyrank_threadpool_destroy. Scores are bit-identical for
 * every number of threads. */
typedef struct tinyrank_threadpool tinyrank_threadpool;

#define TINYRANK_THREADPOOL_STORAGE_BYTES 4096
#define TINYRANK_MAX_THREADS 64
typedef union tinyrank_threadpool_storage {
    unsigned char bytes[TINYRANK_THREADPOOL_STORAGE_BYTES];
    void *align_ptr_;
    uint64_t align_u64_;
    double align_double_;
} tinyrank_threadpool_storage;

/* num_threads counts the calling thread: 2 means one worker thread.
 * TINYRANK_ERR_UNSUPPORTED in builds without threads. */
int tinyrank_threadpool_create(tinyrank_threadpool_storage *storage, int num_threads,
                               tinyrank_threadpool **out);
void tinyrank_threadpool_destroy(tinyrank_threadpool *pool);

/* ---------------------------------------------------------------- session */

typedef struct tinyrank_session tinyrank_session;

/* How a (query, passage) pair longer than max_length is shortened.
 * ONLY_SECOND cuts the passage (Hugging Face truncation='only_second');
 * LONGEST_FIRST removes one token at a time from the longer of the two
 * (truncation='longest_first'; ties and odd counts as transformers' slow
 * tokenizers). Models with a prompt template (decoder, T5 and XLM-R
 * rerankers) truncate as their template says and accept only the default. */
enum {
    TINYRANK_TRUNCATE_MODEL_DEFAULT = 0, /* as stored in the model */
    TINYRANK_TRUNCATE_ONLY_SECOND = 1,
    TINYRANK_TRUNCATE_LONGEST_FIRST = 2
};

/* What a score is. RAW gives the model's score definition as is: for a
 * BERT cross-encoder the logit, for mxbai-rerank-v2 logit("1") - logit("0"),
 * for Qwen3-Reranker and monoT5 the probability p(yes) / p(true). SIGMOID
 * applies 1/(1+exp(-x)) to a logit score; LOG gives log p of a probability
 * score (monoT5's log p(true)), computed without underflow. */
enum {
    TINYRANK_SCORE_MODEL_DEFAULT = 0,
    TINYRANK_SCORE_RAW = 1,
    TINYRANK_SCORE_SIGMOID = 2,
    TINYRANK_SCORE_LOG = 3
};

typedef struct tinyrank_session_params {
    int max_length;  /* tokens per (query, passage) pair; 0 = model default */
    int max_batch;   /* pairs run through the graph together; >= 1 */
    int truncation;  /* TINYRANK_TRUNCATE_* */
    int score;       /* TINYRANK_SCORE_* */
    int num_threads; /* threads to use: 1, or up to the pool's size (0 = all of the pool) */
    tinyrank_threadpool *threadpool; /* NULL: run on the calling thread only */
    const tinyrank_delegate *const *delegates; /* tried in order; NULL: CPU only */
    int num_delegates;
} tinyrank_session_params;

/* Defaults: max_length 0 (model default), max_batch 1, model truncation,
 * model score, 1 thread, no pool. A session with a pool must not be used by
 * two threads at once, and sessions sharing a pool must not run at once. */
tinyrank_session_params tinyrank_session_params_default(void);

/* Exact number of arena bytes a session with these parameters needs.
 * params may be NULL for the defaults. */
int tinyrank_arena_size(const tinyrank_model *model, const tinyrank_session_params *params,
                        size_t *out_bytes);

/* Creates a session inside `arena` (at least tinyrank_arena_size bytes, any
 * alignment: it is aligned internally at a cost counted in the size). The
 * session uses no other memory. Destroying it is forgetting the arena.
 * On failure *out is NULL, or (when the arena has room for it) a handle
 * that only tinyrank_session_errmsg accepts, saying what was wrong. */
int tinyrank_session_create(const tinyrank_model *model, const tinyrank_session_params *params,
                            void *arena, size_t arena_bytes, tinyrank_session **out);

/* Operators of the session's graph run by delegate i (index into
 * params.delegates), or by the CPU when i is -1. */
int tinyrank_session_delegated_ops(const tinyrank_session *session, int delegate_index,
                                   size_t *count);

/* Message of the last failure on this session ("" when none). */
const char *tinyrank_session_errmsg(const tinyrank_session *session);

/* Scores n passages against one query; scores[i] is the score of
 * passages[i]. Texts are UTF-8 and NUL-terminated.
 * A call is one candidate list: for most models each score depends on its
 * own pair only, but multi-view models (MVP, family "t5" converted with
 * --template mvp) score the passages of a call against each other, so their
 * scores depend on the whole call and n must not exceed the session's
 * max_batch (TINYRANK_ERR_INPUT_TOO_LARGE otherwise). */
int tinyrank_score(tinyrank_session *session, const char *query, const char *const *passages,
                   size_t n, float *scores);

/* Same, with explicit byte lengths (texts need not be NUL-terminated and may
 * contain NUL). */
int tinyrank_score_n(tinyrank_session *session, const char *query, size_t query_len,
                     const char *const *passages, const size_t *passage_lens, size_t n,
                     float *scores);

typedef struct tinyrank_result {
    size_t index; /* position of the passage in the input */
    float score;
} tinyrank_result;

/* Scores n passages and writes the best min(top_k, n) into results, best
 * first (ties: lower index first). `scratch` holds n floats. */
int tinyrank_rerank(tinyrank_session *session, const char *query, const char *const *passages,
                    size_t n, size_t top_k, float *scratch, tinyrank_result *results);

/* The token ids (and token type ids) that the session feeds the model for
 * one (query, passage) pair, after its template and truncation: for
 * inspection, debugging and token counts. Writes at most cap entries to ids
 * and type_ids (type_ids may be NULL); *count gets the sequence length. */
int tinyrank_tokenize_pair(tinyrank_session *session, const char *query, size_t query_len,
                           const char *passage, size_t passage_len, int32_t *ids,
                           int32_t *type_ids, size_t cap, size_t *count);

/* Instruction of instruction-following rerankers (Qwen3-Reranker's
 * "<Instruct>: ..."), used by the calls that follow on this session; the
 * text is copied (at most TINYRANK_MAX_INSTRUCTION_BYTES). NULL restores the
 * model's default instruction. TINYRANK_ERR_UNSUPPORTED for models whose
 * template has no instruction. */
#define TINYRANK_MAX_INSTRUCTION_BYTES 4096
int tinyrank_set_instruction(tinyrank_session *session, const char *instruction, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* TINYRANK_H */
