/* model_ir.h - the converter's in-memory model: what an architecture file
 * (converter/arch/) builds and model_writer.c serializes into a .trk file.
 * It mirrors runtime/format/tinyrank.fbs one to one. Host side: allocates. */
#ifndef TR_MODEL_IR_H
#define TR_MODEL_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/schema_ids.h"
#include "graph/model.h" /* tr_node: the operator record is shared with the runtime */

typedef struct tr_ir_tensor {
    char *name;
    uint8_t kind, dtype;
    int ndim;
    int32_t dims[TR_MAX_DIMS];
    void *data; /* CONSTANT: owned bytes */
    size_t nbytes;
    float *scales; /* I8: owned */
    uint32_t n_scales;
    int quant_axis;
    uint8_t layout; /* TR_LAYOUT_* */
} tr_ir_tensor;

typedef struct tr_ir_tokenizer {
    char **tokens; /* borrowed from the tokenizer files reader */
    const size_t *lens;
    size_t count;
    bool lowercase, strip_accents, split_chinese_chars;
    int max_chars_per_word;
    const char *prefix;
    int32_t unk_id, cls_id, sep_id, pad_id;
    const int32_t *special_ids;
    size_t n_special;
} tr_ir_tokenizer;

typedef struct tr_ir {
    uint8_t family, weight_dtype;
    char name[128];
    char producer[256];
    int32_t num_layers, hidden, num_heads, intermediate, vocab_size, max_position, type_vocab;
    float layer_norm_eps;
    tr_ir_tensor *tensors;
    size_t n_tensors, cap_tensors;
    tr_node *ops;
    size_t n_ops, cap_ops;
    int32_t token_ids, type_ids, position_ids, output;
    tr_ir_tokenizer tok;
    uint8_t input_format, truncation;
    int32_t max_length;
    uint8_t score_kind, score_activation;
    int32_t score_column;
    bool oom; /* an allocation failed: the build is invalid */
} tr_ir;

void tr_ir_init(tr_ir *ir);
void tr_ir_free(tr_ir *ir);

/* Adds a tensor; returns its index (or -1 when out of memory). The name is
 * copied; `data` and `scales` are taken over (freed by tr_ir_free). */
int32_t tr_ir_activation(tr_ir *ir, const char *name, int ndim, const int32_t *dims);
int32_t tr_ir_input(tr_ir *ir, const char *name);
int32_t tr_ir_constant(tr_ir *ir, const char *name, uint8_t dtype, int ndim, const int32_t *dims,
                       void *data, size_t nbytes, float *scales, uint32_t n_scales);

/* Adds an operator; in[] holds n_in tensor indices (-1 for an absent
 * optional input). Returns the operator's output. */
int32_t tr_ir_op(tr_ir *ir, const tr_node *op);

#endif
