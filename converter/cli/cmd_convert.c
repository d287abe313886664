/* cmd_convert.c - `tinyrank convert`: Hugging Face folder -> .trk file. */
#include <string.h>

#include "cli.h"
#include "converter/convert.h"

enum { OPT_OUT = 1, OPT_DTYPE, OPT_NAME, OPT_MAXLEN, OPT_QUIET, OPT_HELP, OPT_TEMPLATE,
       OPT_TEMPLATE_FILE, OPT_INSTRUCTION, OPT_SCORE_TOKENS, OPT_TRUNCATION, OPT_KEEP_F32,
       OPT_SMOOTH, OPT_ATTENTION };

static const tr_cli_opt opts[] = {
    {"-o", 1, OPT_OUT},          {"--output", 1, OPT_OUT},   {"--dtype", 1, OPT_DTYPE},
    {"--name", 1, OPT_NAME},     {"--max-length", 1, OPT_MAXLEN},
    {"--quiet", 0, OPT_QUIET},   {"-h", 0, OPT_HELP},        {"--help", 0, OPT_HELP},
    {"--template", 1, OPT_TEMPLATE},       {"--template-file", 1, OPT_TEMPLATE_FILE},
    {"--instruction", 1, OPT_INSTRUCTION}, {"--score-tokens", 1, OPT_SCORE_TOKENS},
    {"--truncation", 1, OPT_TRUNCATION},   {"--keep-f32", 1, OPT_KEEP_F32},
    {"--smooth", 0, OPT_SMOOTH},           {"--attention", 1, OPT_ATTENTION},
    {NULL, 0, 0},
};

int tr_cli_convert(int argc, char **argv)
{
    tr_convert_options o = tr_convert_options_default();
    o.progress = 1;
    tr_cli_args a;
    tr_cli_args_init(&a, argc, argv, opts);
    const char *v;
    int id;
    long n;
    while ((id = tr_cli_next(&a, &v)) != TR_CLI_END) {
        switch (id) {
        case TR_CLI_BAD:
            return 1;
        case TR_CLI_POSITIONAL:
            if (o.input_dir)
                return tr_cli_error("convert: one checkpoint folder only (got '%s' and '%s')",
                                    o.input_dir, v);
            o.input_dir = v;
            break;
        case OPT_OUT:
            o.output_path = v;
            break;
        case OPT_DTYPE:
            if (strcmp(v, "f32") == 0)
                o.dtype = TR_CONVERT_F32;
            else if (strcmp(v, "int8") == 0)
                o.dtype = TR_CONVERT_INT8;
            else
                return tr_cli_error("convert: --dtype must be int8 or f32, got '%s'", v);
            break;
        case OPT_NAME:
            o.name = v;
            break;
        case OPT_MAXLEN:
            if (!tr_cli_parse_long("--max-length", v, 1, 1 << 20, &n))
                return 1;
            o.max_length = (int)n;
            break;
        case OPT_QUIET:
            o.progress = 0;
            break;
        case OPT_TEMPLATE:
            o.template_name = v;
            break;
        case OPT_TEMPLATE_FILE:
            o.template_name = "custom";
            o.template_file = v;
            break;
        case OPT_INSTRUCTION:
            o.instruction = v;
            break;
        case OPT_SCORE_TOKENS:
            o.score_tokens = v;
            break;
        case OPT_TRUNCATION:
            o.truncation = v;
            break;
        case OPT_KEEP_F32:
            o.keep_f32 = v;
            break;
        case OPT_SMOOTH:
            o.smooth = 1;
            break;
        case OPT_ATTENTION:
            if (strcmp(v, "f32") == 0)
                o.attention_bf16 = 0;
            else if (strcmp(v, "bf16") == 0)
                o.attention_bf16 = 1;
            else
                return tr_cli_error("convert: --attention must be bf16 or f32, got '%s'", v);
            break;
        case OPT_HELP:
            tr_cli_usage(stdout);
            return 0;
        }
    }
    if (!o.input_dir)
        return tr_cli_error("convert: missing the checkpoint folder (tinyrank convert HF_DIR -o MODEL)");
    if (!o.output_path)
        return tr_cli_error("convert: missing -o MODEL");

    char err[1024] = "";
    int st = tr_convert(&o, err, sizeof err);
    if (st != TINYRANK_OK)
        return tr_cli_error("convert: %s: %s", tinyrank_status_string(st),
                            err[0] ? err : "conversion failed");
    return 0;
}
