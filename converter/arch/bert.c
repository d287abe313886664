/* bert.c - BertForSequenceClassification cross-encoders, and the BERT-style
 * encoder graph that XLM-R / RoBERTa share (bert.h, xlmr.c).
 *
 * Graph (as transformers' modeling_bert.py / modeling_roberta.py compute it,
 * eval mode):
 *   h = LayerNorm(word[ids] + type[type_ids] + position[pos + offset])
 *   per layer: a = Attention(hWq+bq, hWk+bk, hWv+bv) / sqrt(d) per head
 *              h = LayerNorm(h + a Wo + bo)
 *              h = LayerNorm(h + gelu(h Wi + bi) Wo2 + bo2)
 *   BERT:    score = classifier(tanh(pooler(h[CLS])))[0]
 *   RoBERTa: score = out_proj(tanh(dense(h[<s>])))[0]
 * The session feeds positions 0..n-1; RoBERTa numbers them from
 * padding_idx + 1 (the padded positions of transformers take padding_idx),
 * which the position embedding's index_offset adds.
 *
 * int8: the six encoder matrices of every layer are int8 with one scale per
 * output channel, and the word embedding is int8 with one scale per row
 * (it is most of a small model's bytes: 30522 x 384 = 47 MB in f32; XLM-R's
 * 250002 rows even more). Kept in f32, and why: position and token type
 * embeddings (small, and added to every token), LayerNorm weights and all
 * biases (tiny, and errors there shift every value), and the pooler and
 * classifier (one row per sequence, so negligible time, while the score is
 * read straight from them). */
#include "converter/arch/bert.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinyrank.h"

static const tr_bert_variant k_bert = {"bert", TR_BERT_HEAD_POOLER, 2};

int tr_bert_read_config(tr_arch_ctx *c, const tr_bert_variant *v, tr_bert_cfg *b)
{
    const tr_json *j = c->config;
    b->layers = tr_json_get_int(j, "num_hidden_layers", -1);
    b->hidden = tr_json_get_int(j, "hidden_size", -1);
    b->heads = tr_json_get_int(j, "num_attention_heads", -1);
    b->inter = tr_json_get_int(j, "intermediate_size", -1);
    b->vocab = tr_json_get_int(j, "vocab_size", -1);
    b->max_pos = tr_json_get_int(j, "max_position_embeddings", 512);
    b->type_vocab = tr_json_get_int(j, "type_vocab_size", 2);
    b->eps = tr_json_get_number(j, "layer_norm_eps", 1e-12);
    const char *act = tr_json_get_string(j, "hidden_act", "gelu");
    const char *pos = tr_json_get_string(j, "position_embedding_type", "absolute");
    b->position_offset = 0;
    if (v->head == TR_BERT_HEAD_ROBERTA) {
        /* RobertaEmbeddings: padding_idx = pad_token_id, real tokens from padding_idx + 1 */
        int64_t pad = tr_json_get_int(j, "pad_token_id", 1);
        if (pad < 0 || pad > 1000000) {
            snprintf(c->err, c->errlen, "config.json: pad_token_id %lld is not a valid padding_idx",
                     (long long)pad);
            return TINYRANK_ERR_INVALID_ARGUMENT;
        }
        b->position_offset = (int32_t)pad + 1;
    }
    if (b->layers < 1 || b->hidden < 1 || b->heads < 1 || b->inter < 1 || b->vocab < 1 ||
        b->max_pos - b->position_offset < 4 || b->type_vocab < v->min_type_vocab ||
        b->hidden % b->heads != 0 || b->layers > 1000 || b->hidden > 65536 || b->inter > 262144 ||
        b->vocab > 10000000 || b->max_pos > 10000000 || b->type_vocab > 1000000 ||
        !(b->eps >= 0)) {
        snprintf(c->err, c->errlen,
                 "config.json: missing or invalid %s dimensions (num_hidden_layers, hidden_size, "
                 "num_attention_heads dividing hidden_size, intermediate_size, vocab_size, "
                 "type_vocab_size >= %lld, max_position_embeddings >= %lld)",
                 v->prefix, (long long)v->min_type_vocab, (long long)b->position_offset + 4);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    if (strcmp(act, "gelu") == 0)
        b->act = TR_ACT_GELU_ERF;
    else if (strcmp(act, "gelu_new") == 0 || strcmp(act, "gelu_pytorch_tanh") == 0)
        b->act = TR_ACT_GELU_TANH;
    else if (strcmp(act, "relu") == 0)
        b->act = TR_ACT_RELU;
    else {
        snprintf(c->err, c->errlen, "config.json: hidden_act \"%s\" is not supported", act);
        return TINYRANK_ERR_UNSUPPORTED;
    }
    if (strcmp(pos, "absolute") != 0) {
        snprintf(c->err, c->errlen,
                 "config.json: position_embedding_type \"%s\" is not supported (only absolute)", pos);
        return TINYRANK_ERR_UNSUPPORTED;
    }
    return TINYRANK_OK;
}

static int32_t act2d(tr_ir *ir, const char *name, int32_t rows, int64_t cols)
{
    const int32_t dims[2] = {rows, (int32_t)cols};
    return tr_ir_activation(ir, name, 2, dims);
}

static int32_t fc(tr_arch_ctx *c, int32_t x, int32_t rows, const char *prefix, int64_t n,
                  int64_t k, int quantize, int act)
{
    char name[256];
    const int64_t wshape[2] = {n, k}, bshape[1] = {n};
    snprintf(name, sizeof name, "%s.weight", prefix);
    int32_t w = tr_arch_constant(c, name, 2, wshape, quantize ? TR_ARCH_I8_PACKED : TR_ARCH_F32);
    snprintf(name, sizeof name, "%s.bias", prefix);
    int32_t b = w < 0 ? -1 : tr_arch_constant(c, name, 1, bshape, TR_ARCH_F32);
    if (w < 0 || b < 0)
        return -1;
    int32_t sums = quantize ? tr_arch_row_sums(c, w) : -1;
    if (quantize && sums < 0)
        return -1;
    snprintf(name, sizeof name, "%s:out", prefix);
    tr_node op = {.code = TR_OP_FULLY_CONNECTED, .n_in = quantize ? 4 : 3, .in = {x, w, b, sums}};
    op.out = act2d(c->ir, name, rows, n);
    op.opt.fc.activation = (uint8_t)act;
    return op.out < 0 ? -1 : tr_ir_op(c->ir, &op);
}

/* One fully connected layer for several Linear layers of the same input
 * (prefix.parts[i].weight [n, k] each): their weights and biases stacked
 * into [parts * n, k], so the input is quantized once and one GEMM runs.
 * Per-output-channel scales make the outputs those of the separate layers. */
static int32_t fused_fc(tr_arch_ctx *c, int32_t x, int32_t rows, const char *prefix,
                        const char *const *parts, int nparts, const char *fused_name, int64_t n,
                        int64_t k, int quantize)
{
    char name[600];
    const int64_t wshape[2] = {n, k}, bshape[1] = {n};
    const int64_t fw[2] = {nparts * n, k}, fb[1] = {nparts * n};
    float *w = malloc((size_t)(nparts * n * k) * sizeof(float));
    float *b = malloc((size_t)(nparts * n) * sizeof(float));
    int ok = w != NULL && b != NULL;
    if (!ok)
        snprintf(c->err, c->errlen, "out of memory fusing %s", fused_name);
    for (int i = 0; ok && i < nparts; i++) {
        snprintf(name, sizeof name, "%s.%s.weight", prefix, parts[i]);
        float *wi = tr_arch_load_f32(c, name, 2, wshape);
        snprintf(name, sizeof name, "%s.%s.bias", prefix, parts[i]);
        float *bi = wi == NULL ? NULL : tr_arch_load_f32(c, name, 1, bshape);
        ok = bi != NULL;
        if (ok) {
            memcpy(w + (size_t)(i * n * k), wi, (size_t)(n * k) * sizeof(float));
            memcpy(b + (size_t)(i * n), bi, (size_t)n * sizeof(float));
        }
        free(wi);
        free(bi);
    }
    if (!ok) {
        free(w);
        free(b);
        return -1;
    }
    snprintf(name, sizeof name, "%s.%s.weight", prefix, fused_name);
    int32_t wt = tr_arch_constant_from(c, name, 2, fw, w, quantize ? TR_ARCH_I8_PACKED : TR_ARCH_F32);
    snprintf(name, sizeof name, "%s.%s.bias", prefix, fused_name);
    int32_t bt = wt < 0 ? (free(b), -1) : tr_arch_constant_from(c, name, 1, fb, b, TR_ARCH_F32);
    int32_t sums = bt >= 0 && quantize ? tr_arch_row_sums(c, wt) : -1;
    if (bt < 0 || (quantize && sums < 0))
        return -1;
    snprintf(name, sizeof name, "%s.%s:out", prefix, fused_name);
    tr_node op = {.code = TR_OP_FULLY_CONNECTED, .n_in = quantize ? 4 : 3, .in = {x, wt, bt, sums}};
    op.out = act2d(c->ir, name, rows, nparts * n);
    op.opt.fc.activation = TR_ACT_NONE;
    return op.out < 0 ? -1 : tr_ir_op(c->ir, &op);
}

static int32_t layernorm(tr_arch_ctx *c, int32_t x, int32_t rows, const char *prefix, int64_t h,
                         double eps)
{
    char name[256];
    const int64_t shape[1] = {h};
    snprintf(name, sizeof name, "%s.weight", prefix);
    int32_t g = tr_arch_constant(c, name, 1, shape, TR_ARCH_F32);
    snprintf(name, sizeof name, "%s.bias", prefix);
    int32_t b = g < 0 ? -1 : tr_arch_constant(c, name, 1, shape, TR_ARCH_F32);
    if (g < 0 || b < 0)
        return -1;
    snprintf(name, sizeof name, "%s:out", prefix);
    tr_node op = {.code = TR_OP_NORM, .n_in = 3, .in = {x, g, b, -1}};
    op.out = act2d(c->ir, name, rows, h);
    op.opt.norm.epsilon = (float)eps;
    op.opt.norm.rms = false;
    return op.out < 0 ? -1 : tr_ir_op(c->ir, &op);
}

static int32_t add(tr_arch_ctx *c, int32_t a, int32_t b, const char *name, int32_t rows, int64_t h)
{
    tr_node op = {.code = TR_OP_ADD, .n_in = 2, .in = {a, b, -1, -1}};
    op.out = act2d(c->ir, name, rows, h);
    return op.out < 0 ? -1 : tr_ir_op(c->ir, &op);
}

static int32_t embed(tr_arch_ctx *c, int32_t ids, const char *table_name, int64_t rows, int64_t h,
                     int quantize, int32_t index_offset)
{
    char name[256];
    const int64_t shape[2] = {rows, h};
    int32_t t = tr_arch_constant(c, table_name, 2, shape, quantize ? TR_ARCH_I8_ROWS : TR_ARCH_F32);
    if (t < 0)
        return -1;
    snprintf(name, sizeof name, "%s:out", table_name);
    tr_node op = {.code = TR_OP_EMBEDDING, .n_in = 2, .in = {ids, t, -1, -1}};
    op.out = act2d(c->ir, name, TR_DIM_TOKENS, h);
    op.opt.embedding.index_offset = index_offset;
    return op.out < 0 ? -1 : tr_ir_op(c->ir, &op);
}

/* The first tokens' rows (cls: [SEQUENCES, H], what the last layer gives)
 * through the variant's head: [SEQUENCES, 1]. */
static int32_t head(tr_arch_ctx *c, const tr_bert_variant *v, int32_t cls, int64_t H)
{
    const int32_t S = TR_DIM_SEQUENCES;
    const int roberta = v->head == TR_BERT_HEAD_ROBERTA;
    const char *dense = roberta ? "classifier.dense" : "bert.pooler.dense";
    int32_t pooled = cls < 0 ? -1 : fc(c, cls, S, dense, H, H, 0, TR_ACT_TANH);
    if (pooled < 0)
        return -1;
    /* the number of labels comes from the last weight */
    const char *out_name = roberta ? "classifier.out_proj" : "classifier";
    char wname[64];
    snprintf(wname, sizeof wname, "%s.weight", out_name);
    const tr_st_tensor *cw = tr_st_find(c->weights, wname);
    if (cw == NULL) {
        snprintf(c->err, c->errlen, "missing tensor '%s' in %s", wname, c->opt->input_dir);
        return -1;
    }
    if (cw->ndim != 2 || cw->shape[0] != 1) {
        snprintf(c->err, c->errlen,
                 "%s has %lld rows: only single-logit cross-encoders (num_labels=1) are supported",
                 wname, cw->ndim >= 1 ? (long long)cw->shape[0] : 0LL);
        return -2;
    }
    return fc(c, pooled, S, out_name, 1, H, 0, TR_ACT_NONE);
}

/* One encoder layer over h [TOKENS, H]. The score reads only the first
 * token's output of the last layer, and in that layer nothing else depends
 * on the other tokens' queries: there (last) the first rows are gathered
 * before the query projection, so queries, attention output, output
 * projection, FFN and LayerNorms run on one row per sequence; keys and values
 * still come from every token. Returns [TOKENS, H], or [SEQUENCES, H] for the
 * last layer. */
static int32_t layer(tr_arch_ctx *c, const tr_bert_cfg *b, const char *p, int32_t h, int last)
{
    tr_ir *ir = c->ir;
    const int q8 = c->opt->dtype == TR_CONVERT_INT8;
    const int64_t H = b->hidden;
    const int32_t d = (int32_t)(H / b->heads);
    const int32_t T = TR_DIM_TOKENS, R = last ? TR_DIM_SEQUENCES : TR_DIM_TOKENS;
    char name[256];
    int32_t hq = h; /* the rows that get queries, [R, H] */
    if (last) {
        tr_node g = {.code = TR_OP_GATHER_ROWS, .n_in = 1, .in = {h, -1, -1, -1}};
        snprintf(name, sizeof name, "%s:first_rows", p);
        g.out = act2d(ir, name, R, H);
        g.opt.gather.pick = TR_PICK_FIRST;
        hq = g.out < 0 ? -1 : tr_ir_op(ir, &g);
    }
    /* q, k and v in one projection (k and v only, in the last layer, whose
     * queries come from other rows); attention reads their columns */
    static const char *const qkv[] = {"query", "key", "value"};
    snprintf(name, sizeof name, "%s.attention.self", p);
    int32_t kv = hq < 0 ? -1 : fused_fc(c, h, T, name, last ? qkv + 1 : qkv, last ? 2 : 3,
                                        last ? "kv" : "qkv", H, H, q8);
    snprintf(name, sizeof name, "%s.attention.self.query", p);
    int32_t q = kv < 0 ? -1 : last ? fc(c, hq, R, name, H, H, q8, TR_ACT_NONE) : kv;
    if (q < 0)
        return -1;
    snprintf(name, sizeof name, "%s.attention:out", p);
    tr_node att = {.code = TR_OP_ATTENTION, .n_in = 3, .in = {q, kv, kv, -1}};
    att.opt.attention.q_column = 0;
    att.opt.attention.k_column = last ? 0 : (int32_t)H;
    att.opt.attention.v_column = last ? (int32_t)H : (int32_t)(2 * H);
    att.out = act2d(ir, name, R, H);
    att.opt.attention.num_heads = (int32_t)b->heads;
    att.opt.attention.num_kv_heads = (int32_t)b->heads;
    att.opt.attention.head_dim = d;
    att.opt.attention.scale = (float)(1.0 / sqrt((double)d));
    att.opt.attention.causal = false;
    att.opt.attention.bf16 = q8 && c->opt->attention_bf16;
    int32_t a = att.out < 0 ? -1 : tr_ir_op(ir, &att);
    snprintf(name, sizeof name, "%s.attention.output.dense", p);
    int32_t o = a < 0 ? -1 : fc(c, a, R, name, H, H, q8, TR_ACT_NONE);
    snprintf(name, sizeof name, "%s.attention:residual", p);
    int32_t r = o < 0 ? -1 : add(c, o, hq, name, R, H);
    snprintf(name, sizeof name, "%s.attention.output.LayerNorm", p);
    int32_t h1 = r < 0 ? -1 : layernorm(c, r, R, name, H, b->eps);
    snprintf(name, sizeof name, "%s.intermediate.dense", p);
    int32_t f = h1 < 0 ? -1 : fc(c, h1, R, name, b->inter, H, q8, b->act);
    snprintf(name, sizeof name, "%s.output.dense", p);
    int32_t f2 = f < 0 ? -1 : fc(c, f, R, name, H, b->inter, q8, TR_ACT_NONE);
    snprintf(name, sizeof name, "%s.output:residual", p);
    int32_t r2 = f2 < 0 ? -1 : add(c, f2, h1, name, R, H);
    snprintf(name, sizeof name, "%s.output.LayerNorm", p);
    return r2 < 0 ? -1 : layernorm(c, r2, R, name, H, b->eps);
}

static int build_graph(tr_arch_ctx *c, const tr_bert_variant *v, const tr_bert_cfg *b)
{
    tr_ir *ir = c->ir;
    const int q8 = c->opt->dtype == TR_CONVERT_INT8;
    const int32_t T = TR_DIM_TOKENS;
    const int64_t H = b->hidden;
    const char *pre = v->prefix;
    char p[192], name[256];

    ir->token_ids = tr_ir_input(ir, "input_ids");
    ir->type_ids = tr_ir_input(ir, "token_type_ids");
    ir->position_ids = tr_ir_input(ir, "position_ids");
    snprintf(name, sizeof name, "%s.embeddings.word_embeddings.weight", pre);
    int32_t ew = embed(c, ir->token_ids, name, b->vocab, H, q8, 0);
    snprintf(name, sizeof name, "%s.embeddings.token_type_embeddings.weight", pre);
    int32_t et = ew < 0 ? -1 : embed(c, ir->type_ids, name, b->type_vocab, H, 0, 0);
    snprintf(name, sizeof name, "%s.embeddings.position_embeddings.weight", pre);
    int32_t ep = et < 0 ? -1 : embed(c, ir->position_ids, name, b->max_pos, H, 0, b->position_offset);
    if (ep < 0)
        return -1;
    int32_t h = add(c, ew, et, "embeddings:word+type", T, H);
    h = h < 0 ? -1 : add(c, h, ep, "embeddings:sum", T, H);
    snprintf(name, sizeof name, "%s.embeddings.LayerNorm", pre);
    h = h < 0 ? -1 : layernorm(c, h, T, name, H, b->eps);

    for (int64_t l = 0; h >= 0 && l < b->layers; l++) {
        if (c->opt->progress)
            fprintf(stderr, "converting layer %lld/%lld\r", (long long)l + 1,
                    (long long)b->layers);
        snprintf(p, sizeof p, "%s.encoder.layer.%lld", pre, (long long)l);
        h = layer(c, b, p, h, l == b->layers - 1);
    }
    if (c->opt->progress)
        fprintf(stderr, "\n");
    if (h < 0)
        return -1;

    ir->output = head(c, v, h, H);
    return ir->output;
}

int tr_bert_build_graph(tr_arch_ctx *c, const tr_bert_variant *v, const tr_bert_cfg *b)
{
    tr_ir *ir = c->ir;
    ir->weight_dtype = c->opt->dtype == TR_CONVERT_INT8 ? TR_DT_I8 : TR_DT_F32;
    ir->num_layers = (int32_t)b->layers;
    ir->hidden = (int32_t)b->hidden;
    ir->num_heads = (int32_t)b->heads;
    ir->intermediate = (int32_t)b->inter;
    ir->vocab_size = (int32_t)b->vocab;
    /* the longest sequence the position table numbers */
    ir->max_position = (int32_t)(b->max_pos - b->position_offset);
    ir->type_vocab = (int32_t)b->type_vocab;
    ir->layer_norm_eps = (float)b->eps;
    /* older checkpoints save the position_ids buffer; it is recomputed */
    char name[96];
    snprintf(name, sizeof name, "%s.embeddings.position_ids", v->prefix);
    tr_st_use(c->weights, name);
    int rc = build_graph(c, v, b);
    if (rc == -2)
        return TINYRANK_ERR_UNSUPPORTED;
    if (rc < 0)
        return ir->oom ? TINYRANK_ERR_INTERNAL : TINYRANK_ERR_INVALID_ARGUMENT;
    return TINYRANK_OK;
}

int tr_arch_bert_build(tr_arch_ctx *c)
{
    tr_bert_cfg b;
    int rc = tr_bert_read_config(c, &k_bert, &b);
    if (rc != TINYRANK_OK)
        return rc;
    tr_ir *ir = c->ir;
    ir->family = TR_FAMILY_BERT;
    if ((int64_t)c->tok->count > b.vocab) {
        snprintf(c->err, c->errlen, "the tokenizer has %zu tokens but config.json vocab_size is %lld",
                 c->tok->count, (long long)b.vocab);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    rc = tr_bert_build_graph(c, &k_bert, &b);
    if (rc != TINYRANK_OK)
        return rc;

    tr_wp_files *t = c->tok;
    ir->tok.tokens = t->tokens;
    ir->tok.lens = t->lens;
    ir->tok.count = t->count;
    ir->tok.lowercase = t->lowercase;
    ir->tok.strip_accents = t->strip_accents;
    ir->tok.split_chinese_chars = t->split_chinese_chars;
    ir->tok.max_chars_per_word = t->max_chars_per_word;
    ir->tok.prefix = t->prefix;
    ir->tok.unk_id = t->unk_id;
    ir->tok.cls_id = t->cls_id;
    ir->tok.sep_id = t->sep_id;
    ir->tok.pad_id = t->pad_id;
    ir->tok.special_ids = t->special_ids;
    ir->tok.n_special = t->num_special;

    ir->input_format = TR_FORMAT_CLS_A_SEP_B_SEP;
    /* sentence-transformers' CrossEncoder tokenizes with truncation=True,
     * i.e. longest_first, at the tokenizer's model_max_length (512) */
    ir->truncation = TR_TRUNC_LONGEST_FIRST;
    int64_t ml = c->opt->max_length > 0 ? c->opt->max_length : (b.max_pos < 512 ? b.max_pos : 512);
    if (ml < 4 || ml > b.max_pos) {
        snprintf(c->err, c->errlen, "--max-length %lld is outside 4..%lld (max_position_embeddings)",
                 (long long)ml, (long long)b.max_pos);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    ir->max_length = (int32_t)ml;
    ir->score_kind = TR_SCORE_LOGIT;
    ir->score_column = 0;
    ir->score_activation = TR_SCORE_ACT_RAW;
    return TINYRANK_OK;
}
