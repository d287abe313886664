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
} tr_convert_options;

tr_convert_options tr_convert_options_default(void);

/* Returns a TINYRANK_* status; on failure errbuf holds one line naming the
 * file or tensor at fault. */
int tr_convert(const tr_convert_options *opt, char *errbuf, size_t errlen);

#endif
