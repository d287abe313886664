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

typedef struct tr_ir_added_token {
    int32_t id;
    unsigned flags; /* TR_ADDED_* (runtime/tokenizer/tokenizer.h) */
} tr_ir_added_token;

/* Everything here is borrowed: it must outlive tr_model_write. */
typedef struct tr_ir_tokenizer {
    uint8_t kind;  /* TR_TOKENIZER_* (0: WordPiece) */
    char **tokens; /* token bytes (BPE: the raw bytes, not the byte-level alphabet) */
    const size_t *lens;
    size_t count;
    /* WordPiece */
    bool lowercase, strip_accents, split_chinese_chars;
    int max_chars_per_word;
    const char *prefix;
    int32_t unk_id, cls_id, sep_id, pad_id;
    const int32_t *special_ids;
    size_t n_special;
    /* every kind */
    int32_t eos_id, bos_id; /* -1: none */
    const tr_ir_added_token *added;
    size_t n_added;
    /* byte-level BPE: merge i joins ids merges[2i], merges[2i+1] and gives
     * merge_ids[i]; merge_order: the ranks sorted by pair; byte_ids: the
     * token of each byte (256). converter/hf/bpe_files.c fills them. */
    const int32_t *merges;
    size_t n_merges;
    const int32_t *merge_ids;
    const uint32_t *merge_order;
    const int32_t *byte_ids;
    /* Unigram */
    const float *scores; /* count entries */
    const uint8_t *charsmap;
    size_t charsmap_len;
    const uint8_t *piece_types; /* count entries, TR_PIECE_* (tokenizer/unigram.h) */
    bool add_dummy_prefix, remove_extra_whitespaces;
    uint8_t unigram_semantics; /* TR_UNIGRAM_SENTENCEPIECE / _HF_TOKENIZERS */
    bool collapse_spaces;
    const double *scores_f64; /* HF_TOKENIZERS: count entries, or NULL */
} tr_ir_tokenizer;

/* A part of a template segment (borrowed text). */
typedef struct tr_ir_part {
    uint8_t slot;     /* TR_SLOT_* */
    const char *text; /* LITERAL: its text */
} tr_ir_part;

typedef struct tr_ir_segment {
    const int32_t *ids; /* fixed ids, or NULL */
    size_t n_ids;
    const tr_ir_part *parts; /* or a text to tokenize at run time */
    size_t n_parts;
    int32_t truncate_order;
    uint16_t max_share; /* per mille of the budget (tinyrank.fbs Segment) */
    bool in_body;
} tr_ir_segment;

typedef struct tr_ir {
    uint8_t family, weight_dtype;
    char name[128];
    char producer[256];
    int32_t num_layers, hidden, num_heads, intermediate, vocab_size, max_position, type_vocab;
    float layer_norm_eps;
    int32_t num_kv_heads, head_dim, num_decoder_layers;
    tr_ir_tensor *tensors;
    size_t n_tensors, cap_tensors;
    tr_node *ops;
    size_t n_ops, cap_ops;
    int32_t token_ids, type_ids, position_ids, output, decoder_ids;
    tr_ir_tokenizer tok;
    uint8_t input_format, truncation;
    int32_t max_length;
    /* SEGMENTS templates (borrowed) */
    const tr_ir_segment *segments;
    size_t n_segments;
    const char *default_instruction, *template_name;
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
