/* qwen_template.c - the tokenizer, prompt template and score of the Qwen
 * rerankers (docs/TEMPLATES.md).
 *
 * Templates are SEGMENTS (runtime/format/tinyrank.fbs): each segment is
 * tokenized on its own and the ids are concatenated, as the reference code
 * does (tokenizing the joined prompt gives other ids at the seams).
 *  - qwen3-reranker (Qwen3-Reranker's model card code): prefix | "<Instruct>:
 *    {instruction}\n<Query>: {query}\n<Document>: {doc}" | suffix. The body
 *    is one tokenizer call truncated at its end to max_length minus prefix
 *    and suffix (truncate_order 1). Score p(yes) = softmax([no, yes])[1].
 *  - mxbai-rerank-v2 (mixedbread's mxbai-rerank package): prefix | "query:
 *    {q}" | "\n" | "document: {d}" | "\n" | task prompt | suffix. As its
 *    prepare_inputs: the body (query, "\n", document) may take max_length
 *    minus the other fixed segments; the query is cut to 3/4 of that body
 *    (max_share 750) before the document is cut to fit (order 1; the query's
 *    order 2 is never reached then). Score logit("1") - logit("0").
 *  - custom: a JSON file (format in docs/TEMPLATES.md).
 * Score token ids come from the tokenizer (tr_bpe_files_find), never from
 * constants; --score-tokens overrides them ("NO,YES" texts, or "#id"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "converter/arch/qwen.h"
#include "converter/write/model_writer.h"
#include "tinyrank.h"

#define QWEN3_PREFIX                                                                             \
    "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query " \
    "and the Instruct provided. Note that the answer can only be \"yes\" or \"no\"."            \
    "<|im_end|>\n<|im_start|>user\n"
#define QWEN3_SUFFIX "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
#define QWEN3_INSTRUCTION "Given a web search query, retrieve relevant passages that answer the query"
#define MXBAI_PREFIX                                                                             \
    "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful "            \
    "assistant.<|im_end|>\n<|im_start|>user\n"
#define MXBAI_SUFFIX "<|im_end|>\n<|im_start|>assistant\n"
#define MXBAI_TASK                                                                               \
    "You are a search relevance expert who evaluates how well documents match search queries. " \
    "For each query-document pair, carefully analyze the semantic relationship between them, "  \
    "then provide your binary relevance judgment (0 for not relevant, 1 for relevant).\n"       \
    "Relevance:"

typedef struct tpl_builder {
    tr_arch_ctx *c;
    tr_qwen_owned *own;
    size_t n_seg;
    const char *name;
    const char *default_instruction;
    uint8_t score_kind;
    const char *score_texts[2];
} tpl_builder;

/* A buffer of cap bytes owned by b->own (freed with it); NULL when out of
 * memory or of string slots. */
static char *alloc_text(tpl_builder *b, size_t cap)
{
    if (b->own->n_strings == TR_QWEN_MAX_STRINGS)
        return NULL;
    char *s = malloc(cap);
    if (s != NULL)
        b->own->strings[b->own->n_strings++] = s;
    return s;
}

static char *keep(tpl_builder *b, const char *text, size_t len)
{
    char *s = alloc_text(b, len + 1);
    if (s != NULL) {
        memcpy(s, text, len);
        s[len] = 0;
    }
    return s;
}

/* Starts a segment; returns it or NULL (c->err set). */
static tr_ir_segment *segment(tpl_builder *b, int32_t truncate_order)
{
    if (b->n_seg == TR_QWEN_MAX_SEGMENTS) {
        snprintf(b->c->err, b->c->errlen, "template: more than %d segments", TR_QWEN_MAX_SEGMENTS);
        return NULL;
    }
    tr_ir_segment *s = &b->own->segments[b->n_seg];
    memset(s, 0, sizeof *s);
    s->parts = b->own->parts[b->n_seg];
    s->truncate_order = truncate_order;
    b->n_seg++;
    return s;
}

static int part(tpl_builder *b, tr_ir_segment *s, uint8_t slot, const char *text)
{
    if (s->n_parts == TR_QWEN_MAX_PARTS) {
        snprintf(b->c->err, b->c->errlen, "template: a segment has more than %d parts",
                 TR_QWEN_MAX_PARTS);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    tr_ir_part *p = &b->own->parts[s - b->own->segments][s->n_parts++];
    p->slot = slot;
    p->text = slot == TR_SLOT_LITERAL ? text : NULL;
    return TINYRANK_OK;
}

static int literal_segment(tpl_builder *b, const char *text)
{
    tr_ir_segment *s = segment(b, 0);
    return s == NULL ? TINYRANK_ERR_INVALID_ARGUMENT : part(b, s, TR_SLOT_LITERAL, text);
}

static int builtin_qwen3(tpl_builder *b)
{
    b->name = "qwen3-reranker";
    b->default_instruction = QWEN3_INSTRUCTION;
    b->score_kind = TR_SCORE_SOFTMAX_PAIR;
    b->score_texts[0] = "no";
    b->score_texts[1] = "yes";
    int rc = literal_segment(b, QWEN3_PREFIX);
    tr_ir_segment *body = rc == TINYRANK_OK ? segment(b, 1) : NULL;
    if (body == NULL)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    part(b, body, TR_SLOT_LITERAL, "<Instruct>: ");
    part(b, body, TR_SLOT_INSTRUCTION, NULL);
    part(b, body, TR_SLOT_LITERAL, "\n<Query>: ");
    part(b, body, TR_SLOT_QUERY, NULL);
    part(b, body, TR_SLOT_LITERAL, "\n<Document>: ");
    part(b, body, TR_SLOT_DOCUMENT, NULL);
    return literal_segment(b, QWEN3_SUFFIX);
}

static int builtin_mxbai(tpl_builder *b, const char *instruction)
{
    b->name = "mxbai-rerank-v2";
    b->default_instruction = NULL;
    b->score_kind = TR_SCORE_LOGIT_DIFF;
    b->score_texts[0] = "0";
    b->score_texts[1] = "1";
    int rc = literal_segment(b, MXBAI_PREFIX);
    tr_ir_segment *q = rc == TINYRANK_OK ? segment(b, 2) : NULL;
    if (q == NULL)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    /* mxbai prepends "instruction: {i}\n" to the query text (one tokenizer
     * call) only when an instruction is given, so a --instruction becomes
     * part of the literal here rather than a slot that would always print */
    const char *lead = "query: ";
    if (instruction != NULL && instruction[0] != 0) {
        size_t n = strlen("instruction: ") + strlen(instruction) + strlen("\nquery: ");
        char *t = alloc_text(b, n + 1);
        if (t == NULL) {
            snprintf(b->c->err, b->c->errlen, "out of memory");
            return TINYRANK_ERR_INTERNAL;
        }
        snprintf(t, n + 1, "instruction: %s\nquery: ", instruction);
        lead = t;
    }
    part(b, q, TR_SLOT_LITERAL, lead);
    part(b, q, TR_SLOT_QUERY, NULL);
    q->max_share = 750; /* max_length * 3 // 4 of the body */
    rc = literal_segment(b, "\n");
    if (rc == TINYRANK_OK)
        b->own->segments[b->n_seg - 1].in_body = true; /* the body's separator */
    tr_ir_segment *d = rc == TINYRANK_OK ? segment(b, 1) : NULL;
    if (d == NULL)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    part(b, d, TR_SLOT_LITERAL, "document: ");
    part(b, d, TR_SLOT_DOCUMENT, NULL);
    if ((rc = literal_segment(b, "\n")) != TINYRANK_OK ||
        (rc = literal_segment(b, MXBAI_TASK)) != TINYRANK_OK)
        return rc;
    return literal_segment(b, MXBAI_SUFFIX);
}

/* "... {query} ... {document} ... {instruction} ..." into parts ("{{" and
 * "}}" are literal braces). */
static int text_parts(tpl_builder *b, tr_ir_segment *s, const char *text)
{
    static const struct { const char *name; uint8_t slot; } slots[] = {
        {"{query}", TR_SLOT_QUERY}, {"{document}", TR_SLOT_DOCUMENT},
        {"{instruction}", TR_SLOT_INSTRUCTION}};
    const size_t cap = strlen(text) + 1;
    size_t n = 0;
    char *lit = alloc_text(b, cap);
    if (lit == NULL)
        goto oom;
    for (const char *p = text; *p;) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            lit[n++] = p[0];
            p += 2;
            continue;
        }
        if (*p == '{') {
            size_t k = 0;
            while (k < 3 && strncmp(p, slots[k].name, strlen(slots[k].name)) != 0)
                k++;
            if (k == 3) {
                snprintf(b->c->err, b->c->errlen,
                         "template: unknown placeholder at \"%.20s\" (use {query}, {document}, "
                         "{instruction}, or {{ for a brace)", p);
                return TINYRANK_ERR_INVALID_ARGUMENT;
            }
            if (n > 0) {
                lit[n] = 0;
                if (part(b, s, TR_SLOT_LITERAL, lit) != TINYRANK_OK)
                    return TINYRANK_ERR_INVALID_ARGUMENT;
                if ((lit = alloc_text(b, cap)) == NULL)
                    goto oom;
                n = 0;
            }
            if (part(b, s, slots[k].slot, NULL) != TINYRANK_OK)
                return TINYRANK_ERR_INVALID_ARGUMENT;
            p += strlen(slots[k].name);
            continue;
        }
        lit[n++] = *p++;
    }
    lit[n] = 0;
    if (n > 0 || s->n_parts == 0)
        return part(b, s, TR_SLOT_LITERAL, lit);
    return TINYRANK_OK;
oom:
    snprintf(b->c->err, b->c->errlen, "out of memory (or a template with too many texts)");
    return TINYRANK_ERR_INTERNAL;
}

static int custom_template(tpl_builder *b, const char *path, tr_json **keep_json)
{
    size_t len;
    char *text = tr_read_file(path, &len, b->c->err, b->c->errlen);
    if (text == NULL)
        return TINYRANK_ERR_IO;
    char why[256];
    tr_json *j = tr_json_parse(text, len, why, sizeof why);
    free(text);
    if (j == NULL || j->type != TR_JSON_OBJECT) {
        snprintf(b->c->err, b->c->errlen, "%s: %s", path, j == NULL ? why : "not a JSON object");
        tr_json_free(j);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    *keep_json = j; /* names and texts are borrowed from it until the write */
    b->name = tr_json_get_string(j, "name", "custom");
    b->default_instruction = tr_json_get_string(j, "default_instruction", NULL);
    const tr_json *segs = tr_json_get(j, "segments");
    const tr_json *score = tr_json_get(j, "score");
    const tr_json *toks = score ? tr_json_get(score, "tokens") : NULL;
    const char *kind = score ? tr_json_get_string(score, "kind", "") : "";
    if (segs == NULL || segs->type != TR_JSON_ARRAY || segs->len == 0 || toks == NULL ||
        toks->type != TR_JSON_ARRAY || toks->len != 2 || toks->items[0].type != TR_JSON_STRING ||
        toks->items[1].type != TR_JSON_STRING) {
        snprintf(b->c->err, b->c->errlen, "%s: needs \"segments\" (a non-empty array) and "
                 "\"score\": {\"kind\", \"tokens\": [negative, positive]}", path);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    if (strcmp(kind, "softmax_pair") == 0)
        b->score_kind = TR_SCORE_SOFTMAX_PAIR;
    else if (strcmp(kind, "logit_diff") == 0)
        b->score_kind = TR_SCORE_LOGIT_DIFF;
    else {
        snprintf(b->c->err, b->c->errlen, "%s: score kind \"%s\" (softmax_pair or logit_diff)",
                 path, kind);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    b->score_texts[0] = toks->items[0].string;
    b->score_texts[1] = toks->items[1].string;
    for (size_t i = 0; i < segs->len; i++) {
        const tr_json *sj = &segs->items[i];
        const tr_json *t = sj->type == TR_JSON_OBJECT ? tr_json_get(sj, "text") : NULL;
        const tr_json *ids = sj->type == TR_JSON_OBJECT ? tr_json_get(sj, "ids") : NULL;
        long long order = sj->type == TR_JSON_OBJECT ? tr_json_get_int(sj, "truncate_order", 0) : -1;
        long long share = sj->type == TR_JSON_OBJECT ? tr_json_get_int(sj, "max_share", 0) : 0;
        bool in_body = sj->type == TR_JSON_OBJECT && tr_json_get_bool(sj, "in_body", false);
        if (share < 0 || share > 1000 || (share > 0 && order == 0) || (in_body && order != 0)) {
            snprintf(b->c->err, b->c->errlen, "%s: segment %zu: \"max_share\" (0..1000, per mille) "
                     "needs a truncate_order > 0, \"in_body\" a fixed segment", path, i);
            return TINYRANK_ERR_INVALID_ARGUMENT;
        }
        tr_ir_segment *s = order < 0 || order > 1000 ? NULL : segment(b, (int32_t)order);
        if (s != NULL) {
            s->max_share = (uint16_t)share;
            s->in_body = in_body;
        }
        if (s == NULL || (t == NULL) == (ids == NULL) || (t && t->type != TR_JSON_STRING) ||
            (ids && (ids->type != TR_JSON_ARRAY || ids->len == 0 || ids->len > 64))) {
            if (s != NULL)
                snprintf(b->c->err, b->c->errlen, "%s: segment %zu needs either \"text\" or "
                         "\"ids\" (1..64 ids) and a truncate_order in 0..1000", path, i);
            return TINYRANK_ERR_INVALID_ARGUMENT;
        }
        if (t != NULL) {
            int rc = text_parts(b, s, t->string);
            if (rc != TINYRANK_OK)
                return rc;
            continue;
        }
        int32_t *dst = b->own->ids[s - b->own->segments];
        for (size_t k = 0; k < ids->len; k++) {
            const tr_json *v = &ids->items[k];
            if (v->type != TR_JSON_NUMBER || v->number < 0 || v->number != (double)(int64_t)v->number ||
                v->number >= (double)b->own->bpe.count) {
                snprintf(b->c->err, b->c->errlen,
                         "%s: segment %zu has an id that is not a token of tokenizer.json", path, i);
                return TINYRANK_ERR_INVALID_ARGUMENT;
            }
            dst[k] = (int32_t)v->number;
        }
        s->ids = dst;
        s->n_ids = ids->len;
    }
    return TINYRANK_OK;
}

/* One --score-tokens entry or template token text to an id. */
static int32_t score_token(tpl_builder *b, const char *text, size_t len)
{
    char buf[128];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, text, len);
    buf[len] = 0;
    if (buf[0] == '#') { /* "#123": a raw id */
        char *end;
        long v = strtol(buf + 1, &end, 10);
        return (*end == 0 && end != buf + 1 && v >= 0 && v < 2147483647L) ? (int32_t)v : -1;
    }
    return tr_bpe_files_find(&b->own->bpe, buf);
}

static int resolve_score_ids(tpl_builder *b, int32_t ids[2])
{
    const char *spec = b->c->opt->score_tokens;
    if (spec != NULL) {
        const char *comma = strchr(spec, ',');
        if (comma == NULL || strchr(comma + 1, ',') != NULL) {
            snprintf(b->c->err, b->c->errlen, "--score-tokens wants NEGATIVE,POSITIVE (texts, or "
                     "#id), got \"%s\"", spec);
            return TINYRANK_ERR_INVALID_ARGUMENT;
        }
        ids[0] = score_token(b, spec, (size_t)(comma - spec));
        ids[1] = score_token(b, comma + 1, strlen(comma + 1));
    } else {
        ids[0] = score_token(b, b->score_texts[0], strlen(b->score_texts[0]));
        ids[1] = score_token(b, b->score_texts[1], strlen(b->score_texts[1]));
    }
    if (ids[0] < 0 || ids[1] < 0 || ids[0] == ids[1]) {
        snprintf(b->c->err, b->c->errlen,
                 "score tokens %s are not two distinct single tokens of tokenizer.json",
                 spec ? spec : "of the template");
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    return TINYRANK_OK;
}

static int fill_model(tr_arch_ctx *c, bool qwen3, tr_qwen_owned *own, const tpl_builder *bp,
                      const int32_t score_ids[2], const tr_qwen_smooth *sm);

void tr_qwen_owned_free(tr_qwen_owned *own)
{
    if (own == NULL)
        return;
    tr_bpe_files_free(&own->bpe);
    for (size_t i = 0; i < own->n_strings; i++)
        free(own->strings[i]);
    own->n_strings = 0;
}

int tr_arch_qwen_build(tr_arch_ctx *c, bool qwen3, tr_qwen_owned *own)
{
    tpl_builder b;
    memset(&b, 0, sizeof b);
    b.c = c;
    b.own = own;
    tr_json *custom = NULL;
    int rc = tr_bpe_files_load(c->opt->input_dir, &own->bpe, c->err, c->errlen);
    if (rc != TINYRANK_OK)
        return rc;
    const char *name = c->opt->template_name;
    if (name == NULL)
        name = qwen3 ? "qwen3-reranker" : "mxbai-rerank-v2";
    if (strcmp(name, "qwen3-reranker") == 0)
        rc = builtin_qwen3(&b);
    else if (strcmp(name, "mxbai-rerank-v2") == 0)
        rc = builtin_mxbai(&b, c->opt->instruction);
    else if (strcmp(name, "custom") == 0 && c->opt->template_file != NULL)
        rc = custom_template(&b, c->opt->template_file, &custom);
    else {
        snprintf(c->err, c->errlen, "template \"%s\" is not one of qwen3-reranker, "
                 "mxbai-rerank-v2 or a custom template file (--template-file)", name);
        rc = TINYRANK_ERR_INVALID_ARGUMENT;
    }
    int32_t score_ids[2] = {-1, -1};
    if (rc == TINYRANK_OK)
        rc = resolve_score_ids(&b, score_ids);
    /* texts borrowed from the custom JSON are copied before it is freed */
    if (rc == TINYRANK_OK && custom != NULL) {
        const char **texts[] = {&b.name, &b.default_instruction};
        for (size_t i = 0; i < 2 && rc == TINYRANK_OK; i++)
            if (*texts[i] != NULL && (*texts[i] = keep(&b, *texts[i], strlen(*texts[i]))) == NULL)
                rc = TINYRANK_ERR_INTERNAL;
    }
    tr_json_free(custom);
    if (rc != TINYRANK_OK)
        return rc;
    if (c->opt->dtype != TR_CONVERT_INT8 || !c->opt->smooth)
        return fill_model(c, qwen3, own, &b, score_ids, NULL);

    /* int8: the f32 model first, run over calibration text for the
     * activation ranges of the scale migration (qwen_smooth.c) */
    tr_convert_options o32 = *c->opt;
    o32.dtype = TR_CONVERT_F32;
    o32.progress = 0;
    tr_ir ir32;
    tr_ir_init(&ir32);
    tr_arch_ctx c32 = *c;
    c32.opt = &o32;
    c32.ir = &ir32;
    snprintf(ir32.name, sizeof ir32.name, "calibration");
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.calibration.trk", c->opt->output_path);
    tr_qwen_smooth sm;
    memset(&sm, 0, sizeof sm);
    if (c->opt->progress)
        fprintf(stderr, "int8: calibrating the scale migration on the f32 model\n");
    rc = fill_model(&c32, qwen3, own, &b, score_ids, NULL);
    if (rc == TINYRANK_OK)
        rc = tr_model_write(&ir32, tmp, 0, c->err, c->errlen);
    sm.layers = ir32.num_layers;
    sm.hidden = ir32.hidden;
    sm.inter = ir32.intermediate;
    tr_ir_free(&ir32);
    if (rc == TINYRANK_OK)
        rc = tr_qwen_calibrate(tmp, &sm, c->err, c->errlen);
    remove(tmp);
    if (rc == TINYRANK_OK)
        rc = fill_model(c, qwen3, own, &b, score_ids, &sm);
    tr_qwen_smooth_free(&sm);
    return rc;
}

/* The graph, tokenizer, template and score into c->ir. */
static int fill_model(tr_arch_ctx *c, bool qwen3, tr_qwen_owned *own, const tpl_builder *bp,
                      const int32_t score_ids[2], const tr_qwen_smooth *sm)
{
    const tpl_builder b = *bp;
    tr_qwen_cfg q;
    int rc = tr_arch_qwen_graph(c, qwen3, score_ids, sm, &q);
    if (rc == TINYRANK_OK && (int64_t)own->bpe.count > q.vocab) {
        snprintf(c->err, c->errlen, "tokenizer.json has %zu tokens but config.json vocab_size is %lld",
                 own->bpe.count, (long long)q.vocab);
        rc = TINYRANK_ERR_INVALID_ARGUMENT;
    }
    if (rc != TINYRANK_OK)
        return rc;
    tr_ir *ir = c->ir;
    tr_bpe_files_fill_ir(&own->bpe, &ir->tok);
    ir->tok.pad_id = tr_bpe_files_find(&own->bpe, "<|endoftext|>");
    ir->input_format = TR_FORMAT_SEGMENTS;
    ir->segments = own->segments;
    ir->n_segments = b.n_seg;
    ir->template_name = b.name;
    /* mxbai bakes --instruction into its query segment; the others store it
     * as the INSTRUCTION slot's default */
    ir->default_instruction = c->opt->instruction != NULL && b.score_kind == TR_SCORE_SOFTMAX_PAIR
                                  ? c->opt->instruction
                                  : b.default_instruction;
    ir->truncation = TR_TRUNC_ONLY_SECOND;
    ir->score_kind = b.score_kind;
    ir->score_column = 1;
    ir->score_activation = TR_SCORE_ACT_RAW;
    /* the reference code allows up to 8192 tokens; a session's arena grows
     * with max_length (and the K/V caches with it), so the stored default
     * is 512 like the cross-encoders', raised with --max-length */
    int64_t ml = c->opt->max_length > 0 ? c->opt->max_length : (q.max_pos < 512 ? q.max_pos : 512);
    if (ml < 4 || ml > q.max_pos) {
        snprintf(c->err, c->errlen, "--max-length %lld is outside 4..%lld (max_position_embeddings)",
                 (long long)ml, (long long)q.max_pos);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    ir->max_length = (int32_t)ml;
    return TINYRANK_OK;
}
