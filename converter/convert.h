/* convert.h - the converter's entry point: a Hugging Face checkpoint folder
 * in, one .trk model file out (written atomically: temp file + rename). */
#ifndef TR_CONVERT_H
#define TR_CONVERT_H

#include <stddef.h>

enum { TR_CONVERT_F32 = 0, TR_CONVERT_INT8 = 1 };

typedef struct tr_convert_options {
    const char *input_dir;   /* config.json, *.safetensors, vocab.txt / tokenizer.json */
    const char *output_path; /* the .trk file */
    int dtype;               /* TR_CONVERT_F32 or TR_CONVERT_INT8 */
    const char *name;        /* stored in the model; NULL = folder name */
    int max_length;          /* 0 = min(512, max_position_embeddings) */
    int progress;            /* 1 = progress lines on stderr */
    /* Prompt template and score of generative rerankers (decoders, T5):
     * "qwen3-reranker", "mxbai-rerank-v2", "monot5", "mvp", or "custom"
     * (then template_file names a JSON template; see docs/TEMPLATES.md).
     * NULL = the family's default. */
    const char *template_name;
    const char *template_file;
    const char *instruction;  /* default instruction stored in the model (NULL: the template's) */
    const char *score_tokens; /* "NO,YES" token texts or ids overriding the template's pair */
    const char *truncation;   /* template-specific truncation variant (e.g. monot5 "document") */
    /* int8 of decoders: comma list of weight kinds kept float32 ("q,k,v,o,
     * gate_up,down,embed"); NULL = the family's default */
    const char *keep_f32;
    /* int8 of decoders: 1 = SmoothQuant-style scale migration calibrated at
     * conversion (converter/arch/qwen_smooth.c); off by default: it did not
     * beat per-token int8 on the checkpoints measured (see
     * tests/test_qwen_int8.c) */
    int smooth;
    /* int8 models: 1 (default) lets attention products run in bfloat16
     * where the CPU has them (ATTENTION options.bf16), 0 keeps them f32 */
    int attention_bf16;
} tr_convert_options;

tr_convert_options tr_convert_options_default(void);

/* Returns a TINYRANK_* status; on failure errbuf holds one line naming the
 * file or tensor at fault. */
int tr_convert(const tr_convert_options *opt, char *errbuf, size_t errlen);

#endif
