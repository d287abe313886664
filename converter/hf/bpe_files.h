/* bpe_files.h - reads the byte-level BPE tokenizer of a Qwen2/Qwen2.5/Qwen3
 * checkpoint folder (tokenizer.json, plus tokenizer_config.json for eos/bos
 * when present) into what the model file stores: every token's RAW bytes
 * (the byte-level alphabet decoded), the merges as id pairs with their
 * result ids and a pair-sorted index, the id of each byte, and the added
 * tokens with their flags. Host side only (allocates). Status codes are
 * TINYRANK_*.
 *
 * Accepted (anything else is refused with a message naming what differs):
 * model BPE without dropout, unk, byte fallback, subword prefix/suffix or
 * ignore_merges; normalizer NFC; pre-tokenizer Sequence[Split(the Qwen2
 * pattern, Isolated), ByteLevel(use_regex=false, add_prefix_space=false)];
 * added tokens with normalized=false (what the runtime implements, see
 * runtime/tokenizer/bpe.h). Merges as "a b" strings or ["a", "b"] arrays. */
#ifndef TR_HF_BPE_FILES_H
#define TR_HF_BPE_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "converter/write/model_ir.h"

/* The Qwen2 Split pattern, exactly as tokenizer.json writes it. */
#define TR_QWEN2_SPLIT_PATTERN                                                                   \
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|" \
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

typedef struct tr_bpe_files {
    char **tokens;       /* count tokens in id order (raw bytes, NUL-terminated) */
    size_t *lens;
    size_t count;        /* BPE vocabulary + added tokens */
    size_t n_model;      /* ids below this are BPE vocabulary entries */
    int32_t *merges;     /* 2 * n_merges: left, right of rank r */
    int32_t *merge_ids;  /* n_merges: the token each merge gives */
    uint32_t *merge_order; /* ranks sorted by (left, right) */
    size_t n_merges;
    int32_t byte_ids[256];
    tr_ir_added_token *added;
    size_t n_added;
    int32_t eos_id, bos_id; /* -1 when none */
} tr_bpe_files;

/* Reads dir/tokenizer.json (and dir/tokenizer_config.json when present).
 * *out is zeroed first; release it with tr_bpe_files_free, also after a
 * failure. */
int tr_bpe_files_load(const char *dir, tr_bpe_files *out, char *err, size_t errlen);

/* Same from the text of a tokenizer.json (config_json may be NULL). */
int tr_bpe_files_parse(const char *tokenizer_json, size_t len, const char *config_json,
                       size_t config_len, tr_bpe_files *out, char *err, size_t errlen);

void tr_bpe_files_free(tr_bpe_files *f);

/* Points the IR tokenizer at f (borrowed: f must outlive the write) and
 * sets its kind to TR_TOKENIZER_BYTE_LEVEL_BPE. */
void tr_bpe_files_fill_ir(const tr_bpe_files *f, tr_ir_tokenizer *tk);

/* Id of the token whose bytes are the UTF-8 text `text` (e.g. "yes", "1",
 * "<|im_end|>"), or -1. Added tokens are preferred, as in tokenizer.json's
 * token_to_id. */
int32_t tr_bpe_files_find(const tr_bpe_files *f, const char *text);

#endif
