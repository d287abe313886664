/* t5.c - the graph of a T5ForConditionalGeneration reranker, as transformers'
 * modeling_t5.py computes it (eval mode, float32):
 *
 *   encoder: h = shared[ids]
 *     per layer: h += O(RelAttention(Q n, K n, V n)), n = RMS(h)   (no 1/sqrt(d))
 *                h += FFN(RMS(h))   relu: wo(relu(wi x)); gated: wo(gelu_new(wi_0 x) * wi_1 x)
 *     e = RMS(h) (final_layer_norm)
 *   decoder, ONE step from decoder_start_token_id (rows: one per sequence for
 *   monoT5, one per view for MVP):
 *     g = shared[start]
 *     per layer: g += O(V(RMS(g)))   self-attention over its single position:
 *                                     softmax over one key is 1, so it is V
 *                                     (q, k and the decoder bias are not needed)
 *                g += O(CrossAttention(Q RMS(g), K e, V e))   no mask, no bias
 *                g += FFN(RMS(g))
 *     a = RMS(g) (final_layer_norm)
 *   monoT5: logits of the 2 head rows [false, true] of a (v1.0: tied head,
 *           a * d_model^-0.5 folded into the 2 rows); MVP: VIEW_SCORE(a, e).
 *
 * The relative position bias table lives in layer 0 only (T5 computes the
 * bias there and passes it to all layers): every encoder ATTENTION gets the
 * same constant as input 3.
 *
 * int8: every q/k/v/o/wi matrix of both stacks is int8 (per output
 * channel), and wo too for v1.0 (ReLU); the shared embedding is int8 per
 * row. Kept f32: RMS weights, the bias table, the 2 head rows, and the wo of
 * gated (v1.1) models (see quantize_matrix). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "converter/arch/t5.h"
#include "converter/quantize/quantize.h"
#include "kernels/kernels.h"
#include "tinyrank.h"

static int act_by_name(const char *name)
{
    if (strcmp(name, "relu") == 0)
        return TR_ACT_RELU;
    if (strcmp(name, "gelu_new") == 0 || strcmp(name, "gelu_pytorch_tanh") == 0 ||
        strcmp(name, "gelu_fast") == 0)
        return TR_ACT_GELU_TANH;
    if (strcmp(name, "gelu") == 0)
        return TR_ACT_GELU_ERF;
    if (strcmp(name, "silu") == 0 || strcmp(name, "swish") == 0)
        return TR_ACT_SILU;
    return -1;
}

int tr_t5_read_config(tr_arch_ctx *c, tr_t5_cfg *t)
{
    const tr_json *j = c->config;
    memset(t, 0, sizeof *t);
    t->layers = tr_json_get_int(j, "num_layers", -1);
    t->dec_layers = tr_json_get_int(j, "num_decoder_layers", t->layers);
    t->d_model = tr_json_get_int(j, "d_model", -1);
    t->heads = tr_json_get_int(j, "num_heads", -1);
    t->d_kv = tr_json_get_int(j, "d_kv", -1);
    t->d_ff = tr_json_get_int(j, "d_ff", -1);
    t->vocab = tr_json_get_int(j, "vocab_size", -1);
    t->buckets = tr_json_get_int(j, "relative_attention_num_buckets", 32);
    t->max_distance = tr_json_get_int(j, "relative_attention_max_distance", 128);
    t->eps = tr_json_get_number(j, "layer_norm_epsilon", 1e-6);
    t->decoder_start = (int32_t)tr_json_get_int(j, "decoder_start_token_id", 0);
    t->tied = tr_json_get_bool(j, "tie_word_embeddings", true); /* T5Config's default */
    if (t->layers < 1 || t->dec_layers < 1 || t->d_model < 1 || t->heads < 1 || t->d_kv < 1 ||
        t->d_ff < 1 || t->vocab < 2 || t->layers > 1000 || t->dec_layers > 1000 ||
        t->d_model > 65536 || t->heads * t->d_kv > 65536 || t->d_ff > 262144 ||
        t->vocab > 10000000 || t->buckets < 4 || t->buckets > 65536 ||
        t->max_distance <= t->buckets / 2 || !(t->eps >= 0) || t->decoder_start < 0 ||
        t->decoder_start >= t->vocab) {
        snprintf(c->err, c->errlen,
                 "config.json: missing or invalid T5 dimensions (num_layers, num_decoder_layers, "
                 "d_model, num_heads, d_kv, d_ff, vocab_size, relative_attention_num_buckets / "
                 "max_distance, decoder_start_token_id)");
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    /* feed_forward_proj "relu" | "gated-gelu" | "gated-<act>"; transformers
     * turns "gated-gelu" into dense_act_fn "gelu_new" */
    const char *ffp = tr_json_get_string(j, "feed_forward_proj", "relu");
    t->gated = strncmp(ffp, "gated-", 6) == 0;
    const char *act = t->gated ? ffp + 6 : ffp;
    if (strcmp(ffp, "gated-gelu") == 0)
        act = "gelu_new";
    else
        act = tr_json_get_string(j, "dense_act_fn", act);
    t->act = act_by_name(act);
    if (t->act < 0) {
        snprintf(c->err, c->errlen, "config.json: feed_forward_proj \"%s\" (activation \"%s\") is "
                 "not supported", ffp, act);
        return TINYRANK_ERR_UNSUPPORTED;
    }
    /* layouts: a plain T5 state dict, or the MVP authors' FiD wrapper */
    t->wrapped = tr_st_find(c->weights, "encoder.encoder.block.0.module.layer.0.SelfAttention.q.weight") != NULL;
    return TINYRANK_OK;
}

static int32_t act2d(tr_ir *ir, const char *name, int32_t rows, int64_t cols)
{
    const int32_t dims[2] = {rows, (int32_t)cols};
    return tr_ir_activation(ir, name, 2, dims);
}

/* A constant from float data (taken over) stored as `how` (TR_ARCH_*), the
 * way tr_arch_constant stores a checkpoint tensor; for weights made here
 * (the joined wi_0/wi_1, the 2 head rows). */
static int32_t constant_from(tr_arch_ctx *c, const char *name, float *w, size_t rows, size_t cols,
                             int how)
{
    const int32_t dims[2] = {(int32_t)rows, (int32_t)cols};
    if (how == TR_ARCH_F32)
        return tr_ir_constant(c->ir, name, TR_DT_F32, 2, dims, w, rows * cols * sizeof(float), NULL, 0);
    int8_t *q = malloc(rows * cols + 1);
    float *scales = malloc(rows * sizeof(float) + 1);
    int8_t *packed = NULL;
    if (q != NULL && scales != NULL) {
        tr_quantize_rows_s8(w, rows, cols, q, scales);
        packed = tr_pack_n16k4(q, rows, cols);
    }
    free(w);
    free(q);
    if (packed == NULL) {
        free(scales);
        snprintf(c->err, c->errlen, "out of memory quantizing '%s'", name);
        return -1;
    }
    int32_t idx = tr_ir_constant(c->ir, name, TR_DT_I8, 2, dims, packed, tr_n16k4_bytes(rows, cols),
                                 scales, (uint32_t)rows);
    if (idx >= 0)
        c->ir->tensors[idx].layout = TR_LAYOUT_N16K4;
    return idx;
}

/* out = x W^T (T5 has no biases) for weight tensor `wname` [n, k]. */
/* glu: w is [2F, K] and the output [rows, F] = act(gate) * up (op_fully_connected.c) */
static int32_t linear_w(tr_arch_ctx *c, int32_t x, int32_t rows, int32_t w, const char *out_name,
                        int act, bool glu)
{
    /* copies: adding tensors may move c->ir->tensors */
    const bool q8 = c->ir->tensors[w].dtype == TR_DT_I8;
    const int32_t n = c->ir->tensors[w].dims[0];
    int32_t sums = q8 ? tr_arch_row_sums(c, w) : -1;
    if (q8 && sums < 0)
        return -1;
    tr_node op = {.code = TR_OP_FULLY_CONNECTED, .n_in = q8 ? 4 : 2, .in = {x, w, -1, sums}};
    op.out = act2d(c->ir, out_name, rows, glu ? n / 2 : n);
    op.opt.fc.activation = (uint8_t)act;
    op.opt.fc.glu = glu;
    return op.out < 0 ? -1 : tr_ir_op(c->ir, &op);
}

static int32_t linear(tr_arch_ctx *c, int32_t x, int32_t rows, const char *wname, int64_t n,
                      int64_t k, bool q8, int act)
{
    const int64_t shape[2] = {n, k};
    int32_t w = tr_arch_constant(c, wname, 2, shape, q8 ? TR_ARCH_I8_PACKED : TR_ARCH_F32);
    char out[320];
    snprintf(out, sizeof out, "%s:out", wname);
    return w < 0 ? -1 : linear_w(c, x, rows, w, out, act, false);
}

static int32_t rmsnorm(tr_arch_ctx *c, int32_t x, int32_t rows, const char *wname, int64_t h,
                       double eps)
{
    const int64_t shape[1] = {h};
    int32_t g = tr_arch_constant(c, wname, 1, shape, TR_ARCH_F32);
    if (g < 0)
        return -1;
    char out[320];
    snprintf(out, sizeof out, "%s:out", wname);
    tr_node op = {.code = TR_OP_NORM, .n_in = 2, .in = {x, g, -1, -1}};
    op.out = act2d(c->ir, out, rows, h);
    op.opt.norm.epsilon = (float)eps;
    op.opt.norm.rms = true;
    return op.out < 0 ? -1 : tr_ir_op(c->ir, &op);
}

static int32_t add(tr_arch_ctx *c, int32_t a, int32_t b, const char *name, int32_t rows, int64_t h)
{
    tr_node op = {.code = TR_OP_ADD, .n_in = 2, .in = {a, b, -1, -1}};
    op.out = act2d(c->ir, name, rows, h);
    return op.out < 0 ? -1 : tr_ir_op(c->ir, &op);
}

/* Which matrices are int8 in an int8 model: all but the FFN output (wo) of
 * gated-act models (T5 v1.1 / flan), which transformers keeps in fp32
 * (_keep_in_fp32_modules): the inputs of wo reach large magnitudes in real
 * v1.1 checkpoints, and one uint8 scale per token then flattens the small
 * values next to them. Measured on the golden MVP model (v1.1, random
 * weights, so without that outlier structure): max |score error| 0.245 ->
 * 0.227, Spearman vs f32 0.998 either way; see docs/ARCHITECTURE.md. */
static bool quantize_matrix(const tr_arch_ctx *c, const tr_t5_cfg *t, const char *what)
{
    if (c->opt->dtype != TR_CONVERT_INT8)
        return false;
    return !(t->gated && strcmp(what, "wo") == 0);
}

/* h += FFN(RMS(h)) with the weights under `p` (".../layer.N."). */
static int32_t ffn_block(tr_arch_ctx *c, const tr_t5_cfg *t, int32_t h, int32_t rows, const char *p)
{
    char name[300], out[320];
    const int64_t D = t->d_model, F = t->d_ff;
    snprintf(name, sizeof name, "%slayer_norm.weight", p);
    int32_t n = rmsnorm(c, h, rows, name, D, t->eps);
    if (n < 0)
        return -1;
    int32_t f;
    if (t->gated) {
        /* wi_0 and wi_1 joined into one [2F, D] GEMM; GLU multiplies the halves */
        const int64_t shape[2] = {F, D};
        snprintf(name, sizeof name, "%sDenseReluDense.wi_0.weight", p);
        float *w0 = tr_arch_load_f32(c, name, 2, shape);
        snprintf(name, sizeof name, "%sDenseReluDense.wi_1.weight", p);
        float *w1 = w0 == NULL ? NULL : tr_arch_load_f32(c, name, 2, shape);
        float *both = w1 == NULL ? NULL : realloc(w0, (size_t)(2 * F * D) * sizeof(float));
        if (both == NULL) {
            if (w1 != NULL)
                snprintf(c->err, c->errlen, "out of memory joining wi_0 and wi_1 of %s", p);
            free(w1);
            if (w1 != NULL)
                free(w0);
            return -1;
        }
        memcpy(both + F * D, w1, (size_t)(F * D) * sizeof(float));
        free(w1);
        snprintf(name, sizeof name, "%sDenseReluDense.wi_0+wi_1.weight", p);
        int32_t w = constant_from(c, name, both, (size_t)(2 * F), (size_t)D,
                                  quantize_matrix(c, t, "wi") ? TR_ARCH_I8_PACKED : TR_ARCH_F32);
        if (F % 16 == 0) { /* act(wi_0 x) * (wi_1 x) inside the GEMM, tile by tile */
            snprintf(out, sizeof out, "%sDenseReluDense:glu", p);
            f = w < 0 ? -1 : linear_w(c, n, rows, w, out, t->act, true);
        } else {
            snprintf(out, sizeof out, "%s:out", name);
            int32_t g = w < 0 ? -1 : linear_w(c, n, rows, w, out, TR_ACT_NONE, false);
            if (g < 0)
                return -1;
            snprintf(out, sizeof out, "%sDenseReluDense:glu", p);
            tr_node op = {.code = TR_OP_GLU, .n_in = 1, .in = {g, -1, -1, -1}};
            op.out = act2d(c->ir, out, rows, F);
            op.opt.glu.activation = (uint8_t)t->act;
            f = op.out < 0 ? -1 : tr_ir_op(c->ir, &op);
        }
    } else {
        snprintf(name, sizeof name, "%sDenseReluDense.wi.weight", p);
        f = linear(c, n, rows, name, F, D, quantize_matrix(c, t, "wi"), t->act);
    }
    snprintf(name, sizeof name, "%sDenseReluDense.wo.weight", p);
    int32_t o = f < 0 ? -1 : linear(c, f, rows, name, D, F, quantize_matrix(c, t, "wo"), TR_ACT_NONE);
    snprintf(out, sizeof out, "%s:residual", p);
    return o < 0 ? -1 : add(c, h, o, out, rows, D);
}

static int32_t encoder(tr_arch_ctx *c, const tr_t5_cfg *t, int32_t emb)
{
    tr_ir *ir = c->ir;
    const int32_t T = TR_DIM_TOKENS;
    const int64_t D = t->d_model, I = t->heads * t->d_kv;
    const char *stack = t->wrapped ? "encoder.encoder." : "encoder.";
    char p[256], name[320];
    snprintf(name, sizeof name, "%sblock.0.%slayer.0.SelfAttention.relative_attention_bias.weight",
             stack, t->wrapped ? "module." : "");
    const int64_t bshape[2] = {t->buckets, t->heads};
    int32_t table = tr_arch_constant(c, name, 2, bshape, TR_ARCH_F32);
    int32_t h = table < 0 ? -1 : emb;
    for (int64_t l = 0; h >= 0 && l < t->layers; l++) {
        if (c->opt->progress)
            fprintf(stderr, "converting encoder layer %lld/%lld\r", (long long)l + 1, (long long)t->layers);
        snprintf(p, sizeof p, "%sblock.%lld.%slayer.0.", stack, (long long)l, t->wrapped ? "module." : "");
        snprintf(name, sizeof name, "%slayer_norm.weight", p);
        int32_t n = rmsnorm(c, h, T, name, D, t->eps);
        int32_t qkv[3] = {-1, -1, -1};
        const char *which = "qkv";
        for (int i = 0; n >= 0 && i < 3; i++) {
            snprintf(name, sizeof name, "%sSelfAttention.%c.weight", p, which[i]);
            qkv[i] = linear(c, n, T, name, I, D, quantize_matrix(c, t, "qkv"), TR_ACT_NONE);
            if (qkv[i] < 0)
                return -1;
        }
        if (n < 0)
            return -1;
        snprintf(name, sizeof name, "%sSelfAttention:out", p);
        tr_node att = {.code = TR_OP_ATTENTION, .n_in = 4, .in = {qkv[0], qkv[1], qkv[2], table}};
        att.out = act2d(ir, name, T, I);
        att.opt.attention.num_heads = att.opt.attention.num_kv_heads = (int32_t)t->heads;
        att.opt.attention.head_dim = (int32_t)t->d_kv;
        att.opt.attention.scale = 1.0f; /* T5 folds 1/sqrt(d) into its weights' init */
        att.opt.attention.relative = true;
        att.opt.attention.rel_buckets = (int32_t)t->buckets;
        att.opt.attention.rel_max_distance = (int32_t)t->max_distance;
        att.opt.attention.rel_bidirectional = true;
        int32_t a = att.out < 0 ? -1 : tr_ir_op(ir, &att);
        snprintf(name, sizeof name, "%sSelfAttention.o.weight", p);
        int32_t o = a < 0 ? -1 : linear(c, a, T, name, D, I, quantize_matrix(c, t, "o"), TR_ACT_NONE);
        snprintf(name, sizeof name, "%s:residual", p);
        h = o < 0 ? -1 : add(c, h, o, name, T, D);
        snprintf(p, sizeof p, "%sblock.%lld.%slayer.1.", stack, (long long)l, t->wrapped ? "module." : "");
        h = h < 0 ? -1 : ffn_block(c, t, h, T, p);
    }
    if (c->opt->progress)
        fprintf(stderr, "\n");
    snprintf(name, sizeof name, "%sfinal_layer_norm.weight", stack);
    return h < 0 ? -1 : rmsnorm(c, h, T, name, D, t->eps);
}

/* One decoder step of `rows` rows (SEQUENCES, or the number of views) over
 * the encoder output e. Returns the final-norm output. */
static int32_t decoder(tr_arch_ctx *c, const tr_t5_cfg *t, int32_t table, int32_t e, int32_t rows)
{
    tr_ir *ir = c->ir;
    const int32_t T = TR_DIM_TOKENS;
    const int64_t D = t->d_model, I = t->heads * t->d_kv;
    char p[256], name[320];
    ir->decoder_ids = tr_ir_input(ir, "decoder_input_ids");
    if (ir->decoder_ids < 0)
        return -1;
    ir->tensors[ir->decoder_ids].dims[0] = rows;
    tr_node emb = {.code = TR_OP_EMBEDDING, .n_in = 2, .in = {ir->decoder_ids, table, -1, -1}};
    emb.out = act2d(ir, "decoder:start_embedding", rows, D);
    emb.opt.embedding.index_offset = t->decoder_start; /* the session fills zeros */
    int32_t g = emb.out < 0 ? -1 : tr_ir_op(ir, &emb);
    /* the decoder's own bias table only ever sees distance 0 of one position,
     * where softmax over one key is 1 whatever the bias: not needed */
    tr_st_use(c->weights, "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight");
    for (int64_t l = 0; g >= 0 && l < t->dec_layers; l++) {
        snprintf(p, sizeof p, "decoder.block.%lld.layer.0.", (long long)l);
        snprintf(name, sizeof name, "%sSelfAttention.q.weight", p);
        tr_st_use(c->weights, name); /* q and k: see the file comment */
        snprintf(name, sizeof name, "%sSelfAttention.k.weight", p);
        tr_st_use(c->weights, name);
        snprintf(name, sizeof name, "%slayer_norm.weight", p);
        int32_t n = rmsnorm(c, g, rows, name, D, t->eps);
        snprintf(name, sizeof name, "%sSelfAttention.v.weight", p);
        int32_t v = n < 0 ? -1 : linear(c, n, rows, name, I, D, quantize_matrix(c, t, "qkv"), TR_ACT_NONE);
        snprintf(name, sizeof name, "%sSelfAttention.o.weight", p);
        int32_t o = v < 0 ? -1 : linear(c, v, rows, name, D, I, quantize_matrix(c, t, "o"), TR_ACT_NONE);
        snprintf(name, sizeof name, "%s:residual", p);
        g = o < 0 ? -1 : add(c, g, o, name, rows, D);
        if (g < 0)
            return -1;

        snprintf(p, sizeof p, "decoder.block.%lld.layer.1.", (long long)l);
        snprintf(name, sizeof name, "%slayer_norm.weight", p);
        n = rmsnorm(c, g, rows, name, D, t->eps);
        snprintf(name, sizeof name, "%sEncDecAttention.q.weight", p);
        int32_t q = n < 0 ? -1 : linear(c, n, rows, name, I, D, quantize_matrix(c, t, "qkv"), TR_ACT_NONE);
        snprintf(name, sizeof name, "%sEncDecAttention.k.weight", p);
        int32_t k = q < 0 ? -1 : linear(c, e, T, name, I, D, quantize_matrix(c, t, "qkv"), TR_ACT_NONE);
        snprintf(name, sizeof name, "%sEncDecAttention.v.weight", p);
        v = k < 0 ? -1 : linear(c, e, T, name, I, D, quantize_matrix(c, t, "qkv"), TR_ACT_NONE);
        if (v < 0)
            return -1;
        snprintf(name, sizeof name, "%sEncDecAttention:out", p);
        tr_node x = {.code = TR_OP_CROSS_ATTENTION, .n_in = 3, .in = {q, k, v, -1}};
        x.out = act2d(ir, name, rows, I);
        x.opt.xatt.num_heads = (int32_t)t->heads;
        x.opt.xatt.head_dim = (int32_t)t->d_kv;
        x.opt.xatt.scale = 1.0f;
        x.opt.xatt.views = t->mode == TR_T5_MVP ? t->views : 0;
        int32_t a = x.out < 0 ? -1 : tr_ir_op(ir, &x);
        snprintf(name, sizeof name, "%sEncDecAttention.o.weight", p);
        o = a < 0 ? -1 : linear(c, a, rows, name, D, I, quantize_matrix(c, t, "o"), TR_ACT_NONE);
        snprintf(name, sizeof name, "%s:residual", p);
        g = o < 0 ? -1 : add(c, g, o, name, rows, D);

        snprintf(p, sizeof p, "decoder.block.%lld.layer.2.", (long long)l);
        g = g < 0 ? -1 : ffn_block(c, t, g, rows, p);
    }
    return g < 0 ? -1 : rmsnorm(c, g, rows, "decoder.final_layer_norm.weight", D, t->eps);
}

/* monoT5's head: the logits of [false, true] only (2 rows of the vocabulary
 * matrix; v1.0 ties it to `shared` and scales the decoder output by
 * d_model^-0.5, folded into the rows here). The rest of lm_head is unused. */
static int32_t pair_head(tr_arch_ctx *c, const tr_t5_cfg *t, int32_t a)
{
    const int64_t D = t->d_model;
    const char *src = t->tied ? "shared.weight" : "lm_head.weight";
    if (!t->tied && tr_st_find(c->weights, "lm_head.weight") == NULL) {
        snprintf(c->err, c->errlen, "config.json says tie_word_embeddings false but %s has no "
                 "lm_head.weight", c->opt->input_dir);
        return -1;
    }
    const int64_t shape[2] = {t->vocab, D};
    float *all = tr_arch_load_f32(c, src, 2, shape);
    float *rows = all == NULL ? NULL : malloc((size_t)(2 * D) * sizeof(float));
    if (rows == NULL) {
        if (all != NULL)
            snprintf(c->err, c->errlen, "out of memory");
        free(all);
        return -1;
    }
    const double scale = t->tied ? 1.0 / sqrt((double)D) : 1.0;
    const int32_t ids[2] = {t->false_id, t->true_id};
    for (int r = 0; r < 2; r++)
        for (int64_t k = 0; k < D; k++)
            rows[r * D + k] = (float)(all[(int64_t)ids[r] * D + k] * scale);
    free(all);
    int32_t w = constant_from(c, "score_head[false,true]", rows, 2, (size_t)D, TR_ARCH_F32);
    return w < 0 ? -1 : linear_w(c, a, TR_DIM_SEQUENCES, w, "logits[false,true]", TR_ACT_NONE, false);
}

int tr_t5_build_graph(tr_arch_ctx *c, const tr_t5_cfg *t)
{
    tr_ir *ir = c->ir;
    const bool q8 = c->opt->dtype == TR_CONVERT_INT8;
    const int64_t shape[2] = {t->vocab, t->d_model};
    ir->token_ids = tr_ir_input(ir, "input_ids");
    int32_t table = ir->token_ids < 0 ? -1
                                      : tr_arch_constant(c, "shared.weight", 2, shape,
                                                         q8 ? TR_ARCH_I8_ROWS : TR_ARCH_F32);
    if (table < 0)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    /* tied copies some checkpoints still carry */
    tr_st_use(c->weights, "encoder.embed_tokens.weight");
    tr_st_use(c->weights, "decoder.embed_tokens.weight");
    tr_st_use(c->weights, "encoder.encoder.embed_tokens.weight");
    tr_node emb = {.code = TR_OP_EMBEDDING, .n_in = 2, .in = {ir->token_ids, table, -1, -1}};
    emb.out = act2d(ir, "encoder:embedding", TR_DIM_TOKENS, t->d_model);
    int32_t h = emb.out < 0 ? -1 : tr_ir_op(ir, &emb);
    int32_t e = h < 0 ? -1 : encoder(c, t, h);
    int32_t rows = t->mode == TR_T5_MVP ? t->views : TR_DIM_SEQUENCES;
    int32_t a = e < 0 ? -1 : decoder(c, t, table, e, rows);
    if (a < 0)
        return ir->oom ? TINYRANK_ERR_INTERNAL : TINYRANK_ERR_INVALID_ARGUMENT;
    if (t->mode == TR_T5_MVP) {
        /* the anchors are the decoder states themselves: no head */
        tr_st_use(c->weights, "lm_head.weight");
        tr_node vs = {.code = TR_OP_VIEW_SCORE, .n_in = 2, .in = {a, e, -1, -1}};
        vs.out = act2d(ir, "mvp:score", TR_DIM_SEQUENCES, 1);
        ir->output = vs.out < 0 ? -1 : tr_ir_op(ir, &vs);
    } else {
        ir->output = pair_head(c, t, a);
        /* untied: only 2 rows were taken; tied: a copy of shared some files keep */
        tr_st_use(c->weights, "lm_head.weight");
    }
    if (ir->output < 0)
        return ir->oom ? TINYRANK_ERR_INTERNAL : TINYRANK_ERR_INVALID_ARGUMENT;
    return TINYRANK_OK;
}
