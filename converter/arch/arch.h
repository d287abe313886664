/* arch.h - one file per model family turns a Hugging Face checkpoint into
 * the tinyrank graph (tr_ir). Each family reads its config.json, takes every
 * tensor it needs from the safetensors set (marking it used, so that the
 * driver can reject checkpoints with tensors nobody understood), quantizes
 * what the chosen dtype says, and describes its tokenizer, input template
 * and score. */
#ifndef TR_ARCH_H
#define TR_ARCH_H

#include <stddef.h>

#include "converter/convert.h"
#include "converter/hf/json.h"
#include "converter/hf/safetensors.h"
#include "converter/hf/tokenizer_files.h"
#include "converter/write/model_ir.h"

typedef struct tr_arch_ctx {
    const tr_convert_options *opt;
    const tr_json *config; /* config.json */
    tr_st_set *weights;
    tr_wp_files *tok;      /* WordPiece families */
    tr_ir *ir;
    char *err;
    size_t errlen;
} tr_arch_ctx;

/* BertForSequenceClassification cross-encoders (MiniLM, TinyBERT, ...). */
int tr_arch_bert_build(tr_arch_ctx *c);

/* Shared helpers (arch_common.c). */

/* Tensor `name` as float32 with exactly the given shape; marks it used.
 * NULL (with c->err set) when missing, mis-shaped or of an unsupported dtype. */
float *tr_arch_load_f32(tr_arch_ctx *c, const char *name, int ndim, const int64_t *shape);

/* How tr_arch_constant stores a tensor. */
enum {
    TR_ARCH_F32 = 0,       /* as it is, float32 */
    TR_ARCH_I8_ROWS = 1,   /* int8, one scale per row, row-major (embedding tables) */
    TR_ARCH_I8_PACKED = 2  /* int8, one scale per output channel, packed N16K4 (GEMM weights) */
};

/* Adds tensor `name` as a constant stored as `how` (TR_ARCH_*). Returns its
 * index, -1 on error (c->err set). */
int32_t tr_arch_constant(tr_arch_ctx *c, const char *name, int ndim, const int64_t *shape, int how);

/* The same for float32 data the family computed itself (fused or sliced
 * weights): `w` (malloc'd, shape's elements) is taken over. */
int32_t tr_arch_constant_from(tr_arch_ctx *c, const char *name, int ndim, const int64_t *shape,
                              float *w, int how);

/* For an I8 weight [N][K]: a constant "<name>:row_sums" I32 [N] with
 * sum_k W[n][k], which the uint8 x int8 GEMM needs for the activations'
 * zero points. Returns its index, -1 on error. */
int32_t tr_arch_row_sums(tr_arch_ctx *c, int32_t weight);

#endif
