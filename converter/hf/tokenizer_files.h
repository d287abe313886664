/* tokenizer_files.h - reads the WordPiece tokenizer of a BERT checkpoint
 * folder (vocab.txt and/or tokenizer.json, with tokenizer_config.json when
 * present) into one plain description that the converter stores in the
 * model. Host side only (allocates). Status codes are TINYRANK_*. */
#ifndef TR_TOKENIZER_FILES_H
#define TR_TOKENIZER_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Which file defines the vocabulary. AUTO prefers tokenizer.json (what
 * transformers' AutoTokenizer loads: the fast tokenizer) and falls back to
 * vocab.txt. */
enum { TR_WP_SOURCE_AUTO = 0, TR_WP_SOURCE_TOKENIZER_JSON = 1, TR_WP_SOURCE_VOCAB_TXT = 2 };

typedef struct tr_wp_files {
    char **tokens;           /* count tokens in id order, NUL-terminated UTF-8 */
    size_t *lens;            /* their byte lengths */
    size_t count;            /* vocabulary size, added tokens included */

    bool clean_text;         /* drop control chars, map whitespace to ' ' */
    bool lowercase;          /* lowercase (BertNormalizer.lowercase / do_lower_case) */
    bool strip_accents;      /* NFD + drop marks; already resolved (null -> lowercase) */
    bool split_chinese_chars;/* space around CJK ideographs */
    int max_chars_per_word;  /* longer words become [UNK] (100 in BERT) */
    char *prefix;            /* continuing subword prefix, "##" */

    int32_t unk_id, cls_id, sep_id; /* always present */
    int32_t pad_id, mask_id;        /* -1 when the vocabulary has none */
    int32_t *special_ids;    /* sorted, unique: the ids above plus special added tokens */
    size_t num_special;

    int source;              /* TR_WP_SOURCE_TOKENIZER_JSON or TR_WP_SOURCE_VOCAB_TXT */
} tr_wp_files;

/* Reads the tokenizer of `dir`. TINYRANK_ERR_IO when a needed file cannot
 * be read, TINYRANK_ERR_CORRUPT_MODEL for a malformed one (holes in the ids,
 * duplicate tokens, missing [UNK]/[CLS]/[SEP], bad JSON or UTF-8),
 * TINYRANK_ERR_UNSUPPORTED for a tokenizer that is not BERT WordPiece.
 * *out is zeroed first and must be released with tr_wp_files_free (also
 * after a failure). */
int tr_wp_files_load(const char *dir, int source, tr_wp_files *out, char *err, size_t errlen);
void tr_wp_files_free(tr_wp_files *v);

/* Id of a token by its exact text, or -1 (linear search: for setup only). */
int32_t tr_wp_files_find(const tr_wp_files *v, const char *token);

#endif
