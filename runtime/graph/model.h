/* model.h - the runtime's view of a verified model file (internal).
 *
 * tinyrank_model_load (graph/model_load.c) verifies the whole file once:
 * FlatBuffer structure, blobs (bounds, 64-byte alignment, sizes), tensors,
 * operators (each op's own check of dtypes and shapes), graph order, the
 * tokenizer and the score definition. After that, tr_model_tensor and
 * tr_model_node decode entries without failing on a verified model. */
#ifndef TR_MODEL_H
#define TR_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/fb_reader.h"
#include "format/schema_ids.h"
#include "tinyrank.h"
#include "graph/template.h"
#include "tokenizer/tokenizer.h"

#define TR_MAX_DIMS 4
#define TR_MAX_OP_INPUTS 6
#define TR_ERRMSG_BYTES 256

typedef struct tr_tensor {
    const char *name;
    uint32_t name_len;
    uint8_t kind;   /* TR_TK_* */
    uint8_t dtype;  /* TR_DT_* */
    uint8_t layout; /* TR_LAYOUT_* */
    int ndim;
    int32_t dims[TR_MAX_DIMS]; /* >= 1, or TR_DIM_TOKENS / TR_DIM_SEQUENCES */
    const void *data;          /* CONSTANT: the bytes, in place */
    size_t nbytes;             /* CONSTANT: byte size */
    const float *scales;       /* I8 CONSTANT: quantization scales */
    uint32_t n_scales;
    int32_t quant_axis;
} tr_tensor;

typedef struct tr_node {
    uint8_t code; /* TR_OP_* */
    int n_in;
    int32_t in[TR_MAX_OP_INPUTS]; /* tensor index, -1 = absent */
    int32_t out;
    union {
        struct { int32_t index_offset; } embedding;
        struct { uint8_t activation; bool glu; } fc;
        struct { float epsilon; bool rms; int32_t group_size; } norm;
        struct {
            int32_t num_heads, num_kv_heads, head_dim;
            float scale;
            bool causal, cache;
            bool relative; /* T5 relative position bias (input 3) */
            int32_t rel_buckets, rel_max_distance;
            bool rel_bidirectional;
            int32_t q_column, k_column, v_column; /* in the inputs' rows */
            bool bf16; /* bfloat16 products allowed */
        } attention;
        struct { uint8_t pick; int32_t index; } gather;
        struct { uint8_t activation; } act;
        struct { int32_t num_heads, head_dim; float theta; } rope;
        struct { uint8_t activation; } glu;
        struct { int32_t num_heads, head_dim; float scale; int32_t views; } xatt;
    } opt;
} tr_node;

struct tinyrank_model {
    uint32_t magic; /* TR_MODEL_MAGIC once loaded successfully */
    char errmsg[TR_ERRMSG_BYTES];
    const uint8_t *data;
    size_t size;
    size_t blob_base; /* first byte of the blob region */
    tr_fb_table root, graph;
    tr_fb_vec tensors, operators, blobs;
    uint8_t family, weight_dtype;
    const char *name;
    uint32_t name_len;
    int32_t num_layers, hidden, num_heads, intermediate, vocab_size, max_position, type_vocab;
    int32_t token_ids, type_ids, position_ids, output; /* graph tensor indices */
    int32_t decoder_ids; /* T5: I32 input the session fills with zeros (-1: none) */
    int32_t output_columns;
    uint8_t input_format, truncation, score_kind, score_activation;
    int32_t max_length, score_column;
    tr_tokenizer tok;
    tr_template tpl; /* input_format SEGMENTS */
    size_t weight_bytes;
};

#define TR_MODEL_MAGIC 0x4b4e5254u /* "TRNK" */

/* Decodes entry i of a loaded model (bounds-checked; false on corruption). */
bool tr_model_tensor(const tinyrank_model *m, uint32_t i, tr_tensor *out);
bool tr_model_node(const tinyrank_model *m, uint32_t i, tr_node *out);

/* Bytes of one element of a dtype (0 for an unknown dtype). */
size_t tr_dtype_size(int dtype);
const char *tr_dtype_name(int dtype);

/* printf-like message into a fixed buffer, no stdio (runtime/util). */
void tr_msg(char *buf, size_t len, const char *fmt, ...);

#endif
