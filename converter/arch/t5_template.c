/* t5_template.c - what surrounds the T5 graph: the SentencePiece tokenizer,
 * the input template, the score tokens and the score definition.
 *
 * monoT5 (castorini/monot5-*, pygaggle; rank_llm alike):
 *   "Query: {q} Document: {d} Relevant:" + </s>, one decoder step, score =
 *   softmax([logit(▁false), logit(▁true)])[true] (or its log).
 *   Truncation "plain" (default, pygaggle): the whole text is ONE segment cut
 *   at its end so that </s> stays. "document": the document's tokens are cut
 *   so that " Relevant:" and </s> stay (what rank_llm intends).
 * MVP (PirateEra/MVP):
 *   "<extra_id_0><extra_id_1><extra_id_2><extra_id_3> | Query: {q} | Context:
 *   {d}" + </s>, right truncation (max_length 256 by default), 4 views; the
 *   document is "{title} {text}" as the caller writes it. The view tokens
 *   are added tokens: the tokenizer splits them off the text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "converter/arch/t5.h"
#include "tinyrank.h"

#define MVP_VIEWS 4

void tr_t5_owned_free(tr_t5_owned *own)
{
    if (own != NULL)
        tr_unigram_files_free(&own->tok);
}

/* "text" or "#id" of --score-tokens. */
static int32_t score_token(const tr_t5_owned *own, const char *text, size_t len)
{
    char buf[128];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, text, len);
    buf[len] = 0;
    if (buf[0] == '#') {
        char *end;
        long v = strtol(buf + 1, &end, 10);
        return (*end == 0 && end != buf + 1 && v >= 0 && v < 2147483647L) ? (int32_t)v : -1;
    }
    return tr_unigram_files_find(&own->tok, buf);
}

static int resolve_score_ids(tr_arch_ctx *c, const tr_t5_owned *own, tr_t5_cfg *t)
{
    const char *spec = c->opt->score_tokens;
    int32_t ids[2];
    if (spec != NULL) {
        const char *comma = strchr(spec, ',');
        if (comma == NULL || strchr(comma + 1, ',') != NULL) {
            snprintf(c->err, c->errlen, "--score-tokens wants NEGATIVE,POSITIVE (pieces such as "
                     "\xe2\x96\x81" "false, or #id), got \"%s\"", spec);
            return TINYRANK_ERR_INVALID_ARGUMENT;
        }
        ids[0] = score_token(own, spec, (size_t)(comma - spec));
        ids[1] = score_token(own, comma + 1, strlen(comma + 1));
    } else {
        ids[0] = tr_unigram_files_find(&own->tok, "\xe2\x96\x81" "false");
        ids[1] = tr_unigram_files_find(&own->tok, "\xe2\x96\x81" "true");
    }
    if (ids[0] < 0 || ids[1] < 0 || ids[0] == ids[1] || ids[0] >= t->vocab || ids[1] >= t->vocab) {
        snprintf(c->err, c->errlen, "score tokens %s are not two distinct pieces of the "
                 "vocabulary", spec ? spec : "\xe2\x96\x81" "false / \xe2\x96\x81" "true");
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    t->false_id = ids[0];
    t->true_id = ids[1];
    return TINYRANK_OK;
}

static void part(tr_ir_part *p, uint8_t slot, const char *text)
{
    p->slot = slot;
    p->text = text;
}

/* Fills the template of c->ir for mode t->mode. */
static int make_template(tr_arch_ctx *c, tr_t5_owned *own, const tr_t5_cfg *t)
{
    tr_ir *ir = c->ir;
    const char *trunc = c->opt->truncation;
    own->eos[0] = own->tok.eos_id;
    if (own->tok.eos_id < 0) {
        snprintf(c->err, c->errlen, "the tokenizer has no </s>");
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    memset(own->segments, 0, sizeof own->segments);
    tr_ir_segment *s = own->segments;
    if (t->mode == TR_T5_MVP) {
        if (trunc != NULL && strcmp(trunc, "right") != 0) {
            snprintf(c->err, c->errlen, "--truncation \"%s\": the mvp template cuts on the right "
                     "only", trunc);
            return TINYRANK_ERR_INVALID_ARGUMENT;
        }
        part(&own->parts[0][0], TR_SLOT_LITERAL,
             "<extra_id_0><extra_id_1><extra_id_2><extra_id_3> | Query: ");
        part(&own->parts[0][1], TR_SLOT_QUERY, NULL);
        part(&own->parts[0][2], TR_SLOT_LITERAL, " | Context: ");
        part(&own->parts[0][3], TR_SLOT_DOCUMENT, NULL);
        s[0] = (tr_ir_segment){.ids = NULL, .n_ids = 0, .parts = own->parts[0], .n_parts = 4, .truncate_order = 1};
        s[1] = (tr_ir_segment){.ids = own->eos, .n_ids = 1, .parts = NULL, .n_parts = 0, .truncate_order = 0};
        ir->n_segments = 2;
        ir->template_name = "mvp";
    } else if (trunc == NULL || strcmp(trunc, "plain") == 0) {
        part(&own->parts[0][0], TR_SLOT_LITERAL, "Query: ");
        part(&own->parts[0][1], TR_SLOT_QUERY, NULL);
        part(&own->parts[0][2], TR_SLOT_LITERAL, " Document: ");
        part(&own->parts[0][3], TR_SLOT_DOCUMENT, NULL);
        part(&own->parts[0][4], TR_SLOT_LITERAL, " Relevant:");
        s[0] = (tr_ir_segment){.ids = NULL, .n_ids = 0, .parts = own->parts[0], .n_parts = 5, .truncate_order = 1};
        s[1] = (tr_ir_segment){.ids = own->eos, .n_ids = 1, .parts = NULL, .n_parts = 0, .truncate_order = 0};
        ir->n_segments = 2;
        ir->template_name = "monot5";
    } else if (strcmp(trunc, "document") == 0) {
        part(&own->parts[0][0], TR_SLOT_LITERAL, "Query: ");
        part(&own->parts[0][1], TR_SLOT_QUERY, NULL);
        part(&own->parts[0][2], TR_SLOT_LITERAL, " Document: ");
        part(&own->parts[0][3], TR_SLOT_DOCUMENT, NULL);
        part(&own->parts[1][0], TR_SLOT_LITERAL, " Relevant:");
        s[0] = (tr_ir_segment){.ids = NULL, .n_ids = 0, .parts = own->parts[0], .n_parts = 4, .truncate_order = 1};
        s[1] = (tr_ir_segment){.ids = NULL, .n_ids = 0, .parts = own->parts[1], .n_parts = 1, .truncate_order = 0};
        s[2] = (tr_ir_segment){.ids = own->eos, .n_ids = 1, .parts = NULL, .n_parts = 0, .truncate_order = 0};
        ir->n_segments = 3;
        ir->template_name = "monot5";
    } else {
        snprintf(c->err, c->errlen, "--truncation \"%s\": monot5 knows plain (default) and "
                 "document", trunc);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    ir->segments = own->segments;
    ir->input_format = TR_FORMAT_SEGMENTS;
    ir->truncation = TR_TRUNC_ONLY_SECOND;
    int64_t ml = c->opt->max_length > 0 ? c->opt->max_length : (t->mode == TR_T5_MVP ? 256 : 512);
    if (ml < 8 || ml > 65536) {
        snprintf(c->err, c->errlen, "--max-length %lld is outside 8..65536", (long long)ml);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    ir->max_length = (int32_t)ml;
    ir->max_position = 0; /* relative positions: no table bounds the length */
    return TINYRANK_OK;
}

int tr_arch_t5_build(tr_arch_ctx *c, tr_t5_owned *own)
{
    tr_t5_cfg t;
    int rc = tr_t5_read_config(c, &t);
    if (rc != TINYRANK_OK)
        return rc;
    const char *name = c->opt->template_name;
    const char *arch = "";
    const tr_json *archs = tr_json_get(c->config, "architectures");
    if (archs != NULL && archs->type == TR_JSON_ARRAY && archs->len > 0 &&
        archs->items[0].type == TR_JSON_STRING)
        arch = archs->items[0].string;
    if (name == NULL)
        t.mode = strcmp(arch, "MVP") == 0 ? TR_T5_MVP : TR_T5_MONOT5;
    else if (strcmp(name, "monot5") == 0)
        t.mode = TR_T5_MONOT5;
    else if (strcmp(name, "mvp") == 0)
        t.mode = TR_T5_MVP;
    else {
        snprintf(c->err, c->errlen, "--template \"%s\": T5 checkpoints know monot5 and mvp", name);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    t.views = MVP_VIEWS;
    rc = tr_unigram_files_load(c->opt->input_dir, TR_UNI_SOURCE_AUTO, &own->tok, c->err, c->errlen);
    if (rc != TINYRANK_OK)
        return rc;
    if ((int64_t)own->tok.count > t.vocab) {
        snprintf(c->err, c->errlen, "the tokenizer has %zu tokens but config.json vocab_size is %lld",
                 own->tok.count, (long long)t.vocab);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    if (t.mode == TR_T5_MONOT5) {
        rc = resolve_score_ids(c, own, &t);
        if (rc != TINYRANK_OK)
            return rc;
    }
    tr_ir *ir = c->ir;
    rc = make_template(c, own, &t);
    if (rc != TINYRANK_OK)
        return rc;
    rc = tr_t5_build_graph(c, &t);
    if (rc != TINYRANK_OK)
        return rc;
    ir->family = TR_FAMILY_T5;
    ir->weight_dtype = c->opt->dtype == TR_CONVERT_INT8 ? TR_DT_I8 : TR_DT_F32;
    ir->num_layers = (int32_t)t.layers;
    ir->num_decoder_layers = (int32_t)t.dec_layers;
    ir->hidden = (int32_t)t.d_model;
    ir->num_heads = ir->num_kv_heads = (int32_t)t.heads;
    ir->head_dim = (int32_t)t.d_kv;
    ir->intermediate = (int32_t)t.d_ff;
    ir->vocab_size = (int32_t)t.vocab;
    ir->layer_norm_eps = (float)t.eps;
    tr_unigram_files_fill_ir(&own->tok, &ir->tok);
    if (t.mode == TR_T5_MVP) {
        ir->score_kind = TR_SCORE_LOGIT; /* s_i = mean_k a_k . e_ik, column 0 */
        ir->score_column = 0;
        ir->score_activation = TR_SCORE_ACT_RAW;
    } else {
        ir->score_kind = TR_SCORE_SOFTMAX_PAIR; /* columns [false, true] */
        ir->score_column = 0;
        ir->score_activation = TR_SCORE_ACT_RAW; /* p(true); --score log gives log p(true) */
    }
    /* say which weight layout was read (the producer string is in the file) */
    size_t at = strlen(ir->producer);
    snprintf(ir->producer + at, sizeof ir->producer - at, "; template=%s; weights=%s",
             t.mode == TR_T5_MVP ? "mvp" : "monot5",
             t.wrapped ? "MVP FiD wrapper (encoder.encoder.block.N.module.*)" : "plain T5 state dict");
    if (c->opt->progress)
        fprintf(stderr, "T5: %s, %s weights\n", t.mode == TR_T5_MVP ? "mvp" : "monot5",
                t.wrapped ? "MVP FiD-wrapped" : "plain");
    return TINYRANK_OK;
}
