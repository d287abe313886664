/* model_load.c - tinyrank_model_load: verify every byte the runtime will
 * read, once, before anything runs. A model that passes can be executed
 * without further bounds checks on its structure (run-time data such as
 * token ids is still checked where it indexes memory). */
#include <string.h>

#include "graph/model.h"
#include "ops/ops.h"

_Static_assert(sizeof(struct tinyrank_model) <= TINYRANK_MODEL_STORAGE_BYTES,
               "tinyrank_model_storage too small");

size_t tr_dtype_size(int dtype)
{
    switch (dtype) {
    case TR_DT_F32: return 4;
    case TR_DT_F16: return 2;
    case TR_DT_I8: return 1;
    case TR_DT_I32: return 4;
    default: return 0;
    }
}

const char *tr_dtype_name(int dtype)
{
    switch (dtype) {
    case TR_DT_F32: return "f32";
    case TR_DT_F16: return "f16";
    case TR_DT_I8: return "int8";
    case TR_DT_I32: return "i32";
    default: return "?";
    }
}

#define FAIL(code, ...)                                       \
    do {                                                      \
        tr_msg(m->errmsg, sizeof m->errmsg, __VA_ARGS__);     \
        return (code);                                        \
    } while (0)
#define CORRUPT(...) FAIL(TINYRANK_ERR_CORRUPT_MODEL, __VA_ARGS__)

bool tr_model_tensor(const tinyrank_model *m, uint32_t i, tr_tensor *t)
{
    tr_fb_table tt;
    tr_fb_vec shape, scales;
    int32_t blob;
    memset(t, 0, sizeof *t);
    if (!tr_fb_vec_table(&m->graph, &m->tensors, i, &tt) ||
        !tr_fb_string_field(&tt, F_TENSOR_NAME, &t->name, &t->name_len) ||
        !tr_fb_u8(&tt, F_TENSOR_KIND, TR_TK_CONSTANT, &t->kind) ||
        !tr_fb_u8(&tt, F_TENSOR_DTYPE, TR_DT_F32, &t->dtype) ||
        !tr_fb_vec_field(&tt, F_TENSOR_SHAPE, 4, 4, &shape) ||
        !tr_fb_i32(&tt, F_TENSOR_BLOB, -1, &blob) ||
        !tr_fb_vec_field(&tt, F_TENSOR_SCALES, 4, 4, &scales) ||
        !tr_fb_i32(&tt, F_TENSOR_QUANT_AXIS, 0, &t->quant_axis) ||
        !tr_fb_u8(&tt, F_TENSOR_LAYOUT, TR_LAYOUT_ROW_MAJOR, &t->layout))
        return false;
    if (t->kind > TR_TK_PERSISTENT || tr_dtype_size(t->dtype) == 0 || t->layout > TR_LAYOUT_N16K4 ||
        shape.count < 1 || shape.count > TR_MAX_DIMS)
        return false;
    t->ndim = (int)shape.count;
    uint64_t numel = 1;
    for (int d = 0; d < t->ndim; d++) {
        int32_t v = tr_fb_load_i32(shape.data + 4 * d);
        bool symbolic = (v == TR_DIM_TOKENS || v == TR_DIM_SEQUENCES);
        if (v <= 0 && !(symbolic && t->kind != TR_TK_CONSTANT && d == 0))
            return false; /* only the row dimension of activations is symbolic */
        t->dims[d] = v;
        if (!symbolic) {
            numel *= (uint64_t)v;
            if (numel > ((uint64_t)1 << 40))
                return false;
        }
    }
    t->scales = (const float *)(const void *)scales.data;
    t->n_scales = scales.count;
    if (t->kind != TR_TK_CONSTANT)
        return blob == -1 && scales.count == 0;

    /* constants: bytes in a blob of exactly the right size */
    if (blob < 0 || (uint32_t)blob >= m->blobs.count)
        return false;
    const uint8_t *b = m->blobs.data + (size_t)blob * TR_FB_BLOB_SIZE;
    uint64_t off = tr_fb_load_u64(b), size = tr_fb_load_u64(b + 8);
    uint64_t want = numel * tr_dtype_size(t->dtype);
    if (t->layout == TR_LAYOUT_N16K4) {
        if (t->dtype != TR_DT_I8 || t->ndim != 2)
            return false; /* the packed layout is for int8 matrices */
        want = tr_n16k4_bytes((size_t)t->dims[0], (size_t)t->dims[1]);
    }
    if (size != want)
        return false;
    /* blob bounds were verified at load; re-check cheaply for safety */
    if (off > m->size - m->blob_base || size > m->size - m->blob_base - off)
        return false;
    t->data = m->data + m->blob_base + off;
    t->nbytes = (size_t)size;
    if (t->dtype == TR_DT_I8) {
        if (t->quant_axis < 0 || t->quant_axis >= t->ndim)
            return false;
        if (t->n_scales != 1 && t->n_scales != (uint32_t)t->dims[t->quant_axis])
            return false;
        for (uint32_t s = 0; s < t->n_scales; s++) {
            float v = t->scales[s];
            if (!(v >= 0.0f && v < 3.0e38f))
                return false; /* negative, NaN or infinite scales */
        }
    } else if (t->n_scales != 0) {
        return false;
    }
    return true;
}

static bool read_i32_vec(const tr_fb_vec *v, int32_t *out, int max, int *n)
{
    if (v->count > (uint32_t)max)
        return false;
    for (uint32_t i = 0; i < v->count; i++)
        out[i] = tr_fb_load_i32(v->data + 4 * i);
    *n = (int)v->count;
    return true;
}

bool tr_model_node(const tinyrank_model *m, uint32_t i, tr_node *n)
{
    tr_fb_table ot, opt;
    tr_fb_vec ins, outs;
    uint8_t opt_type;
    bool has_opt;
    int n_out;
    int32_t out[1];
    memset(n, 0, sizeof *n);
    if (!tr_fb_vec_table(&m->graph, &m->operators, i, &ot) ||
        !tr_fb_u8(&ot, F_OP_CODE, 0, &n->code) ||
        !tr_fb_vec_field(&ot, F_OP_INPUTS, 4, 4, &ins) ||
        !tr_fb_vec_field(&ot, F_OP_OUTPUTS, 4, 4, &outs) ||
        !tr_fb_u8(&ot, F_OP_OPTIONS_TYPE, TR_OPT_NONE, &opt_type) ||
        !tr_fb_table_field(&ot, F_OP_OPTIONS, &opt, &has_opt))
        return false;
    for (int k = 0; k < TR_MAX_OP_INPUTS; k++)
        n->in[k] = -1;
    if (!read_i32_vec(&ins, n->in, TR_MAX_OP_INPUTS, &n->n_in) || !read_i32_vec(&outs, out, 1, &n_out) ||
        n_out != 1)
        return false;
    n->out = out[0];

    /* options: the union member must be the one of the op code */
    static const uint8_t expected[TR_OP_COUNT_] = {
        [TR_OP_EMBEDDING] = TR_OPT_EMBEDDING,   [TR_OP_FULLY_CONNECTED] = TR_OPT_FULLY_CONNECTED,
        [TR_OP_NORM] = TR_OPT_NORM,             [TR_OP_ATTENTION] = TR_OPT_ATTENTION,
        [TR_OP_ADD] = TR_OPT_NONE,              [TR_OP_GATHER_ROWS] = TR_OPT_GATHER_ROWS,
        [TR_OP_ACTIVATION] = TR_OPT_ACTIVATION, [TR_OP_ROPE] = TR_OPT_ROPE,
        [TR_OP_GLU] = TR_OPT_GLU,               [TR_OP_CROSS_ATTENTION] = TR_OPT_CROSS_ATTENTION,
        [TR_OP_ROPE_TABLE] = TR_OPT_ROPE,
    };
    if (n->code >= TR_OP_COUNT_ || opt_type != expected[n->code] || has_opt != (opt_type != TR_OPT_NONE))
        return false;
    switch (opt_type) {
    case TR_OPT_EMBEDDING:
        return tr_fb_i32(&opt, F_EMB_INDEX_OFFSET, 0, &n->opt.embedding.index_offset);
    case TR_OPT_FULLY_CONNECTED: {
        uint8_t glu;
        bool ok = tr_fb_u8(&opt, F_FC_ACTIVATION, TR_ACT_NONE, &n->opt.fc.activation) &&
                  tr_fb_u8(&opt, F_FC_GLU, 0, &glu);
        n->opt.fc.glu = glu != 0;
        return ok;
    }
    case TR_OPT_NORM: {
        uint8_t rms;
        bool ok = tr_fb_f32(&opt, F_NORM_EPSILON, 1e-12f, &n->opt.norm.epsilon) &&
                  tr_fb_u8(&opt, F_NORM_RMS, 0, &rms) &&
                  tr_fb_i32(&opt, F_NORM_GROUP_SIZE, 0, &n->opt.norm.group_size);
        n->opt.norm.rms = rms != 0;
        return ok;
    }
    case TR_OPT_ATTENTION: {
        uint8_t causal, cache, bidir = 1, bf16;
        tr_fb_table rel;
        bool ok = tr_fb_i32(&opt, F_ATT_NUM_HEADS, 0, &n->opt.attention.num_heads) &&
                  tr_fb_i32(&opt, F_ATT_NUM_KV_HEADS, 0, &n->opt.attention.num_kv_heads) &&
                  tr_fb_i32(&opt, F_ATT_HEAD_DIM, 0, &n->opt.attention.head_dim) &&
                  tr_fb_f32(&opt, F_ATT_SCALE, 1.0f, &n->opt.attention.scale) &&
                  tr_fb_u8(&opt, F_ATT_CAUSAL, 0, &causal) && tr_fb_u8(&opt, F_ATT_CACHE, 0, &cache) &&
                  tr_fb_table_field(&opt, F_ATT_RELATIVE, &rel, &n->opt.attention.relative) &&
                  tr_fb_i32(&opt, F_ATT_Q_COLUMN, 0, &n->opt.attention.q_column) &&
                  tr_fb_i32(&opt, F_ATT_K_COLUMN, 0, &n->opt.attention.k_column) &&
                  tr_fb_i32(&opt, F_ATT_V_COLUMN, 0, &n->opt.attention.v_column) &&
                  tr_fb_u8(&opt, F_ATT_BF16, 0, &bf16);
        if (ok && n->opt.attention.relative)
            ok = tr_fb_i32(&rel, F_RELBIAS_NUM_BUCKETS, 32, &n->opt.attention.rel_buckets) &&
                 tr_fb_i32(&rel, F_RELBIAS_MAX_DISTANCE, 128, &n->opt.attention.rel_max_distance) &&
                 tr_fb_u8(&rel, F_RELBIAS_BIDIRECTIONAL, 1, &bidir);
        n->opt.attention.causal = causal != 0;
        n->opt.attention.cache = cache != 0;
        n->opt.attention.bf16 = bf16 != 0;
        n->opt.attention.rel_bidirectional = bidir != 0;
        return ok;
    }
    case TR_OPT_GATHER_ROWS:
        return tr_fb_u8(&opt, F_GATHER_PICK, TR_PICK_FIRST, &n->opt.gather.pick) &&
               tr_fb_i32(&opt, F_GATHER_INDEX, 0, &n->opt.gather.index);
    case TR_OPT_ACTIVATION:
        return tr_fb_u8(&opt, F_ACTOPT_ACTIVATION, TR_ACT_NONE, &n->opt.act.activation);
    case TR_OPT_ROPE:
        return tr_fb_i32(&opt, F_ROPE_NUM_HEADS, 0, &n->opt.rope.num_heads) &&
               tr_fb_i32(&opt, F_ROPE_HEAD_DIM, 0, &n->opt.rope.head_dim) &&
               tr_fb_f32(&opt, F_ROPE_THETA, 10000.0f, &n->opt.rope.theta);
    case TR_OPT_GLU:
        return tr_fb_u8(&opt, F_GLU_ACTIVATION, TR_ACT_SILU, &n->opt.glu.activation);
    case TR_OPT_CROSS_ATTENTION:
        return tr_fb_i32(&opt, F_XATT_NUM_HEADS, 0, &n->opt.xatt.num_heads) &&
               tr_fb_i32(&opt, F_XATT_HEAD_DIM, 0, &n->opt.xatt.head_dim) &&
               tr_fb_f32(&opt, F_XATT_SCALE, 1.0f, &n->opt.xatt.scale) &&
               tr_fb_i32(&opt, F_XATT_VIEWS, 0, &n->opt.xatt.views);
    default:
        return true;
    }
}

/* ---- whole-model verification */

static int verify_blobs(tinyrank_model *m)
{
    size_t region = m->size - m->blob_base;
    for (uint32_t i = 0; i < m->blobs.count; i++) {
        const uint8_t *b = m->blobs.data + (size_t)i * TR_FB_BLOB_SIZE;
        uint64_t off = tr_fb_load_u64(b), size = tr_fb_load_u64(b + 8);
        if (off % 64 != 0)
            CORRUPT("blob %u is not 64-byte aligned", i);
        if (off > region || size > region - off)
            CORRUPT("blob %u (offset %llu, %llu bytes) lies outside the file (truncated?)", i,
                    (unsigned long long)off, (unsigned long long)size);
    }
    return TINYRANK_OK;
}

static int verify_tensors(tinyrank_model *m)
{
    tr_tensor t;
    m->weight_bytes = 0;
    for (uint32_t i = 0; i < m->tensors.count; i++) {
        if (!tr_model_tensor(m, i, &t))
            CORRUPT("tensor %u is malformed (shape, dtype, blob or scales)", i);
        m->weight_bytes += t.nbytes;
    }
    return TINYRANK_OK;
}

/* Index of the operator before `before` that writes tensor t, or -1. */
static int64_t producer(const tinyrank_model *m, int32_t t, uint32_t before)
{
    tr_node n;
    for (uint32_t i = 0; i < before; i++)
        if (tr_model_node(m, i, &n) && n.out == t)
            return i;
    return -1;
}

static int verify_operators(tinyrank_model *m)
{
    tr_node n;
    tr_tensor tin[TR_MAX_OP_INPUTS], tout;
    const tr_tensor *pin[TR_MAX_OP_INPUTS];
    char why[160];
    if (m->operators.count == 0)
        CORRUPT("the graph has no operators");
    for (uint32_t i = 0; i < m->operators.count; i++) {
        if (!tr_model_node(m, i, &n))
            CORRUPT("operator %u is malformed", i);
        const tr_op_def *def = tr_op_lookup(n.code);
        if (def == NULL)
            FAIL(TINYRANK_ERR_UNSUPPORTED, "operator %u has op code %d, unknown to this runtime", i,
                 (int)n.code);
        if (n.n_in < def->min_inputs || n.n_in > def->max_inputs)
            CORRUPT("operator %u (%s) has %d inputs", i, def->name, n.n_in);
        for (int k = 0; k < TR_MAX_OP_INPUTS; k++) {
            pin[k] = NULL;
            int32_t ti = n.in[k];
            if (ti == -1 && k >= def->min_inputs)
                continue;
            if (ti < 0 || (uint32_t)ti >= m->tensors.count || !tr_model_tensor(m, (uint32_t)ti, &tin[k]))
                CORRUPT("operator %u (%s): input %d is not a valid tensor", i, def->name, k);
            if (tin[k].kind == TR_TK_ACTIVATION && producer(m, ti, i) < 0)
                CORRUPT("operator %u (%s) reads tensor %d before any operator writes it", i,
                        def->name, (int)ti);
            pin[k] = &tin[k];
        }
        if (n.out < 0 || (uint32_t)n.out >= m->tensors.count || !tr_model_tensor(m, (uint32_t)n.out, &tout))
            CORRUPT("operator %u (%s): bad output tensor", i, def->name);
        if (tout.kind != TR_TK_ACTIVATION)
            CORRUPT("operator %u (%s) writes a tensor that is not an activation", i, def->name);
        if (producer(m, n.out, i) >= 0)
            CORRUPT("tensor %d is written by two operators", (int)n.out);
        why[0] = 0;
        int rc = def->check(&n, pin, &tout, why, sizeof why);
        if (rc != TINYRANK_OK)
            FAIL(rc, "operator %u (%s): %s", i, def->name, why);
    }
    return TINYRANK_OK;
}

/* A PERSISTENT tensor (a decoder's K/V cache) has max_length rows, not a
 * batch's: only a cache input (4 or 5) of one cache-keeping ATTENTION may
 * read it (the prefix run stores that op's keys or values there). */
static bool persistent_use_ok(const tinyrank_model *m, int32_t t)
{
    tr_node n;
    int uses = 0;
    for (uint32_t i = 0; i < m->operators.count; i++) {
        if (!tr_model_node(m, i, &n))
            return false;
        for (int k = 0; k < n.n_in; k++)
            if (n.in[k] == t) {
                if (n.code != TR_OP_ATTENTION || !n.opt.attention.cache || (k != 4 && k != 5))
                    return false;
                uses++;
            }
    }
    return uses <= 1;
}

static int verify_graph_io(tinyrank_model *m)
{
    tr_tensor t;
    int32_t io[3] = {m->token_ids, m->type_ids, m->position_ids};
    for (uint32_t i = 0; i < m->tensors.count; i++) {
        if (!tr_model_tensor(m, i, &t))
            CORRUPT("tensor %u is malformed", i);
        if (t.kind == TR_TK_PERSISTENT && !persistent_use_ok(m, (int32_t)i))
            CORRUPT("persistent tensor %u is read by something else than one attention's cache "
                    "input", i);
        if (t.kind == TR_TK_INPUT && (int32_t)i != io[0] && (int32_t)i != io[1] && (int32_t)i != io[2] &&
            (int32_t)i != m->decoder_ids)
            CORRUPT("input tensor %u has no role (token, type, position or decoder ids)", i);
    }
    /* T5: one decoder input per sequence ([SEQUENCES]) or per view (fixed) */
    if (m->decoder_ids != -1 &&
        (m->decoder_ids < 0 || (uint32_t)m->decoder_ids >= m->tensors.count ||
         !tr_model_tensor(m, (uint32_t)m->decoder_ids, &t) || t.kind != TR_TK_INPUT ||
         t.dtype != TR_DT_I32 || t.ndim != 1 ||
         (t.dims[0] != TR_DIM_SEQUENCES && (t.dims[0] < 1 || t.dims[0] > 4096))))
        CORRUPT("decoder ids must be an I32 [SEQUENCES] or [n <= 4096] input tensor");
    for (int k = 0; k < 3; k++) {
        if (io[k] == -1 && k > 0)
            continue;
        if (io[k] < 0 || (uint32_t)io[k] >= m->tensors.count || !tr_model_tensor(m, (uint32_t)io[k], &t) ||
            t.kind != TR_TK_INPUT || t.dtype != TR_DT_I32 || t.ndim != 1 || t.dims[0] != TR_DIM_TOKENS)
            CORRUPT("graph input %d must be an I32 [TOKENS] input tensor", k);
    }
    if (m->output < 0 || (uint32_t)m->output >= m->tensors.count ||
        !tr_model_tensor(m, (uint32_t)m->output, &t) || t.kind != TR_TK_ACTIVATION ||
        t.dtype != TR_DT_F32 || t.ndim != 2 || t.dims[0] != TR_DIM_SEQUENCES)
        CORRUPT("graph output must be an F32 [SEQUENCES, n] activation");
    if (producer(m, m->output, m->operators.count) < 0)
        CORRUPT("no operator writes the graph output");
    m->output_columns = t.dims[1];
    return TINYRANK_OK;
}

/* The tokenizer must not produce ids the word embedding cannot look up. */
static int verify_vocab_fits(tinyrank_model *m)
{
    tr_node n;
    tr_tensor table;
    for (uint32_t i = 0; i < m->operators.count; i++) {
        if (tr_model_node(m, i, &n) && n.code == TR_OP_EMBEDDING && n.in[0] == m->token_ids &&
            tr_model_tensor(m, (uint32_t)n.in[1], &table)) {
            int64_t rows = (int64_t)table.dims[0] - n.opt.embedding.index_offset;
            if ((int64_t)m->tok.vocab.n > rows)
                CORRUPT("tokenizer has %u tokens but the word embedding only %lld rows",
                        m->tok.vocab.n, (long long)rows);
        }
    }
    return TINYRANK_OK;
}

static int verify_template_and_score(tinyrank_model *m, const tr_fb_table *tpl, bool has_tpl,
                                     const tr_fb_table *sc, bool has_sc)
{
    if (!has_tpl || !has_sc)
        CORRUPT("model has no %s", has_tpl ? "score definition" : "input template");
    if (!tr_fb_u8(tpl, F_TPL_FORMAT, 0, &m->input_format) ||
        !tr_fb_i32(tpl, F_TPL_MAX_LENGTH, 512, &m->max_length) ||
        !tr_fb_u8(tpl, F_TPL_TRUNCATION, TR_TRUNC_ONLY_SECOND, &m->truncation) ||
        !tr_fb_u8(sc, F_SCORE_KIND, TR_SCORE_LOGIT, &m->score_kind) ||
        !tr_fb_i32(sc, F_SCORE_COLUMN, 0, &m->score_column) ||
        !tr_fb_u8(sc, F_SCORE_ACTIVATION, TR_SCORE_ACT_RAW, &m->score_activation))
        CORRUPT("input template or score table is malformed");
    if (m->max_length < 4 || (m->max_position > 0 && m->max_length > m->max_position))
        CORRUPT("max_length %d does not fit the model (max position %d)", (int)m->max_length,
                (int)m->max_position);
    if (m->input_format == TR_FORMAT_CLS_A_SEP_B_SEP) {
        if (m->type_ids < 0)
            CORRUPT("the [CLS] a [SEP] b [SEP] format needs a token type ids input");
        if (m->tok.cls_id < 0 || m->tok.sep_id < 0)
            CORRUPT("the [CLS] a [SEP] b [SEP] format needs [CLS] and [SEP] ids");
        if (m->truncation > TR_TRUNC_LONGEST_FIRST)
            CORRUPT("unknown truncation %d", (int)m->truncation);
    } else if (m->input_format == TR_FORMAT_SEGMENTS) {
        int rc = tr_template_load(m, tpl);
        if (rc != TINYRANK_OK)
            return rc;
    } else {
        FAIL(TINYRANK_ERR_UNSUPPORTED, "input format %d is not supported by this runtime",
             (int)m->input_format);
    }
    if (m->score_kind > TR_SCORE_SOFTMAX_PAIR)
        FAIL(TINYRANK_ERR_UNSUPPORTED, "score kind %d is not supported by this runtime", (int)m->score_kind);
    if (m->score_column < 0 || m->score_column >= m->output_columns ||
        (m->score_kind != TR_SCORE_LOGIT && m->output_columns < 2) ||
        m->score_activation > TR_SCORE_ACT_LOG)
        CORRUPT("score column %d / activation %d do not fit the graph output", (int)m->score_column,
                (int)m->score_activation);
    return TINYRANK_OK;
}

/* Blob offsets are 32-bit counts of 64-byte units, so no model is larger.
 * A function of a uint64_t (not a comparison of size_t) because with a
 * 32-bit size_t (Cortex-M) the test is always false and -Wtype-limits says
 * so. */
static bool model_too_large(uint64_t size)
{
    return size > 0xffffffffull * 64;
}

static int load(tinyrank_model *m, const uint8_t *data, size_t size)
{
    const union { uint16_t u; uint8_t b[2]; } endian = {1};
    if (endian.b[0] != 1)
        FAIL(TINYRANK_ERR_UNSUPPORTED, "tinyrank needs a little-endian CPU");
    if (((uintptr_t)data & 63u) != 0)
        FAIL(TINYRANK_ERR_ALIGNMENT,
             "model buffer address must be 64-byte aligned (mmap the file or use an aligned array)");
    if (size < 16)
        CORRUPT("model is %zu bytes: too small to be a tinyrank model", size);
    uint32_t fb_len = tr_fb_load_u32(data);
    if (memcmp(data + 8, TR_FB_IDENT, 4) != 0)
        CORRUPT("not a tinyrank model (file identifier is not \"%s\")", TR_FB_IDENT);
    if ((uint64_t)fb_len + 4 > size || model_too_large(size))
        CORRUPT("model is truncated: header says %llu bytes, file has %zu",
                (unsigned long long)fb_len + 4, size);
    m->data = data;
    m->size = size;
    m->blob_base = ((size_t)fb_len + 4 + 63) & ~(size_t)63;
    if (m->blob_base > size)
        m->blob_base = size;

    if (!tr_fb_root(data, fb_len + 4, 4, TR_FB_IDENT, &m->root))
        CORRUPT("model root table is malformed");
    uint16_t major, minor;
    if (!tr_fb_u16(&m->root, F_MODEL_VERSION_MAJOR, 0, &major) ||
        !tr_fb_u16(&m->root, F_MODEL_VERSION_MINOR, 0, &minor))
        CORRUPT("model version fields are malformed");
    if (major != TINYRANK_FORMAT_MAJOR)
        FAIL(TINYRANK_ERR_VERSION, "model format %u.%u; this runtime reads format %d.x",
             (unsigned)major, (unsigned)minor, TINYRANK_FORMAT_MAJOR);

    tr_fb_table cfg, tk, tpl, sc;
    bool has_cfg, has_graph, has_tk, has_tpl, has_sc;
    if (!tr_fb_u8(&m->root, F_MODEL_FAMILY, 0, &m->family) ||
        !tr_fb_string_field(&m->root, F_MODEL_NAME, &m->name, &m->name_len) ||
        !tr_fb_u8(&m->root, F_MODEL_WEIGHT_DTYPE, TR_DT_F32, &m->weight_dtype) ||
        !tr_fb_table_field(&m->root, F_MODEL_CONFIG, &cfg, &has_cfg) ||
        !tr_fb_table_field(&m->root, F_MODEL_TOKENIZER, &tk, &has_tk) ||
        !tr_fb_table_field(&m->root, F_MODEL_TEMPLATE, &tpl, &has_tpl) ||
        !tr_fb_table_field(&m->root, F_MODEL_SCORE, &sc, &has_sc) ||
        !tr_fb_table_field(&m->root, F_MODEL_GRAPH, &m->graph, &has_graph) ||
        !tr_fb_vec_field(&m->root, F_MODEL_BLOBS, TR_FB_BLOB_SIZE, 8, &m->blobs))
        CORRUPT("model table is malformed");
    /* the family is informative: what runs is decided by the graph's operators */
    if (m->family > TR_FAMILY_T5)
        FAIL(TINYRANK_ERR_UNSUPPORTED, "model family %d is unknown to this runtime", (int)m->family);
    if (!has_cfg || !has_graph || !has_tk)
        CORRUPT("model lacks its %s", !has_cfg ? "config" : !has_graph ? "graph" : "tokenizer");
    float eps;
    if (!tr_fb_i32(&cfg, F_CFG_NUM_LAYERS, 0, &m->num_layers) ||
        !tr_fb_i32(&cfg, F_CFG_HIDDEN, 0, &m->hidden) ||
        !tr_fb_i32(&cfg, F_CFG_NUM_HEADS, 0, &m->num_heads) ||
        !tr_fb_i32(&cfg, F_CFG_INTERMEDIATE, 0, &m->intermediate) ||
        !tr_fb_i32(&cfg, F_CFG_VOCAB, 0, &m->vocab_size) ||
        !tr_fb_i32(&cfg, F_CFG_MAX_POSITION, 0, &m->max_position) ||
        !tr_fb_i32(&cfg, F_CFG_TYPE_VOCAB, 0, &m->type_vocab) ||
        !tr_fb_f32(&cfg, F_CFG_LN_EPS, 0.0f, &eps))
        CORRUPT("model config is malformed");
    if (!tr_fb_vec_field(&m->graph, F_GRAPH_TENSORS, 4, 4, &m->tensors) ||
        !tr_fb_vec_field(&m->graph, F_GRAPH_OPERATORS, 4, 4, &m->operators) ||
        !tr_fb_i32(&m->graph, F_GRAPH_TOKEN_IDS, -1, &m->token_ids) ||
        !tr_fb_i32(&m->graph, F_GRAPH_TYPE_IDS, -1, &m->type_ids) ||
        !tr_fb_i32(&m->graph, F_GRAPH_POSITION_IDS, -1, &m->position_ids) ||
        !tr_fb_i32(&m->graph, F_GRAPH_OUTPUT, -1, &m->output) ||
        !tr_fb_i32(&m->graph, F_GRAPH_DECODER_IDS, -1, &m->decoder_ids))
        CORRUPT("graph table is malformed");
    if (m->tensors.count > 100000 || m->operators.count > 100000)
        CORRUPT("graph has too many tensors or operators");

    int rc;
    if ((rc = verify_blobs(m)) != TINYRANK_OK || (rc = verify_tensors(m)) != TINYRANK_OK ||
        (rc = verify_operators(m)) != TINYRANK_OK || (rc = verify_graph_io(m)) != TINYRANK_OK ||
        (rc = tr_tokenizer_load(&m->tok, &tk, m->errmsg, sizeof m->errmsg)) != TINYRANK_OK || (rc = verify_vocab_fits(m)) != TINYRANK_OK ||
        (rc = verify_template_and_score(m, &tpl, has_tpl, &sc, has_sc)) != TINYRANK_OK)
        return rc;
    return TINYRANK_OK;
}

int tinyrank_model_load(tinyrank_model_storage *storage, const void *data, size_t size,
                        tinyrank_model **out)
{
    if (out != NULL)
        *out = NULL;
    if (storage == NULL || out == NULL)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    tinyrank_model *m = (tinyrank_model *)(void *)storage;
    memset(m, 0, sizeof *m);
    *out = m;
    if (data == NULL) {
        tr_msg(m->errmsg, sizeof m->errmsg, "model data is NULL");
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    int rc = load(m, data, size);
    if (rc == TINYRANK_OK)
        m->magic = TR_MODEL_MAGIC;
    return rc;
}

const char *tinyrank_model_errmsg(const tinyrank_model *model)
{
    return model == NULL ? "model handle is NULL" : model->errmsg;
}
