/* model_writer.c - serializes a tr_ir into a .trk file (layout in
 * runtime/format/tinyrank.fbs), atomically: everything goes to a temp file
 * that is renamed over the output only once complete and synced. */
#include "converter/write/model_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "converter/hf/vocab_index.h"
#include "converter/write/fb_builder.h"
#include "platforms/posix/atomic_file.h"
#include "tinyrank.h"

static tr_fbn *i32_vec(tr_fbb *b, const int32_t *v, size_t n)
{
    return tr_fbb_vec(b, v, n, sizeof(int32_t), 4);
}

static tr_fbn *build_tensor(tr_fbb *b, const tr_ir_tensor *t, int32_t blob)
{
    tr_fbn *tt = tr_fbb_table(b);
    tr_fbt_child(tt, F_TENSOR_NAME, tr_fbb_cstring(b, t->name));
    tr_fbt_u8(tt, F_TENSOR_KIND, t->kind);
    tr_fbt_u8(tt, F_TENSOR_DTYPE, t->dtype);
    tr_fbt_child(tt, F_TENSOR_SHAPE, i32_vec(b, t->dims, (size_t)t->ndim));
    if (blob >= 0)
        tr_fbt_i32(tt, F_TENSOR_BLOB, blob);
    if (t->n_scales > 0) {
        tr_fbt_child(tt, F_TENSOR_SCALES, tr_fbb_vec(b, t->scales, t->n_scales, 4, 4));
        tr_fbt_i32(tt, F_TENSOR_QUANT_AXIS, t->quant_axis);
    }
    tr_fbt_u8(tt, F_TENSOR_LAYOUT, t->layout);
    return tt;
}

static tr_fbn *build_operator(tr_fbb *b, const tr_node *n)
{
    tr_fbn *ot = tr_fbb_table(b);
    tr_fbn *opt = NULL;
    uint8_t type = TR_OPT_NONE;
    tr_fbt_u8(ot, F_OP_CODE, n->code);
    tr_fbt_child(ot, F_OP_INPUTS, i32_vec(b, n->in, (size_t)n->n_in));
    tr_fbt_child(ot, F_OP_OUTPUTS, i32_vec(b, &n->out, 1));
    switch (n->code) {
    case TR_OP_EMBEDDING:
        type = TR_OPT_EMBEDDING;
        opt = tr_fbb_table(b);
        tr_fbt_i32(opt, F_EMB_INDEX_OFFSET, n->opt.embedding.index_offset);
        break;
    case TR_OP_FULLY_CONNECTED:
        type = TR_OPT_FULLY_CONNECTED;
        opt = tr_fbb_table(b);
        tr_fbt_u8(opt, F_FC_ACTIVATION, n->opt.fc.activation);
        if (n->opt.fc.glu)
            tr_fbt_u8(opt, F_FC_GLU, 1);
        break;
    case TR_OP_NORM:
        type = TR_OPT_NORM;
        opt = tr_fbb_table(b);
        tr_fbt_f32(opt, F_NORM_EPSILON, n->opt.norm.epsilon);
        tr_fbt_u8(opt, F_NORM_RMS, n->opt.norm.rms ? 1 : 0);
        if (n->opt.norm.group_size != 0)
            tr_fbt_i32(opt, F_NORM_GROUP_SIZE, n->opt.norm.group_size);
        break;
    case TR_OP_ATTENTION:
        type = TR_OPT_ATTENTION;
        opt = tr_fbb_table(b);
        tr_fbt_i32(opt, F_ATT_NUM_HEADS, n->opt.attention.num_heads);
        tr_fbt_i32(opt, F_ATT_NUM_KV_HEADS, n->opt.attention.num_kv_heads);
        tr_fbt_i32(opt, F_ATT_HEAD_DIM, n->opt.attention.head_dim);
        tr_fbt_f32(opt, F_ATT_SCALE, n->opt.attention.scale);
        tr_fbt_u8(opt, F_ATT_CAUSAL, n->opt.attention.causal ? 1 : 0);
        if (n->opt.attention.cache)
            tr_fbt_u8(opt, F_ATT_CACHE, 1);
        if (n->opt.attention.relative) {
            tr_fbn *rel = tr_fbb_table(b);
            tr_fbt_i32(rel, F_RELBIAS_NUM_BUCKETS, n->opt.attention.rel_buckets);
            tr_fbt_i32(rel, F_RELBIAS_MAX_DISTANCE, n->opt.attention.rel_max_distance);
            tr_fbt_u8(rel, F_RELBIAS_BIDIRECTIONAL, n->opt.attention.rel_bidirectional ? 1 : 0);
            tr_fbt_child(opt, F_ATT_RELATIVE, rel);
        }
        if (n->opt.attention.q_column != 0)
            tr_fbt_i32(opt, F_ATT_Q_COLUMN, n->opt.attention.q_column);
        if (n->opt.attention.k_column != 0)
            tr_fbt_i32(opt, F_ATT_K_COLUMN, n->opt.attention.k_column);
        if (n->opt.attention.v_column != 0)
            tr_fbt_i32(opt, F_ATT_V_COLUMN, n->opt.attention.v_column);
        if (n->opt.attention.bf16)
            tr_fbt_u8(opt, F_ATT_BF16, 1);
        break;
    case TR_OP_GATHER_ROWS:
        type = TR_OPT_GATHER_ROWS;
        opt = tr_fbb_table(b);
        tr_fbt_u8(opt, F_GATHER_PICK, n->opt.gather.pick);
        if (n->opt.gather.index != 0)
            tr_fbt_i32(opt, F_GATHER_INDEX, n->opt.gather.index);
        break;
    case TR_OP_ACTIVATION:
        type = TR_OPT_ACTIVATION;
        opt = tr_fbb_table(b);
        tr_fbt_u8(opt, F_ACTOPT_ACTIVATION, n->opt.act.activation);
        break;
    case TR_OP_ROPE:
    case TR_OP_ROPE_TABLE:
        type = TR_OPT_ROPE;
        opt = tr_fbb_table(b);
        tr_fbt_i32(opt, F_ROPE_NUM_HEADS, n->opt.rope.num_heads);
        tr_fbt_i32(opt, F_ROPE_HEAD_DIM, n->opt.rope.head_dim);
        tr_fbt_f32(opt, F_ROPE_THETA, n->opt.rope.theta);
        break;
    case TR_OP_GLU:
        type = TR_OPT_GLU;
        opt = tr_fbb_table(b);
        tr_fbt_u8(opt, F_GLU_ACTIVATION, n->opt.glu.activation);
        break;
    case TR_OP_CROSS_ATTENTION:
        type = TR_OPT_CROSS_ATTENTION;
        opt = tr_fbb_table(b);
        tr_fbt_i32(opt, F_XATT_NUM_HEADS, n->opt.xatt.num_heads);
        tr_fbt_i32(opt, F_XATT_HEAD_DIM, n->opt.xatt.head_dim);
        tr_fbt_f32(opt, F_XATT_SCALE, n->opt.xatt.scale);
        if (n->opt.xatt.views != 0)
            tr_fbt_i32(opt, F_XATT_VIEWS, n->opt.xatt.views);
        break;
    default:
        break;
    }
    if (opt != NULL)
        tr_fbt_union(ot, F_OP_OPTIONS_TYPE, type, opt);
    return ot;
}

static tr_fbn *build_tokenizer(tr_fbb *b, const tr_ir_tokenizer *tk, int *rc)
{
    tr_vocab_index vi;
    char why[200];
    /* byte-level BPE tokens are raw bytes: a token may hold part of a
     * UTF-8 sequence */
    if (tk->kind == TR_TOKENIZER_BYTE_LEVEL_BPE)
        *rc = tr_vocab_index_build_bytes((const char *const *)tk->tokens, tk->lens, (uint32_t)tk->count,
                                         &vi, why, sizeof why);
    else
        *rc = tr_vocab_index_build((const char *const *)tk->tokens, tk->lens, (uint32_t)tk->count, &vi,
                                   why, sizeof why);
    if (*rc != 0)
        return NULL;
    tr_fbn *t = tr_fbb_table(b);
    tr_fbt_u8(t, F_TOK_KIND, tk->kind);
    tr_fbt_child(t, F_TOK_TOKEN_BYTES, tr_fbb_vec(b, vi.bytes, vi.bytes_len, 1, 1));
    tr_fbt_child(t, F_TOK_TOKEN_OFFSETS, tr_fbb_vec(b, vi.offsets, vi.n + 1, 4, 4));
    tr_fbt_child(t, F_TOK_SORTED_IDS, tr_fbb_vec(b, vi.sorted_ids, vi.n, 4, 4));
    tr_vocab_index_free(&vi);
    tr_fbt_u8(t, F_TOK_LOWERCASE, tk->lowercase);
    tr_fbt_u8(t, F_TOK_STRIP_ACCENTS, tk->strip_accents);
    tr_fbt_u8(t, F_TOK_SPLIT_CHINESE, tk->split_chinese_chars);
    tr_fbt_i32(t, F_TOK_MAX_CHARS, tk->max_chars_per_word);
    tr_fbt_child(t, F_TOK_PREFIX, tr_fbb_cstring(b, tk->prefix ? tk->prefix : ""));
    tr_fbt_i32(t, F_TOK_UNK_ID, tk->unk_id);
    tr_fbt_i32(t, F_TOK_CLS_ID, tk->cls_id);
    tr_fbt_i32(t, F_TOK_SEP_ID, tk->sep_id);
    tr_fbt_i32(t, F_TOK_PAD_ID, tk->pad_id);
    tr_fbt_child(t, F_TOK_SPECIAL_IDS, i32_vec(b, tk->special_ids, tk->n_special));
    tr_fbt_i32(t, F_TOK_EOS_ID, tk->eos_id);
    tr_fbt_i32(t, F_TOK_BOS_ID, tk->bos_id);
    if (tk->n_added > 0) {
        tr_fbn *added = tr_fbb_vec_tables(b, tk->n_added);
        for (size_t i = 0; i < tk->n_added; i++) {
            tr_fbn *a = tr_fbb_table(b);
            unsigned f = tk->added[i].flags;
            tr_fbt_i32(a, F_ADDED_ID, tk->added[i].id);
            tr_fbt_u8(a, F_ADDED_SPECIAL, (f & TR_ADDED_SPECIAL) != 0);
            tr_fbt_u8(a, F_ADDED_LSTRIP, (f & TR_ADDED_LSTRIP) != 0);
            tr_fbt_u8(a, F_ADDED_RSTRIP, (f & TR_ADDED_RSTRIP) != 0);
            tr_fbt_u8(a, F_ADDED_SINGLE_WORD, (f & TR_ADDED_SINGLE_WORD) != 0);
            tr_fbt_u8(a, F_ADDED_NORMALIZED, (f & TR_ADDED_NORMALIZED) != 0);
            tr_fbv_set(added, i, a);
        }
        tr_fbt_child(t, F_TOK_ADDED_TOKENS, added);
    }
    if (tk->kind == TR_TOKENIZER_BYTE_LEVEL_BPE) {
        tr_fbn *bpe = tr_fbb_table(b);
        tr_fbt_child(bpe, F_BPE_MERGES, i32_vec(b, tk->merges, 2 * tk->n_merges));
        /* absent tables make the runtime refuse the model (never a crash) */
        if (tk->merge_ids && tk->merge_order) {
            tr_fbt_child(bpe, F_BPE_MERGE_IDS, i32_vec(b, tk->merge_ids, tk->n_merges));
            tr_fbt_child(bpe, F_BPE_MERGE_ORDER, tr_fbb_vec(b, tk->merge_order, tk->n_merges, 4, 4));
        }
        tr_fbt_child(bpe, F_BPE_BYTE_IDS, i32_vec(b, tk->byte_ids, tk->byte_ids ? 256 : 0));
        tr_fbt_child(t, F_TOK_BPE, bpe);
    }
    if (tk->kind == TR_TOKENIZER_UNIGRAM) {
        tr_fbn *uni = tr_fbb_table(b);
        tr_fbt_child(uni, F_UNIGRAM_SCORES, tr_fbb_vec(b, tk->scores, tk->count, 4, 4));
        tr_fbt_child(uni, F_UNIGRAM_CHARSMAP, tr_fbb_vec(b, tk->charsmap, tk->charsmap_len, 1, 1));
        tr_fbt_child(uni, F_UNIGRAM_PIECE_TYPES, tr_fbb_vec(b, tk->piece_types, tk->count, 1, 1));
        tr_fbt_u8(uni, F_UNIGRAM_ADD_DUMMY_PREFIX, tk->add_dummy_prefix);
        tr_fbt_u8(uni, F_UNIGRAM_REMOVE_EXTRA_WS, tk->remove_extra_whitespaces);
        tr_fbt_u8(uni, F_UNIGRAM_SEMANTICS, tk->unigram_semantics);
        tr_fbt_u8(uni, F_UNIGRAM_COLLAPSE_SPACES, tk->collapse_spaces);
        if (tk->scores_f64)
            tr_fbt_child(uni, F_UNIGRAM_SCORES_F64, tr_fbb_vec(b, tk->scores_f64, tk->count, 8, 8));
        tr_fbt_child(t, F_TOK_UNIGRAM, uni);
    }
    return t;
}

/* Builds the FlatBuffer; blob offsets are relative to the blob region. */
static int build(const tr_ir *ir, uint8_t **fb, size_t *fb_len, uint64_t *blob_offsets)
{
    int rc = -1;
    tr_fbb *b = tr_fbb_new();
    if (b == NULL)
        return -1;
    size_t nblobs = 0;
    uint64_t at = 0;
    for (size_t i = 0; i < ir->n_tensors; i++) {
        if (ir->tensors[i].kind != TR_TK_CONSTANT)
            continue;
        blob_offsets[2 * nblobs] = at;
        blob_offsets[2 * nblobs + 1] = ir->tensors[i].nbytes;
        at += (ir->tensors[i].nbytes + 63) & ~(uint64_t)63;
        nblobs++;
    }
    tr_fbn *tensors = tr_fbb_vec_tables(b, ir->n_tensors);
    int32_t blob = 0;
    for (size_t i = 0; i < ir->n_tensors; i++) {
        bool c = ir->tensors[i].kind == TR_TK_CONSTANT;
        tr_fbv_set(tensors, i, build_tensor(b, &ir->tensors[i], c ? blob : -1));
        blob += c;
    }
    tr_fbn *ops = tr_fbb_vec_tables(b, ir->n_ops);
    for (size_t i = 0; i < ir->n_ops; i++)
        tr_fbv_set(ops, i, build_operator(b, &ir->ops[i]));

    tr_fbn *graph = tr_fbb_table(b);
    tr_fbt_child(graph, F_GRAPH_TENSORS, tensors);
    tr_fbt_child(graph, F_GRAPH_OPERATORS, ops);
    tr_fbt_i32(graph, F_GRAPH_TOKEN_IDS, ir->token_ids);
    tr_fbt_i32(graph, F_GRAPH_TYPE_IDS, ir->type_ids);
    tr_fbt_i32(graph, F_GRAPH_POSITION_IDS, ir->position_ids);
    tr_fbt_i32(graph, F_GRAPH_OUTPUT, ir->output);
    tr_fbt_i32(graph, F_GRAPH_DECODER_IDS, ir->decoder_ids);

    tr_fbn *cfg = tr_fbb_table(b);
    tr_fbt_i32(cfg, F_CFG_NUM_LAYERS, ir->num_layers);
    tr_fbt_i32(cfg, F_CFG_HIDDEN, ir->hidden);
    tr_fbt_i32(cfg, F_CFG_NUM_HEADS, ir->num_heads);
    tr_fbt_i32(cfg, F_CFG_INTERMEDIATE, ir->intermediate);
    tr_fbt_i32(cfg, F_CFG_VOCAB, ir->vocab_size);
    tr_fbt_i32(cfg, F_CFG_MAX_POSITION, ir->max_position);
    tr_fbt_i32(cfg, F_CFG_TYPE_VOCAB, ir->type_vocab);
    tr_fbt_f32(cfg, F_CFG_LN_EPS, ir->layer_norm_eps);
    tr_fbt_i32(cfg, F_CFG_NUM_KV_HEADS, ir->num_kv_heads);
    tr_fbt_i32(cfg, F_CFG_HEAD_DIM, ir->head_dim);
    tr_fbt_i32(cfg, F_CFG_NUM_DECODER_LAYERS, ir->num_decoder_layers);

    tr_fbn *tpl = tr_fbb_table(b);
    tr_fbt_u8(tpl, F_TPL_FORMAT, ir->input_format);
    tr_fbt_i32(tpl, F_TPL_MAX_LENGTH, ir->max_length);
    tr_fbt_u8(tpl, F_TPL_TRUNCATION, ir->truncation);
    if (ir->n_segments > 0) {
        tr_fbn *segs = tr_fbb_vec_tables(b, ir->n_segments);
        for (size_t i = 0; i < ir->n_segments; i++) {
            const tr_ir_segment *sg = &ir->segments[i];
            tr_fbn *st = tr_fbb_table(b);
            if (sg->n_ids > 0)
                tr_fbt_child(st, F_SEG_IDS, i32_vec(b, sg->ids, sg->n_ids));
            if (sg->n_parts > 0) {
                tr_fbn *parts = tr_fbb_vec_tables(b, sg->n_parts);
                for (size_t k = 0; k < sg->n_parts; k++) {
                    tr_fbn *pt = tr_fbb_table(b);
                    tr_fbt_u8(pt, F_PART_SLOT, sg->parts[k].slot);
                    if (sg->parts[k].text != NULL)
                        tr_fbt_child(pt, F_PART_TEXT, tr_fbb_cstring(b, sg->parts[k].text));
                    tr_fbv_set(parts, k, pt);
                }
                tr_fbt_child(st, F_SEG_PARTS, parts);
            }
            tr_fbt_i32(st, F_SEG_TRUNCATE_ORDER, sg->truncate_order);
            if (sg->max_share != 0)
                tr_fbt_u16(st, F_SEG_MAX_SHARE, sg->max_share);
            if (sg->in_body)
                tr_fbt_u8(st, F_SEG_IN_BODY, 1);
            tr_fbv_set(segs, i, st);
        }
        tr_fbt_child(tpl, F_TPL_SEGMENTS, segs);
    }
    if (ir->default_instruction != NULL)
        tr_fbt_child(tpl, F_TPL_DEFAULT_INSTRUCTION, tr_fbb_cstring(b, ir->default_instruction));
    if (ir->template_name != NULL)
        tr_fbt_child(tpl, F_TPL_NAME, tr_fbb_cstring(b, ir->template_name));

    tr_fbn *score = tr_fbb_table(b);
    tr_fbt_u8(score, F_SCORE_KIND, ir->score_kind);
    tr_fbt_i32(score, F_SCORE_COLUMN, ir->score_column);
    tr_fbt_u8(score, F_SCORE_ACTIVATION, ir->score_activation);

    int tok_rc;
    tr_fbn *tok = build_tokenizer(b, &ir->tok, &tok_rc);
    if (tok == NULL)
        goto out;

    tr_fbn *root = tr_fbb_table(b);
    tr_fbt_u16(root, F_MODEL_VERSION_MAJOR, TINYRANK_FORMAT_MAJOR);
    tr_fbt_u16(root, F_MODEL_VERSION_MINOR, TINYRANK_FORMAT_MINOR);
    tr_fbt_u8(root, F_MODEL_FAMILY, ir->family);
    tr_fbt_child(root, F_MODEL_NAME, tr_fbb_cstring(b, ir->name));
    tr_fbt_u8(root, F_MODEL_WEIGHT_DTYPE, ir->weight_dtype);
    tr_fbt_child(root, F_MODEL_CONFIG, cfg);
    tr_fbt_child(root, F_MODEL_TOKENIZER, tok);
    tr_fbt_child(root, F_MODEL_TEMPLATE, tpl);
    tr_fbt_child(root, F_MODEL_SCORE, score);
    tr_fbt_child(root, F_MODEL_GRAPH, graph);
    tr_fbt_child(root, F_MODEL_BLOBS, tr_fbb_vec(b, blob_offsets, nblobs, TR_FB_BLOB_SIZE, 8));
    tr_fbt_child(root, F_MODEL_PRODUCER, tr_fbb_cstring(b, ir->producer));
    rc = tr_fbb_finish(b, root, TR_FB_IDENT, fb, fb_len);
out:
    tr_fbb_free(b);
    return rc;
}

int tr_model_write(const tr_ir *ir, const char *path, int progress, char *err, size_t errlen)
{
    if (ir->oom) {
        snprintf(err, errlen, "out of memory while building the model");
        return TINYRANK_ERR_INTERNAL;
    }
    uint64_t *blob_offsets = calloc(2 * (ir->n_tensors + 1), sizeof(uint64_t));
    uint8_t *fb = NULL;
    size_t fb_len = 0;
    if (blob_offsets == NULL || build(ir, &fb, &fb_len, blob_offsets) != 0) {
        free(blob_offsets);
        snprintf(err, errlen, "could not serialize the model (out of memory or over 2 GiB of metadata)");
        return TINYRANK_ERR_INTERNAL;
    }
    free(blob_offsets);

    tr_afile f;
    int rc = tr_afile_open(&f, path, err, errlen);
    if (rc != 0) {
        free(fb);
        return TINYRANK_ERR_IO;
    }
    bool ok = tr_afile_write(&f, fb, fb_len) == 0 && tr_afile_pad_to(&f, 64) == 0;
    free(fb);
    size_t total = 0, done = 0;
    for (size_t i = 0; i < ir->n_tensors; i++)
        total += ir->tensors[i].nbytes;
    for (size_t i = 0; ok && i < ir->n_tensors; i++) {
        const tr_ir_tensor *t = &ir->tensors[i];
        if (t->kind != TR_TK_CONSTANT)
            continue;
        ok = tr_afile_write(&f, t->data, t->nbytes) == 0 && tr_afile_pad_to(&f, 64) == 0;
        done += t->nbytes;
        if (progress && total > (8u << 20) && (i % 16 == 0 || done == total))
            fprintf(stderr, "writing weights %3.0f%%\r", 100.0 * (double)done / (double)total);
    }
    if (progress && total > (8u << 20))
        fprintf(stderr, "\n");
    if (!ok) {
        tr_afile_errmsg(&f, err, errlen);
        tr_afile_abort(&f);
        return TINYRANK_ERR_IO;
    }
    if (tr_afile_commit(&f, err, errlen) != 0)
        return TINYRANK_ERR_IO;
    return TINYRANK_OK;
}

int tr_tokenizer_fb_build(const tr_ir_tokenizer *tk, uint8_t **out, size_t *out_len)
{
    int rc = -1;
    tr_fbb *b = tr_fbb_new();
    if (b == NULL)
        return TINYRANK_ERR_INTERNAL;
    tr_fbn *t = build_tokenizer(b, tk, &rc);
    if (t != NULL)
        rc = tr_fbb_finish(b, t, "TKNZ", out, out_len) == 0 ? TINYRANK_OK : TINYRANK_ERR_INTERNAL;
    tr_fbb_free(b);
    return rc;
}
