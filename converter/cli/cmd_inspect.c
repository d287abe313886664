/* cmd_inspect.c - `tinyrank inspect`: what a .trk file holds and what a
 * session on it costs. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "format/schema_ids.h"
#include "graph/model_view.h"

enum { OPT_JSON = 1, OPT_HELP };

static const tr_cli_opt opts[] = {
    {"--json", 0, OPT_JSON}, {"-h", 0, OPT_HELP}, {"--help", 0, OPT_HELP}, {NULL, 0, 0},
};

static const char *kind_name(int kind)
{
    switch (kind) {
    case TR_TK_CONSTANT: return "constant";
    case TR_TK_ACTIVATION: return "activation";
    case TR_TK_INPUT: return "input";
    case TR_TK_PERSISTENT: return "persistent";
    default: return "?";
    }
}

static const char *dtype_name(int dtype)
{
    switch (dtype) {
    case TR_DT_F32: return "f32";
    case TR_DT_F16: return "f16";
    case TR_DT_I8: return "int8";
    case TR_DT_I32: return "i32";
    default: return "?";
    }
}

/* "[tokens,128]": symbolic dims print as their names (they are resolved per
 * run); in JSON they are strings. Truncated (never overflowing) if huge. */
static void format_shape(const tr_tensor_desc *d, int json, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    off += (size_t)snprintf(buf, len, "[");
    for (int j = 0; j < d->ndim && j < 8 && off < len; j++) {
        const char *sep = j ? (json ? ", " : ",") : "";
        int32_t s = d->shape[j];
        if (s == TR_DIM_TOKENS)
            off += (size_t)snprintf(buf + off, len - off, json ? "%s\"tokens\"" : "%stokens", sep);
        else if (s == TR_DIM_SEQUENCES)
            off += (size_t)snprintf(buf + off, len - off, json ? "%s\"sequences\"" : "%ssequences",
                                    sep);
        else
            off += (size_t)snprintf(buf + off, len - off, "%s%d", sep, (int)s);
    }
    if (off < len)
        snprintf(buf + off, len - off, "]");
}

/* Arena bytes of a session at the model's default max_length and `batch`;
 * 0 with a printed error on failure. */
static int arena_at(const tr_cli_model *m, int batch, size_t *bytes)
{
    tinyrank_session_params p = tinyrank_session_params_default();
    p.max_batch = batch;
    int st = tinyrank_arena_size(m->model, &p, bytes);
    if (st != TINYRANK_OK) {
        tr_cli_error("inspect: cannot size a session of batch %d: %s: %s", batch,
                     tinyrank_status_string(st), tinyrank_model_errmsg(m->model));
        return 0;
    }
    return 1;
}

static void json_str(const char *s)
{
    tr_cli_json_string(stdout, s ? s : "", s ? strlen(s) : 0);
}

int tr_cli_inspect(int argc, char **argv)
{
    const char *path = NULL, *v;
    int json = 0, id;
    tr_cli_args a;
    tr_cli_args_init(&a, argc, argv, opts);
    while ((id = tr_cli_next(&a, &v)) != TR_CLI_END) {
        switch (id) {
        case TR_CLI_BAD:
            return 1;
        case TR_CLI_POSITIONAL:
            if (path)
                return tr_cli_error("inspect: one model only (got '%s' and '%s')", path, v);
            path = v;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_HELP:
            tr_cli_usage(stdout);
            return 0;
        }
    }
    if (!path)
        return tr_cli_error("inspect: missing MODEL (tinyrank inspect MODEL)");

    tr_cli_model m;
    if (tr_cli_model_open(&m, path) != TINYRANK_OK)
        return 1;
    const tinyrank_model_info *in = &m.info;
    size_t arena1 = 0, arena8 = 0;
    if (!arena_at(&m, 1, &arena1) || !arena_at(&m, 8, &arena8)) {
        tr_cli_model_close(&m);
        return 1;
    }
    /* Collect the tensor table first: an error must not leave half an output. */
    size_t nt = tr_model_num_tensors(m.model);
    tr_tensor_desc d;
    char shape[160];
    for (size_t i = 0; i < nt; i++) {
        int st = tr_model_tensor_desc(m.model, i, &d);
        if (st != TINYRANK_OK) {
            tr_cli_error("inspect: tensor %zu: %s: %s", i, tinyrank_status_string(st),
                         tinyrank_model_errmsg(m.model));
            tr_cli_model_close(&m);
            return 1;
        }
    }

    if (json) {
        fputs("{\"file\": ", stdout);
        json_str(path);
        printf(", \"file_bytes\": %zu, \"family\": ", m.map.size);
        json_str(in->family);
        fputs(", \"name\": ", stdout);
        json_str(in->name);
        printf(", \"num_layers\": %d, \"hidden_size\": %d, \"num_heads\": %d, "
               "\"intermediate_size\": %d, \"vocab_size\": %d, \"max_position\": %d, "
               "\"default_max_length\": %d, \"weight_dtype\": ",
               in->num_layers, in->hidden_size, in->num_heads, in->intermediate_size,
               in->vocab_size, in->max_position, in->default_max_length);
        json_str(in->weight_dtype);
        printf(", \"num_tensors\": %zu, \"num_operators\": %zu, \"weight_bytes\": %zu, "
               "\"arena_bytes_batch1\": %zu, \"arena_bytes_batch8\": %zu, \"tensors\": [",
               in->num_tensors, in->num_operators, in->weight_bytes, arena1, arena8);
        for (size_t i = 0; i < nt; i++) {
            tr_model_tensor_desc(m.model, i, &d);
            fputs(i ? ", {\"name\": " : "{\"name\": ", stdout);
            tr_cli_json_string(stdout, d.name, d.name_len);
            printf(", \"kind\": \"%s\", \"dtype\": \"%s\", \"shape\": ", kind_name(d.kind),
                   dtype_name(d.dtype));
            format_shape(&d, 1, shape, sizeof shape);
            printf("%s, \"bytes\": %zu, \"scales\": %zu}", shape, d.nbytes, d.n_scales);
        }
        fputs("]}\n", stdout);
    } else {
        printf("file              %s (%zu bytes)\n", path, m.map.size);
        printf("family            %s\n", in->family);
        printf("name              %s\n", in->name && in->name[0] ? in->name : "(none)");
        printf("layers            %d\n", in->num_layers);
        printf("hidden size       %d\n", in->hidden_size);
        printf("heads             %d\n", in->num_heads);
        printf("intermediate size %d\n", in->intermediate_size);
        printf("vocab size        %d\n", in->vocab_size);
        printf("max position      %d\n", in->max_position);
        printf("default max_length %d\n", in->default_max_length);
        printf("weight dtype      %s\n", in->weight_dtype);
        printf("weight bytes      %zu\n", in->weight_bytes);
        printf("operators         %zu\n", in->num_operators);
        printf("arena bytes       %zu (batch 1), %zu (batch 8) at max_length %d\n", arena1,
               arena8, in->default_max_length);
        printf("tensors           %zu\n", nt);
        printf("  %-5s %-40s %-10s %-5s %-24s %12s %7s\n", "#", "name", "kind", "dtype", "shape",
               "bytes", "scales");
        for (size_t i = 0; i < nt; i++) {
            tr_model_tensor_desc(m.model, i, &d);
            int name_len = d.name_len > 1000 ? 1000 : (int)d.name_len;
            printf("  %-5zu %-40.*s %-10s %-5s ", i, name_len, d.name ? d.name : "",
                   kind_name(d.kind), dtype_name(d.dtype));
            format_shape(&d, 0, shape, sizeof shape);
            printf("%-24s %12zu %7zu\n", shape, d.nbytes, d.n_scales);
        }
    }
    tr_cli_model_close(&m);
    return 0;
}
