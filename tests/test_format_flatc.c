/* test_format_flatc.c - the official FlatBuffers compiler decodes every
 * model the converter writes (f32 and int8) against tinyrank.fbs, and what
 * it reads agrees with what the runtime's own reader reads: header, config,
 * every tensor (name, kind, dtype, shape, scales), every operator code, the
 * blobs (64-byte aligned, inside the file) and the tokenizer. This is what
 * keeps runtime/format/schema_ids.h and the hand-written writer true to the
 * schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "converter/hf/json.h"
#include "graph/model.h"
#include "graph/model_view.h"
#include "support/tr_test.h"

static const char *kind_names[] = {"CONSTANT", "ACTIVATION", "INPUT", "PERSISTENT"};
static const char *dtype_names[] = {"F32", "F16", "I8", "I32"};
static const char *op_names[] = {"EMBEDDING", "FULLY_CONNECTED", "NORM", "ATTENTION",
                                 "ADD", "GATHER_ROWS", "ACTIVATION"};

static void check_model(const char *trk, const char *tmp)
{
    const char *flatc = getenv("TINYRANK_FLATC");
    const char *src = getenv("TINYRANK_SOURCE_DIR");
    assert_non_null(src);
    if (flatc == NULL || *flatc == 0 || strstr(flatc, "NOTFOUND") != NULL) {
        fail_msg("flatc not found: install flatbuffers-compiler (the README's setup does)");
    }
    assert_int_equal(tr_test_system("cd '%s' && '%s' --json --raw-binary --size-prefixed --strict-json "
                                    "'%s/runtime/format/tinyrank.fbs' -- '%s'",
                                    tmp, flatc, src, trk),
                     0);
    char json_path[1200];
    const char *base = strrchr(trk, '/') + 1;
    snprintf(json_path, sizeof json_path, "%s/%.*s.json", tmp, (int)(strlen(base) - 4), base);
    size_t len;
    char *text = tr_test_read(json_path, &len);
    assert_non_null(text);
    char err[256];
    tr_json *j = tr_json_parse(text, len, err, sizeof err);
    if (j == NULL)
        fail_msg("flatc output is not JSON: %s", err);
    free(text);

    tr_test_model tm;
    assert_int_equal(tr_test_model_open(&tm, trk), TINYRANK_OK);
    const tinyrank_model *m = tm.model;
    tinyrank_model_info info;
    assert_int_equal(tinyrank_model_get_info(m, &info), TINYRANK_OK);

    assert_int_equal(tr_json_get_int(j, "version_major", -1), TINYRANK_FORMAT_MAJOR);
    assert_string_equal(tr_json_get_string(j, "family", ""), "BERT");
    assert_string_equal(tr_json_get_string(j, "name", ""), info.name);
    assert_string_equal(tr_json_get_string(j, "weight_dtype", ""),
                        strcmp(info.weight_dtype, "int8") == 0 ? "I8" : "F32");
    const tr_json *cfg = tr_json_get(j, "config");
    assert_int_equal(tr_json_get_int(cfg, "num_layers", -1), info.num_layers);
    assert_int_equal(tr_json_get_int(cfg, "hidden_size", -1), info.hidden_size);
    assert_int_equal(tr_json_get_int(cfg, "num_heads", -1), info.num_heads);
    assert_int_equal(tr_json_get_int(cfg, "vocab_size", -1), info.vocab_size);

    const tr_json *graph = tr_json_get(j, "graph");
    const tr_json *tensors = tr_json_get(graph, "tensors");
    const tr_json *ops = tr_json_get(graph, "operators");
    const tr_json *blobs = tr_json_get(j, "blobs");
    assert_int_equal(tensors->len, tr_model_num_tensors(m));
    assert_int_equal(ops->len, info.num_operators);
    size_t file_size = tm.map.size;
    for (size_t i = 0; i < tensors->len; i++) {
        const tr_json *t = &tensors->items[i];
        tr_tensor_desc d;
        assert_int_equal(tr_model_tensor_desc(m, i, &d), TINYRANK_OK);
        const char *name = tr_json_get_string(t, "name", "");
        assert_int_equal(strlen(name), d.name_len);
        assert_memory_equal(name, d.name, d.name_len);
        /* enum defaults (CONSTANT, F32) are omitted by flatc when equal to
         * the default; the writer always writes them, so they are present */
        assert_string_equal(tr_json_get_string(t, "kind", "CONSTANT"), kind_names[d.kind]);
        assert_string_equal(tr_json_get_string(t, "dtype", "F32"), dtype_names[d.dtype]);
        const tr_json *shape = tr_json_get(t, "shape");
        assert_int_equal(shape->len, (size_t)d.ndim);
        for (int k = 0; k < d.ndim; k++)
            assert_int_equal(shape->items[k].integer, d.shape[k]);
        const tr_json *scales = tr_json_get(t, "scales");
        assert_int_equal(scales ? scales->len : 0, d.n_scales);
        long long blob = tr_json_get_int(t, "blob", -1);
        if (d.kind == 0) {
            assert_true(blob >= 0 && (size_t)blob < blobs->len);
            long long off = tr_json_get_int(&blobs->items[blob], "offset", -1);
            long long size = tr_json_get_int(&blobs->items[blob], "size", -1);
            assert_int_equal(off % 64, 0);
            assert_int_equal((size_t)size, d.nbytes);
            assert_true((size_t)(off + size) <= file_size);
        } else {
            assert_int_equal(blob, -1);
        }
    }
    for (size_t i = 0; i < ops->len; i++) {
        const char *code = tr_json_get_string(&ops->items[i], "code", "EMBEDDING");
        const char *ours = tr_model_operator_name(m, i);
        assert_non_null(ours);
        int found = 0;
        for (size_t k = 0; k < sizeof op_names / sizeof *op_names; k++)
            found |= strcmp(op_names[k], code) == 0 && strcmp(op_names[k], ours) == 0;
        if (!found)
            fail_msg("operator %zu: flatc reads %s, the runtime %s", i, code, ours);
    }
    const tr_json *tok = tr_json_get(j, "tokenizer");
    assert_string_equal(tr_json_get_string(tok, "kind", "WORDPIECE"), "WORDPIECE");
    assert_int_equal(tr_json_get(tok, "sorted_ids")->len, m->tok.vocab.n);
    assert_int_equal(tr_json_get_int(tok, "cls_id", -1), m->tok.cls_id);
    assert_int_equal(tr_json_get_int(tok, "sep_id", -1), m->tok.sep_id);
    tr_test_model_close(&tm);
    tr_json_free(j);
}

static void test_flatc_decodes_converted_models(void **state)
{
    (void)state;
    char *tmp = tr_test_mkdtemp();
    char ck[1200], f32[1200], i8[1200];
    snprintf(ck, sizeof ck, "%s/ckpt", tmp);
    assert_int_equal(tr_test_make_checkpoint(ck, "--preset tiny --seed 3"), 0);
    snprintf(f32, sizeof f32, "%s/tiny-f32.trk", tmp);
    snprintf(i8, sizeof i8, "%s/tiny-int8.trk", tmp);
    assert_int_equal(tr_test_convert(ck, f32, "f32"), TINYRANK_OK);
    assert_int_equal(tr_test_convert(ck, i8, "int8"), TINYRANK_OK);
    check_model(f32, tmp);
    check_model(i8, tmp);
    tr_test_rmtree(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flatc_decodes_converted_models),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
