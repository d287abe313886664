/* ops.h - operators in the TFLite Micro mould: each has
 *   check   - at model load: dtypes, shapes and options of one node are valid
 *             (the whole-file verification calls it for every node);
 *   scratch - arena bytes the node needs while it runs, at the session's
 *             maximum dimensions (the memory planner reserves them);
 *   eval    - runs the node on the current batch.
 * Operators are the unit a backend (the CPU here; XNNPACK or an NPU delegate
 * later) claims; inside, they call the kernels chosen for the CPU. */
#ifndef TR_OPS_H
#define TR_OPS_H

#include "graph/model.h"
#include "graph/parallel.h"
#include "kernels/kernels.h"

/* Sizes of the current run (or the maxima, for planning). */
typedef struct tr_dims {
    size_t tokens;  /* TR_DIM_TOKENS: rows of all sequences, packed */
    size_t seqs;    /* TR_DIM_SEQUENCES */
    size_t max_seq; /* longest sequence */
    size_t threads; /* threads that may run tasks at once (per-thread scratch) */
} tr_dims;

typedef struct tr_exec {
    const tr_tensor *tensors;
    uint8_t *base;          /* planned arena region */
    const size_t *offsets;  /* per tensor: offset of activations in `base` */
    tr_dims dims;
    const uint32_t *seq_start; /* dims.seqs + 1 entries: row of each sequence */
    void *scratch;             /* this node's scratch (planned) */
    const tr_kernels *k;
    tr_parallel *pool; /* NULL: no threads */
    /* Decoder prompt-prefix cache (ATTENTION inputs 4, 5; see
     * op_attention_cache.c): cache_fill = this run is the shared prefix, as
     * one sequence, whose keys/values the attention ops store in their
     * caches; cache_rows = rows of cached prefix every sequence of this run
     * attends to before its own rows (0: none). */
    bool cache_fill;
    size_t cache_rows;
    char *msg;
    size_t msglen;
} tr_exec;

/* Runs fn(arg, task, thread) for task in [0, n), on the session's threads
 * when it has a pool. Callers split work into a number of tasks that does
 * not depend on the thread count, so results are bit-identical for any. */
void tr_exec_parallel(const tr_exec *x, tr_task_fn fn, void *arg, size_t n);

typedef struct tr_op_def {
    const char *name;
    int min_inputs, max_inputs;
    int (*check)(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out, char *msg,
                 size_t msglen);
    size_t (*scratch)(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out,
                      const tr_dims *max);
    int (*eval)(tr_exec *x, const tr_node *n);
} tr_op_def;

/* NULL for an unknown op code. */
const tr_op_def *tr_op_lookup(int code);

extern const tr_op_def tr_op_embedding;
extern const tr_op_def tr_op_fully_connected;
extern const tr_op_def tr_op_norm;
extern const tr_op_def tr_op_attention;
extern const tr_op_def tr_op_add;
extern const tr_op_def tr_op_gather_rows;
extern const tr_op_def tr_op_activation;
extern const tr_op_def tr_op_cross_attention; /* T5 decoder steps */
extern const tr_op_def tr_op_view_score;      /* MVP */
extern const tr_op_def tr_op_rope;
extern const tr_op_def tr_op_glu;
extern const tr_op_def tr_op_rope_table;

/* ---- helpers shared by the operators (ops/op_common.c) */

/* A dimension resolved for the current run. */
size_t tr_dim_value(int32_t d, const tr_dims *dims);
/* Number of elements / bytes of a tensor for the given dims. */
size_t tr_tensor_numel(const tr_tensor *t, const tr_dims *dims);
size_t tr_tensor_bytes(const tr_tensor *t, const tr_dims *dims);
/* Data of tensor i during eval (constant bytes in place, or arena). */
void *tr_exec_data(const tr_exec *x, int32_t i);
/* Rows of a 2-D activation during eval. */
size_t tr_exec_rows(const tr_exec *x, int32_t i);
/* True when a and b have the same shape (symbolic dims compared as codes). */
bool tr_same_shape(const tr_tensor *a, const tr_tensor *b);
bool tr_activation_valid(int act);

/* Rounds up to the arena alignment (64 bytes). */
static inline size_t tr_align64(size_t n)
{
    return (n + 63u) & ~(size_t)63u;
}

#endif
