/* model_view.h - read-only facts about a loaded model's graph for tools
 * (`tinyrank inspect`) and tests. Internal: not part of tinyrank.h. */
#ifndef TR_MODEL_VIEW_H
#define TR_MODEL_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tinyrank.h"

typedef struct tr_tensor_desc {
    const char *name; /* not NUL-terminated: use name_len */
    size_t name_len;
    int kind;  /* 0 constant, 1 activation, 2 input, 3 persistent */
    int dtype; /* 0 f32, 1 f16, 2 int8, 3 i32 */
    int ndim;
    int32_t shape[8]; /* -1 = tokens, -2 = sequences */
    size_t nbytes;    /* constants: bytes in the file */
    size_t n_scales;
} tr_tensor_desc;

size_t tr_model_num_tensors(const tinyrank_model *m);
int tr_model_tensor_desc(const tinyrank_model *m, size_t i, tr_tensor_desc *d);
const char *tr_model_dtype_name(int dtype);
const char *tr_model_kind_name(int kind);
/* Operator i: its name ("FULLY_CONNECTED", ...) or NULL past the end. */
const char *tr_model_operator_name(const tinyrank_model *m, size_t i);
/* True for models that score the passages of a call against each other
 * (MVP): a call is one candidate list, so its passages must fit in ONE
 * batch (tools size max_batch to the passages). */
bool tr_model_scores_one_list(const tinyrank_model *m);

#endif
