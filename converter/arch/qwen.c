/* qwen.c - Qwen2ForCausalLM (ProRank / mxbai-rerank-v2) and Qwen3ForCausalLM
 * (Qwen3-Reranker) as yes/no rerankers.
 *
 * Graph (transformers' modeling_qwen2.py / modeling_qwen3.py, eval mode):
 *   x = embed_tokens[ids]
 *   per layer: h = RMSNorm(x)
 *              q, k, v = h Wq (+bq), h Wk (+bk), h Wv (+bv)   (Qwen2: biases)
 *              q, k = RMSNorm per head (q_norm, k_norm)        (Qwen3)
 *              q, k = RoPE(q, pos), RoPE(k, pos)
 *              x = x + causal GQA attention(q, k, v) Wo
 *              x = x + down(silu(gate(h2)) * up(h2)),  h2 = RMSNorm(x)
 *   score: the last row of each sequence, final RMSNorm, then ONLY the two
 *   rows of the LM head that the score reads (no 151k-row vocabulary), as a
 *   [2, H] fully connected layer: output column 0 = the negative token
 *   ("no" / "0"), column 1 = the positive one ("yes" / "1").
 *
 * Each attention keeps PERSISTENT K/V caches (inputs 4, 5) so that the
 * session can run a prompt prefix shared by all passages once
 * (runtime/graph/session_prefix.c). Gate and up projections are one fused
 * [2F, H] weight feeding the GLU op. The final norm is applied after the
 * last-row gather: RMSNorm is per row, so only one row per sequence is
 * normalized.
 *
 * int8: q/k/v/o, gate+up and down are int8 per output channel; the word
 * embedding is int8 per row. Kept f32: the norms, the biases and the 2-row
 * head (taken from the f32 embedding before it is quantized, when tied).
 * With q->smooth, the input channels of q/k/v, gate/up and down are
 * rescaled before quantization (qwen_smooth.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "converter/arch/qwen.h"
#include "tinyrank.h"

/* --keep-f32: the weight kinds an int8 conversion leaves in float32. */
static int read_keep_f32(tr_arch_ctx *c, tr_qwen_cfg *q)
{
    static const char *const kinds[] = {"q", "k", "v", "o", "gate_up", "down", "embed"};
    bool *flags[] = {&q->q8_q, &q->q8_k, &q->q8_v, &q->q8_o, &q->q8_gate_up, &q->q8_down, &q->q8_embed};
    const bool q8 = c->opt->dtype == TR_CONVERT_INT8;
    for (size_t i = 0; i < 7; i++)
        *flags[i] = q8;
    const char *list = c->opt->keep_f32;
    while (list != NULL && *list) {
        size_t n = strcspn(list, ","), i = 0;
        while (i < 7 && !(strlen(kinds[i]) == n && strncmp(kinds[i], list, n) == 0))
            i++;
        if (i == 7) {
            snprintf(c->err, c->errlen, "--keep-f32: unknown weight kind \"%.*s\" (q, k, v, o, "
                     "gate_up, down, embed)", (int)n, list);
            return TINYRANK_ERR_INVALID_ARGUMENT;
        }
        *flags[i] = false;
        list += n + (list[n] == ',');
    }
    return TINYRANK_OK;
}

static int read_config(tr_arch_ctx *c, bool qwen3, tr_qwen_cfg *q)
{
    const tr_json *j = c->config;
    q->qwen3 = qwen3;
    q->layers = tr_json_get_int(j, "num_hidden_layers", -1);
    q->hidden = tr_json_get_int(j, "hidden_size", -1);
    q->heads = tr_json_get_int(j, "num_attention_heads", -1);
    q->kv_heads = tr_json_get_int(j, "num_key_value_heads", q->heads);
    q->inter = tr_json_get_int(j, "intermediate_size", -1);
    q->vocab = tr_json_get_int(j, "vocab_size", -1);
    q->max_pos = tr_json_get_int(j, "max_position_embeddings", 32768);
    q->eps = tr_json_get_number(j, "rms_norm_eps", 1e-6);
    q->theta = tr_json_get_number(j, "rope_theta", 10000.0);
    q->head_dim = q->heads > 0 ? q->hidden / q->heads : -1;
    if (qwen3)
        q->head_dim = tr_json_get_int(j, "head_dim", q->head_dim);
    /* Qwen2 always has q/k/v biases; Qwen3 has them only with attention_bias */
    q->qkv_bias = qwen3 ? tr_json_get_bool(j, "attention_bias", false) : true;
    q->tied = tr_json_get_bool(j, "tie_word_embeddings", false);
    int rc = read_keep_f32(c, q);
    if (rc != TINYRANK_OK)
        return rc;
    if (q->layers < 1 || q->hidden < 1 || q->heads < 1 || q->kv_heads < 1 || q->inter < 1 ||
        q->vocab < 2 || q->head_dim < 2 || q->head_dim % 2 != 0 || q->heads % q->kv_heads != 0 ||
        q->layers > 1000 || q->hidden > 65536 || q->inter > 262144 || q->vocab > 10000000 ||
        q->head_dim > 4096 || q->heads > 4096 || q->max_pos < 4 || !(q->eps >= 0) ||
        !(q->theta > 1.0) || (!qwen3 && q->hidden % q->heads != 0)) {
        snprintf(c->err, c->errlen,
                 "config.json: missing or invalid Qwen dimensions (num_hidden_layers, hidden_size, "
                 "num_attention_heads, num_key_value_heads dividing it, head_dim even, "
                 "intermediate_size, vocab_size, rope_theta)");
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    const char *act = tr_json_get_string(j, "hidden_act", "silu");
    if (strcmp(act, "silu") != 0) {
        snprintf(c->err, c->errlen, "config.json: hidden_act \"%s\" is not supported (silu)", act);
        return TINYRANK_ERR_UNSUPPORTED;
    }
    const tr_json *rs = tr_json_get(j, "rope_scaling");
    if (rs != NULL && rs->type != TR_JSON_NULL) {
        snprintf(c->err, c->errlen, "config.json: rope_scaling is not supported (only plain RoPE)");
        return TINYRANK_ERR_UNSUPPORTED;
    }
    if (tr_json_get_bool(j, "use_sliding_window", false)) {
        snprintf(c->err, c->errlen, "config.json: use_sliding_window is not supported");
        return TINYRANK_ERR_UNSUPPORTED;
    }
    return TINYRANK_OK;
}

static int32_t act2d(tr_ir *ir, const char *name, int32_t rows, int64_t cols)
{
    const int32_t dims[2] = {rows, (int32_t)cols};
    return tr_ir_activation(ir, name, 2, dims);
}

/* out = x W^T (+ b) for a weight already added as constant w (and its row
 * sums when int8). */
static int32_t fc_with(tr_arch_ctx *c, int32_t x, int32_t rows, const char *name, int32_t w,
                       int32_t b, int64_t n)
{
    const bool q8 = c->ir->tensors[w].dtype == TR_DT_I8;
    int32_t sums = q8 ? tr_arch_row_sums(c, w) : -1;
    if (q8 && sums < 0)
        return -1;
    tr_node op = {.code = TR_OP_FULLY_CONNECTED, .n_in = q8 ? 4 : 3, .in = {x, w, b, sums, -1, -1}};
    op.out = act2d(c->ir, name, rows, n);
    op.opt.fc.activation = TR_ACT_NONE;
    return op.out < 0 ? -1 : tr_ir_op(c->ir, &op);
}

/* W[r][j] *= s[j] for a [n, k] matrix (s NULL: nothing). */
static void scale_columns(float *w, int64_t n, int64_t k, const float *s)
{
    for (int64_t r = 0; s != NULL && r < n; r++)
        for (int64_t j = 0; j < k; j++)
            w[r * k + j] *= s[j];
}

/* acc[j] = max(acc[j], max_r |W[r][j]|) over weight `name` [n, k]. */
static int col_absmax(tr_arch_ctx *c, const char *name, int64_t n, int64_t k, float *acc)
{
    const int64_t shape[2] = {n, k};
    float *w = tr_arch_load_f32(c, name, 2, shape);
    if (w == NULL)
        return -1;
    for (int64_t r = 0; r < n; r++)
        for (int64_t j = 0; j < k; j++)
            acc[j] = fabsf(w[r * k + j]) > acc[j] ? fabsf(w[r * k + j]) : acc[j];
    free(w);
    return 0;
}

/* A Linear layer of the checkpoint: "<prefix>.weight" [n, k], bias optional;
 * input channel j scaled by s[j] (NULL: 1). */
static int32_t linear(tr_arch_ctx *c, int32_t x, int32_t rows, const char *prefix, int64_t n,
                      int64_t k, bool bias, bool q8, const float *s)
{
    char name[256];
    const int64_t wshape[2] = {n, k}, bshape[1] = {n};
    snprintf(name, sizeof name, "%s.weight", prefix);
    float *wf = tr_arch_load_f32(c, name, 2, wshape);
    scale_columns(wf, n, k, s);
    int32_t w = wf == NULL ? -1
                           : tr_arch_constant_from(c, name, 2, wshape, wf,
                                                   q8 ? TR_ARCH_I8_PACKED : TR_ARCH_F32);
    int32_t b = -1;
    if (w >= 0 && bias) {
        snprintf(name, sizeof name, "%s.bias", prefix);
        b = tr_arch_constant(c, name, 1, bshape, TR_ARCH_F32);
        if (b < 0)
            return -1;
    }
    snprintf(name, sizeof name, "%s:out", prefix);
    return w < 0 ? -1 : fc_with(c, x, rows, name, w, b, n);
}

/* RMSNorm; with s, gamma[j] /= s[j] (the smoothing of the next matrices). */
static int32_t rmsnorm(tr_arch_ctx *c, int32_t x, int32_t rows, int64_t width, const char *weight,
                       int64_t group, double eps, const float *s)
{
    char name[256];
    const int64_t shape[1] = {group > 0 ? group : width};
    float *gf = tr_arch_load_f32(c, weight, 1, shape);
    for (int64_t j = 0; gf != NULL && s != NULL && j < shape[0]; j++)
        gf[j] /= s[j];
    int32_t g = gf == NULL ? -1 : tr_arch_constant_from(c, weight, 1, shape, gf, TR_ARCH_F32);
    if (g < 0)
        return -1;
    snprintf(name, sizeof name, "%s:out", weight);
    tr_node op = {.code = TR_OP_NORM, .n_in = 2, .in = {x, g, -1, -1, -1, -1}};
    op.out = act2d(c->ir, name, rows, width);
    op.opt.norm.epsilon = (float)eps;
    op.opt.norm.rms = true;
    op.opt.norm.group_size = (int32_t)group;
    return op.out < 0 ? -1 : tr_ir_op(c->ir, &op);
}

static int32_t rope(tr_arch_ctx *c, int32_t x, int32_t rows, const tr_qwen_cfg *q, int64_t heads,
                    const char *name)
{
    tr_node op = {.code = TR_OP_ROPE, .n_in = 3,
                  .in = {x, c->ir->position_ids, q->rope_table, -1, -1, -1}};
    op.out = act2d(c->ir, name, rows, heads * q->head_dim);
    op.opt.rope.num_heads = (int32_t)heads;
    op.opt.rope.head_dim = (int32_t)q->head_dim;
    op.opt.rope.theta = (float)q->theta;
    return op.out < 0 ? -1 : tr_ir_op(c->ir, &op);
}

static int32_t add(tr_arch_ctx *c, int32_t a, int32_t b, const char *name, int32_t rows, int64_t h)
{
    tr_node op = {.code = TR_OP_ADD, .n_in = 2, .in = {a, b, -1, -1, -1, -1}};
    op.out = act2d(c->ir, name, rows, h);
    return op.out < 0 ? -1 : tr_ir_op(c->ir, &op);
}

/* gate_proj and up_proj stacked into one [2F, H] weight: GLU reads gate
 * outputs from columns [0, F) and up outputs from [F, 2F). */
static int32_t gate_up(tr_arch_ctx *c, int32_t x, int32_t rows, const char *p,
                       const tr_qwen_cfg *q, const float *s_in, const float *s_down)
{
    char name[256];
    const int64_t F = q->inter, H = q->hidden, shape[2] = {F, H}, fused[2] = {2 * F, H};
    snprintf(name, sizeof name, "%s.mlp.gate_proj.weight", p);
    float *g = tr_arch_load_f32(c, name, 2, shape);
    snprintf(name, sizeof name, "%s.mlp.up_proj.weight", p);
    float *u = g == NULL ? NULL : tr_arch_load_f32(c, name, 2, shape);
    float *w = u == NULL ? NULL : realloc(g, (size_t)(2 * F * H) * sizeof(float));
    if (w == NULL) {
        if (u != NULL)
            snprintf(c->err, c->errlen, "out of memory fusing %s.mlp gate and up", p);
        free(u);
        free(g);
        return -1;
    }
    memcpy(w + (size_t)(F * H), u, (size_t)(F * H) * sizeof(float));
    free(u);
    scale_columns(w, 2 * F, H, s_in);
    /* up row j / s_down[j]: the GLU output channel j (down's input) shrinks
     * by s_down[j], and down's column j grows by it */
    for (int64_t r = 0; s_down != NULL && r < F; r++)
        for (int64_t j = 0; j < H; j++)
            w[(F + r) * H + j] /= s_down[r];
    snprintf(name, sizeof name, "%s.mlp.gate_up_proj.weight", p);
    int32_t wt = tr_arch_constant_from(c, name, 2, fused, w,
                                       q->q8_gate_up ? TR_ARCH_I8_PACKED : TR_ARCH_F32);
    if (wt < 0)
        return -1;
    if (F % 16 != 0) { /* the fused GLU wants whole 16-channel blocks: a GLU op */
        snprintf(name, sizeof name, "%s.mlp.gate_up_proj:out", p);
        int32_t gu = fc_with(c, x, rows, name, wt, -1, 2 * F);
        snprintf(name, sizeof name, "%s.mlp.glu:out", p);
        tr_node op = {.code = TR_OP_GLU, .n_in = 1, .in = {gu, -1, -1, -1, -1, -1}};
        op.out = gu < 0 ? -1 : act2d(c->ir, name, rows, F);
        op.opt.glu.activation = TR_ACT_SILU;
        return op.out < 0 ? -1 : tr_ir_op(c->ir, &op);
    }
    /* SiLU(gate) * up inside the fully connected layer, tile by tile */
    const bool q8 = c->ir->tensors[wt].dtype == TR_DT_I8;
    const int32_t sums = q8 ? tr_arch_row_sums(c, wt) : -1;
    if (q8 && sums < 0)
        return -1;
    snprintf(name, sizeof name, "%s.mlp.glu:out", p);
    tr_node op = {.code = TR_OP_FULLY_CONNECTED, .n_in = q8 ? 4 : 2,
                  .in = {x, wt, -1, sums, -1, -1}};
    op.out = act2d(c->ir, name, rows, F);
    op.opt.fc.activation = TR_ACT_SILU;
    op.opt.fc.glu = true;
    return op.out < 0 ? -1 : tr_ir_op(c->ir, &op);
}

/* The smoothing factors of layer l (qwen_smooth.c) for the int8 matrices:
 * s_attn over q/k/v's input channels, s_mlp over gate/up's, s_down over
 * down's; NULL where those matrices stay f32. */
static int smooth_layer(tr_arch_ctx *c, const tr_qwen_cfg *q, int64_t l, const char *p,
                        float **s_attn, float **s_mlp, float **s_down)
{
    const int64_t H = q->hidden, F = q->inter, d = q->head_dim;
    const tr_qwen_smooth *sm = q->smooth;
    char name[256];
    float *wmax = calloc((size_t)(H > F ? H : F), sizeof(float));
    int rc = wmax == NULL ? -2 : 0; /* -2: out of memory; -1: c->err says why */
    if (rc == 0 && (q->q8_q || q->q8_k || q->q8_v)) {
        static const char *const proj[3] = {"q_proj", "k_proj", "v_proj"};
        for (int i = 0; i < 3 && rc == 0; i++) {
            snprintf(name, sizeof name, "%s.self_attn.%s.weight", p, proj[i]);
            rc = col_absmax(c, name, (i == 0 ? q->heads : q->kv_heads) * d, H, wmax);
        }
        if (rc == 0 && (*s_attn = malloc((size_t)H * sizeof(float))) == NULL)
            rc = -2;
        if (rc == 0)
            tr_qwen_smooth_factors(sm->attn_in + l * H, wmax, (size_t)H, *s_attn);
    }
    if (rc == 0 && q->q8_gate_up) {
        memset(wmax, 0, (size_t)H * sizeof(float));
        snprintf(name, sizeof name, "%s.mlp.gate_proj.weight", p);
        rc = col_absmax(c, name, F, H, wmax);
        snprintf(name, sizeof name, "%s.mlp.up_proj.weight", p);
        rc = rc == 0 ? col_absmax(c, name, F, H, wmax) : rc;
        if (rc == 0 && (*s_mlp = malloc((size_t)H * sizeof(float))) == NULL)
            rc = -2;
        if (rc == 0)
            tr_qwen_smooth_factors(sm->mlp_in + l * H, wmax, (size_t)H, *s_mlp);
    }
    if (rc == 0 && q->q8_down) {
        memset(wmax, 0, (size_t)F * sizeof(float));
        snprintf(name, sizeof name, "%s.mlp.down_proj.weight", p);
        rc = col_absmax(c, name, H, F, wmax);
        if (rc == 0 && (*s_down = malloc((size_t)F * sizeof(float))) == NULL)
            rc = -2;
        if (rc == 0)
            tr_qwen_smooth_factors(sm->down_in + l * F, wmax, (size_t)F, *s_down);
    }
    free(wmax);
    if (rc == -2)
        snprintf(c->err, c->errlen, "out of memory smoothing %s", p);
    if (rc != 0) {
        free(*s_attn), free(*s_mlp), free(*s_down);
        *s_attn = *s_mlp = *s_down = NULL;
    }
    return rc;
}

/* One row per sequence, its last token's: [SEQUENCES, width]. */
static int32_t last_rows(tr_arch_ctx *c, int32_t x, int64_t width, const char *name)
{
    tr_node g = {.code = TR_OP_GATHER_ROWS, .n_in = 1, .in = {x, -1, -1, -1, -1, -1}};
    g.out = act2d(c->ir, name, TR_DIM_SEQUENCES, width);
    g.opt.gather.pick = TR_PICK_LAST;
    return g.out < 0 ? -1 : tr_ir_op(c->ir, &g);
}

/* One decoder layer; returns its output (named "model.layers.<l>:out").
 * The score reads only the last token's output of the last layer, and
 * there (last) nothing else depends on the other tokens' queries: the
 * layer's queries, attention output, MLP and residuals run on each
 * sequence's last row ([SEQUENCES, ...]); keys and values (and the prefix
 * caches) still come from every token. */
static int32_t layer(tr_arch_ctx *c, int32_t x, int64_t l, const tr_qwen_cfg *q, bool last)
{
    tr_ir *ir = c->ir;
    char p[128], name[256];
    const int64_t H = q->hidden, d = q->head_dim, qw = q->heads * d, kvw = q->kv_heads * d;
    const int32_t T = TR_DIM_TOKENS, R = last ? TR_DIM_SEQUENCES : TR_DIM_TOKENS;
    snprintf(p, sizeof p, "model.layers.%lld", (long long)l);
    float *s_attn = NULL, *s_mlp = NULL, *s_down = NULL;
    if (q->smooth != NULL && smooth_layer(c, q, l, p, &s_attn, &s_mlp, &s_down) != 0)
        return -1;
    int32_t out = -1;
    snprintf(name, sizeof name, "%s.input_layernorm.weight", p);
    int32_t h = rmsnorm(c, x, T, H, name, 0, q->eps, s_attn);
    int32_t hq = h, xr = x; /* the rows that get queries, and their residual */
    if (last) {
        snprintf(name, sizeof name, "%s:last_rows", p);
        hq = h < 0 ? -1 : last_rows(c, h, H, name);
        snprintf(name, sizeof name, "%s:last_residual", p);
        xr = hq < 0 ? -1 : last_rows(c, x, H, name);
    }
    snprintf(name, sizeof name, "%s.self_attn.q_proj", p);
    int32_t qt = xr < 0 ? -1 : linear(c, hq, R, name, qw, H, q->qkv_bias, q->q8_q, s_attn);
    snprintf(name, sizeof name, "%s.self_attn.k_proj", p);
    int32_t kt = qt < 0 ? -1 : linear(c, h, T, name, kvw, H, q->qkv_bias, q->q8_k, s_attn);
    snprintf(name, sizeof name, "%s.self_attn.v_proj", p);
    int32_t vt = kt < 0 ? -1 : linear(c, h, T, name, kvw, H, q->qkv_bias, q->q8_v, s_attn);
    if (vt < 0)
        goto done;
    if (q->qwen3) {
        snprintf(name, sizeof name, "%s.self_attn.q_norm.weight", p);
        qt = rmsnorm(c, qt, R, qw, name, d, q->eps, NULL);
        snprintf(name, sizeof name, "%s.self_attn.k_norm.weight", p);
        kt = qt < 0 ? -1 : rmsnorm(c, kt, T, kvw, name, d, q->eps, NULL);
        if (kt < 0)
            goto done;
    }
    snprintf(name, sizeof name, "%s.self_attn:q_rope", p);
    qt = rope(c, qt, R, q, q->heads, name);
    snprintf(name, sizeof name, "%s.self_attn:k_rope", p);
    kt = qt < 0 ? -1 : rope(c, kt, T, q, q->kv_heads, name);
    /* the prefix caches: keys after RoPE, values */
    snprintf(name, sizeof name, "%s.self_attn:cache_k", p);
    int32_t ck = kt < 0 ? -1 : act2d(ir, name, T, kvw);
    snprintf(name, sizeof name, "%s.self_attn:cache_v", p);
    int32_t cv = ck < 0 ? -1 : act2d(ir, name, T, kvw);
    if (cv < 0)
        goto done;
    ir->tensors[ck].kind = TR_TK_PERSISTENT;
    ir->tensors[cv].kind = TR_TK_PERSISTENT;
    snprintf(name, sizeof name, "%s.self_attn:out", p);
    tr_node att = {.code = TR_OP_ATTENTION, .n_in = 6, .in = {qt, kt, vt, -1, ck, cv}};
    att.out = act2d(ir, name, R, qw);
    att.opt.attention.num_heads = (int32_t)q->heads;
    att.opt.attention.num_kv_heads = (int32_t)q->kv_heads;
    att.opt.attention.head_dim = (int32_t)d;
    att.opt.attention.scale = (float)(1.0 / sqrt((double)d));
    att.opt.attention.causal = true;
    att.opt.attention.cache = true;
    att.opt.attention.bf16 = c->opt->dtype == TR_CONVERT_INT8 && c->opt->attention_bf16;
    int32_t a = att.out < 0 ? -1 : tr_ir_op(ir, &att);
    snprintf(name, sizeof name, "%s.self_attn.o_proj", p);
    int32_t o = a < 0 ? -1 : linear(c, a, R, name, H, qw, false, q->q8_o, NULL);
    snprintf(name, sizeof name, "%s:attn_residual", p);
    int32_t x1 = o < 0 ? -1 : add(c, xr, o, name, R, H);
    snprintf(name, sizeof name, "%s.post_attention_layernorm.weight", p);
    int32_t h2 = x1 < 0 ? -1 : rmsnorm(c, x1, R, H, name, 0, q->eps, s_mlp);
    int32_t g = h2 < 0 ? -1 : gate_up(c, h2, R, p, q, s_mlp, s_down);
    snprintf(name, sizeof name, "%s.mlp.down_proj", p);
    int32_t dn = g < 0 ? -1 : linear(c, g, R, name, H, q->inter, false, q->q8_down, s_down);
    snprintf(name, sizeof name, "%s:out", p);
    out = dn < 0 ? -1 : add(c, x1, dn, name, R, H);
done:
    free(s_attn);
    free(s_mlp);
    free(s_down);
    return out;
}

/* The [2, H] head: rows `ids` (negative, positive) of lm_head.weight, or of
 * the embedding when tied (emb: its f32 data, rows [vocab, H]). */
static int32_t head_rows(tr_arch_ctx *c, const tr_qwen_cfg *q, const float *emb,
                         const int32_t ids[2])
{
    const int64_t H = q->hidden, shape[2] = {q->vocab, H}, hs[2] = {2, H};
    const tr_st_tensor *lm = tr_st_find(c->weights, "lm_head.weight");
    float *full = NULL;
    const float *src = emb;
    if (lm != NULL) { /* an explicit head wins (also when tied: the same values) */
        full = tr_arch_load_f32(c, "lm_head.weight", 2, shape);
        if (full == NULL)
            return -1;
        src = full;
    } else if (!q->tied) {
        snprintf(c->err, c->errlen, "missing tensor 'lm_head.weight' in %s (tie_word_embeddings "
                                    "is false)", c->opt->input_dir);
        return -1;
    }
    float *w = malloc((size_t)(2 * H) * sizeof(float));
    if (w == NULL) {
        free(full);
        snprintf(c->err, c->errlen, "out of memory");
        return -1;
    }
    for (int r = 0; r < 2; r++)
        memcpy(w + r * H, src + (size_t)ids[r] * (size_t)H, (size_t)H * sizeof(float));
    free(full);
    return tr_arch_constant_from(c, "score_head.weight", 2, hs, w, TR_ARCH_F32);
}

int tr_arch_qwen_graph(tr_arch_ctx *c, bool qwen3, const int32_t score_ids[2],
                       const tr_qwen_smooth *smooth, tr_qwen_cfg *q)
{
    int rc = read_config(c, qwen3, q);
    if (rc != TINYRANK_OK)
        return rc;
    q->smooth = smooth;
    for (int i = 0; i < 2; i++)
        if (score_ids[i] < 0 || score_ids[i] >= q->vocab) {
            snprintf(c->err, c->errlen, "score token id %d is outside the vocabulary (%lld rows)",
                     (int)score_ids[i], (long long)q->vocab);
            return TINYRANK_ERR_INVALID_ARGUMENT;
        }
    tr_ir *ir = c->ir;
    const bool q8 = c->opt->dtype == TR_CONVERT_INT8;
    const int64_t H = q->hidden;
    ir->family = qwen3 ? TR_FAMILY_QWEN3 : TR_FAMILY_QWEN2;
    ir->weight_dtype = q8 ? TR_DT_I8 : TR_DT_F32;
    ir->num_layers = (int32_t)q->layers;
    ir->hidden = (int32_t)H;
    ir->num_heads = (int32_t)q->heads;
    ir->num_kv_heads = (int32_t)q->kv_heads;
    ir->head_dim = (int32_t)q->head_dim;
    ir->intermediate = (int32_t)q->inter;
    ir->vocab_size = (int32_t)q->vocab;
    ir->max_position = (int32_t)(q->max_pos > 2147483647 ? 2147483647 : q->max_pos);
    ir->type_vocab = 0;
    ir->layer_norm_eps = (float)q->eps;
    ir->token_ids = tr_ir_input(ir, "input_ids");
    ir->position_ids = tr_ir_input(ir, "position_ids");
    ir->type_ids = -1;

    /* the embedding: its f32 rows also give the tied head */
    const int64_t eshape[2] = {q->vocab, H};
    float *emb = tr_arch_load_f32(c, "model.embed_tokens.weight", 2, eshape);
    if (emb == NULL)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    int32_t head = head_rows(c, q, emb, score_ids);
    int32_t table = head < 0 ? -1
                             : tr_arch_constant_from(c, "model.embed_tokens.weight", 2, eshape, emb,
                                                     q->q8_embed ? TR_ARCH_I8_ROWS : TR_ARCH_F32);
    if (head < 0)
        free(emb);
    if (table < 0)
        return ir->oom ? TINYRANK_ERR_INTERNAL : TINYRANK_ERR_INVALID_ARGUMENT;
    tr_node e = {.code = TR_OP_EMBEDDING, .n_in = 2, .in = {ir->token_ids, table, -1, -1, -1, -1}};
    e.out = act2d(ir, "model.embed_tokens:out", TR_DIM_TOKENS, H);
    int32_t x = e.out < 0 ? -1 : tr_ir_op(ir, &e);
    /* cos / sin of every position once per run, for all 2 x layers ROPEs */
    tr_node rt = {.code = TR_OP_ROPE_TABLE, .n_in = 1, .in = {ir->position_ids, -1, -1, -1, -1, -1}};
    rt.out = x < 0 ? -1 : act2d(ir, "rope_table", TR_DIM_TOKENS, q->head_dim);
    rt.opt.rope.num_heads = 1;
    rt.opt.rope.head_dim = (int32_t)q->head_dim;
    rt.opt.rope.theta = (float)q->theta;
    q->rope_table = rt.out < 0 ? -1 : tr_ir_op(ir, &rt);
    if (q->rope_table < 0)
        x = -1;
    for (int64_t l = 0; x >= 0 && l < q->layers; l++) {
        if (c->opt->progress)
            fprintf(stderr, "converting layer %lld/%lld\r", (long long)l + 1, (long long)q->layers);
        x = layer(c, x, l, q, l == q->layers - 1);
    }
    if (c->opt->progress)
        fprintf(stderr, "\n");
    if (x < 0)
        return ir->oom ? TINYRANK_ERR_INTERNAL : TINYRANK_ERR_INVALID_ARGUMENT;
    /* the last layer gave one row per sequence: the last token's */
    int32_t nrm = rmsnorm(c, x, TR_DIM_SEQUENCES, H, "model.norm.weight", 0, q->eps, NULL);
    ir->output = nrm < 0 ? -1 : fc_with(c, nrm, TR_DIM_SEQUENCES, "score_head:out", head, -1, 2);
    if (ir->output < 0)
        return ir->oom ? TINYRANK_ERR_INTERNAL : TINYRANK_ERR_INVALID_ARGUMENT;
    return TINYRANK_OK;
}
