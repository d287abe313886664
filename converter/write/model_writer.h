/* model_writer.h - writes a tr_ir as a .trk model file, atomically. */
#ifndef TR_MODEL_WRITER_H
#define TR_MODEL_WRITER_H

#include <stddef.h>

#include "converter/write/model_ir.h"

/* TINYRANK_OK, or a status with a one-line reason in err. progress: print
 * progress on stderr for large models. */
int tr_model_write(const tr_ir *ir, const char *path, int progress, char *err, size_t errlen);

/* The Tokenizer table alone, as the root of a size-prefixed FlatBuffer
 * (file identifier "TKNZ"), exactly as tr_model_write stores it: lets tests run
 * a converted tokenizer through the runtime's loader without a whole
 * model. *out is malloc'd. TINYRANK_OK or a status. */
int tr_tokenizer_fb_build(const tr_ir_tokenizer *tk, uint8_t **out, size_t *out_len);

#endif
