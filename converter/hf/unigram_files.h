/* unigram_files.h - reads a SentencePiece Unigram tokenizer (T5) from a
 * checkpoint folder: spiece.model (the sentencepiece ModelProto, parsed here)
 * or tokenizer.json (model "Unigram", Precompiled normalizer, Metaspace),
 * with tokenizer_config.json when present. Both give the same description:
 * what transformers' slow T5Tokenizer runs (see runtime/tokenizer/unigram.h).
 * Host side only (allocates). Status codes are TINYRANK_*.
 *
 * Added tokens: those of tokenizer.json, or for spiece.model the slow
 * T5Tokenizer's: <pad>, </s>, <unk> (special, no strip) and extra_ids
 * (tokenizer_config.json, default 100) tokens <extra_id_i> with id
 * pieces - 1 + extra_ids - i. In both cases <extra_id_N> strip the
 * whitespace on both sides (lstrip = rstrip = true: the slow T5Tokenizer
 * creates them so, whatever tokenizer.json says) unless
 * tokenizer_config.json's added_tokens_decoder gives their flags.
 *
 * Semantics: sentencepiece's (the slow tokenizer) for spiece.model, and
 * for a tokenizer.json of a T5 tokenizer (tokenizer_class T5Tokenizer in
 * tokenizer_config.json, or <extra_id_N> added tokens); any other
 * tokenizer.json (XLM-R) follows the Rust `tokenizers` library, whose
 * results are what fast/ONNX pipelines of those models see. */
#ifndef TR_HF_UNIGRAM_FILES_H
#define TR_HF_UNIGRAM_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "converter/write/model_ir.h"

/* AUTO prefers spiece.model (the file the slow reference tokenizer reads)
 * and falls back to tokenizer.json. */
enum { TR_UNI_SOURCE_AUTO = 0, TR_UNI_SOURCE_TOKENIZER_JSON = 1, TR_UNI_SOURCE_SPIECE_MODEL = 2 };

typedef struct tr_unigram_files {
    char **tokens; /* count pieces in id order, NUL-terminated UTF-8 */
    size_t *lens;
    size_t count;
    float *scores;
    uint8_t *types; /* TR_PIECE_* (runtime/tokenizer/unigram.h) */
    uint8_t *charsmap;
    size_t charsmap_len;
    bool add_dummy_prefix, remove_extra_whitespaces;
    uint8_t semantics;     /* TR_UNIGRAM_SENTENCEPIECE or TR_UNIGRAM_HF_TOKENIZERS */
    bool collapse_spaces;  /* tokenizer.json: Replace(" {2,}", " ") */
    bool whitespace_split; /* tokenizer.json: WhitespaceSplit before Metaspace */
    double *scores64;      /* tokenizer.json: the scores as written (count) */
    int32_t unk_id, eos_id, pad_id, bos_id; /* -1: none */
    tr_ir_added_token *added;               /* sorted by id */
    size_t n_added;
    int source; /* TR_UNI_SOURCE_TOKENIZER_JSON or TR_UNI_SOURCE_SPIECE_MODEL */
} tr_unigram_files;

/* Reads the tokenizer of `dir`. TINYRANK_ERR_IO when no usable file can be
 * read, TINYRANK_ERR_CORRUPT_MODEL for malformed files,
 * TINYRANK_ERR_UNSUPPORTED for sentencepiece models this runtime does not
 * run (BPE model type, byte fallback, other normalizers). *out is zeroed
 * first; release it with tr_unigram_files_free (also after a failure). */
int tr_unigram_files_load(const char *dir, int source, tr_unigram_files *out, char *err,
                          size_t errlen);
void tr_unigram_files_free(tr_unigram_files *f);

/* Parses a sentencepiece ModelProto from memory (spiece.model's bytes);
 * added tokens are not set. For tests and tools. */
int tr_unigram_parse_spiece(const uint8_t *data, size_t len, tr_unigram_files *out, char *err,
                            size_t errlen);

/* Fills the Unigram part of an IR tokenizer (borrowing from f). */
void tr_unigram_files_fill_ir(const tr_unigram_files *f, tr_ir_tokenizer *tk);

/* Id of a piece by its exact text (e.g. "\xe2\x96\x81true" for "▁true"),
 * or -1. Linear: for conversion only. */
int32_t tr_unigram_files_find(const tr_unigram_files *f, const char *piece);

#endif
