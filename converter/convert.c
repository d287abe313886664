/* convert.c - the converter driver: read config.json, pick the family,
 * build the graph from the safetensors weights and the tokenizer files,
 * refuse tensors nobody used, write the model atomically. */
#include "converter/convert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "converter/arch/arch.h"
#include "converter/arch/qwen.h"
#include "converter/arch/t5.h"
#include "converter/arch/xlmr.h"
#include "converter/write/model_writer.h"
#include "tinyrank.h"

tr_convert_options tr_convert_options_default(void)
{
    tr_convert_options o;
    memset(&o, 0, sizeof o);
    o.dtype = TR_CONVERT_INT8;
    o.attention_bf16 = 1;
    return o;
}

/* The family named by config.json, or NULL (architecture in *arch). */
static const char *detect_family(const tr_json *cfg, const char **arch)
{
    const tr_json *archs = tr_json_get(cfg, "architectures");
    *arch = NULL;
    if (archs != NULL && archs->type == TR_JSON_ARRAY && archs->len > 0 &&
        archs->items[0].type == TR_JSON_STRING)
        *arch = archs->items[0].string;
    const char *type = tr_json_get_string(cfg, "model_type", "");
    if (*arch != NULL && strcmp(*arch, "BertForSequenceClassification") == 0)
        return "bert";
    if (*arch == NULL && strcmp(type, "bert") == 0)
        return "bert";
    /* RoBERTa's sequence classifier is the same graph (modeling_roberta.py) */
    if (*arch != NULL && (strcmp(*arch, "XLMRobertaForSequenceClassification") == 0 ||
                          strcmp(*arch, "RobertaForSequenceClassification") == 0))
        return "xlm-roberta";
    if (*arch == NULL && strcmp(type, "xlm-roberta") == 0)
        return "xlm-roberta";
    if (*arch != NULL && strcmp(*arch, "Qwen2ForCausalLM") == 0)
        return "qwen2";
    if (*arch != NULL && strcmp(*arch, "Qwen3ForCausalLM") == 0)
        return "qwen3";
    /* "MVP": the MVP authors' wrapped T5 (their class name in config.json) */
    if (*arch != NULL && (strcmp(*arch, "T5ForConditionalGeneration") == 0 || strcmp(*arch, "MVP") == 0))
        return "t5";
    if (*arch == NULL && strcmp(type, "t5") == 0)
        return "t5";
    if (*arch == NULL)
        *arch = type[0] ? type : "(none given)";
    return NULL;
}

static void base_name(const char *dir, char *out, size_t len)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && dir[start - 1] != '/')
        start--;
    snprintf(out, len, "%.*s", (int)(n - start), dir + start);
}

int tr_convert(const tr_convert_options *opt, char *err, size_t errlen)
{
    char path[4096];
    int rc;
    if (opt == NULL || opt->input_dir == NULL || opt->output_path == NULL ||
        (opt->dtype != TR_CONVERT_F32 && opt->dtype != TR_CONVERT_INT8)) {
        snprintf(err, errlen, "convert needs an input folder, an output path and dtype f32 or int8");
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    snprintf(path, sizeof path, "%s/config.json", opt->input_dir);
    size_t len;
    char *text = tr_read_file(path, &len, err, errlen);
    if (text == NULL)
        return TINYRANK_ERR_IO;
    char why[256];
    tr_json *cfg = tr_json_parse(text, len, why, sizeof why);
    free(text);
    if (cfg == NULL) {
        snprintf(err, errlen, "%s: %s", path, why);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    if (cfg->type != TR_JSON_OBJECT) {
        tr_json_free(cfg);
        snprintf(err, errlen, "%s: not a JSON object", path);
        return TINYRANK_ERR_INVALID_ARGUMENT;
    }
    const char *arch;
    const char *family = detect_family(cfg, &arch);
    if (family == NULL) {
        snprintf(err, errlen,
                 "%s: unsupported architecture \"%s\" (this converter supports "
                 "BertForSequenceClassification, XLMRobertaForSequenceClassification, "
                 "Qwen2ForCausalLM, Qwen3ForCausalLM, "
                 "T5ForConditionalGeneration)",
                 path, arch);
        tr_json_free(cfg);
        return TINYRANK_ERR_UNSUPPORTED;
    }

    tr_st_set *weights = NULL;
    tr_wp_files tok;
    tr_ir ir;
    memset(&tok, 0, sizeof tok);
    tr_ir_init(&ir);
    const bool qwen = strncmp(family, "qwen", 4) == 0;
    tr_qwen_owned *qwen_own = qwen ? calloc(1, sizeof *qwen_own) : NULL; /* outlives the write */
    const bool t5 = strcmp(family, "t5") == 0;
    tr_t5_owned *t5_own = t5 ? calloc(1, sizeof *t5_own) : NULL; /* outlives the write */
    const bool xlmr = strcmp(family, "xlm-roberta") == 0;
    tr_xlmr_owned *xlmr_own = xlmr ? calloc(1, sizeof *xlmr_own) : NULL; /* outlives the write */
    rc = tr_st_open_dir(opt->input_dir, &weights, err, errlen);
    if (rc == TINYRANK_OK && ((qwen && qwen_own == NULL) || (t5 && t5_own == NULL) ||
                             (xlmr && xlmr_own == NULL))) {
        snprintf(err, errlen, "out of memory");
        rc = TINYRANK_ERR_INTERNAL;
    }
    if (rc == TINYRANK_OK && !qwen && !t5 && !xlmr) /* the others read their tokenizers themselves */
        rc = tr_wp_files_load(opt->input_dir, TR_WP_SOURCE_AUTO, &tok, err, errlen);
    if (rc == TINYRANK_OK) {
        tr_arch_ctx c = {opt, cfg, weights, &tok, &ir, err, errlen};
        if (opt->name != NULL)
            snprintf(ir.name, sizeof ir.name, "%s", opt->name);
        else
            base_name(opt->input_dir, ir.name, sizeof ir.name);
        snprintf(ir.producer, sizeof ir.producer, "tinyrank-convert %s; %s; dtype=%s",
                 tinyrank_version(), arch, opt->dtype == TR_CONVERT_INT8 ? "int8" : "f32");
        rc = qwen ? tr_arch_qwen_build(&c, strcmp(family, "qwen3") == 0, qwen_own)
             : t5 ? tr_arch_t5_build(&c, t5_own)
             : xlmr ? tr_arch_xlmr_build(&c, xlmr_own)
                  : tr_arch_bert_build(&c);
    }
    if (rc == TINYRANK_OK)
        rc = tr_st_check_all_used(weights, err, errlen);
    if (rc == TINYRANK_OK)
        rc = tr_model_write(&ir, opt->output_path, opt->progress, err, errlen);
    tr_ir_free(&ir);
    tr_qwen_owned_free(qwen_own);
    free(qwen_own);
    tr_t5_owned_free(t5_own);
    free(t5_own);
    tr_xlmr_owned_free(xlmr_own);
    free(xlmr_own);
    tr_wp_files_free(&tok);
    tr_st_close(weights);
    tr_json_free(cfg);
    return rc;
}
