/* tok_fixture.h - test helpers of the tokenizer tests: where ../shared is,
 * the bert-base-uncased WordPiece set up as the converter would, and JSONL
 * records (via converter/hf/json.h). */
#ifndef TOK_FIXTURE_H
#define TOK_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "converter/hf/json.h"
#include "converter/hf/vocab_index.h"
#include "tokenizer/wordpiece.h"

/* Folder with the reference files: $TINYRANK_SHARED, else ../shared next
 * to the source tree. NULL (and a "SKIPPED: ../shared not found" line on
 * stdout) when it does not exist. Returned string is static. */
const char *tok_shared_dir(void);

/* Reads a whole file (malloc, NUL-terminated); NULL when unreadable. */
char *tok_read_file(const char *path, size_t *len);

typedef struct tok_bert {
    tr_vocab_index index;
    int32_t special[5]; /* [CLS] [SEP] [MASK] [PAD] [UNK] */
    int32_t cls_id, sep_id, pad_id, unk_id;
    tr_wordpiece wp;
} tok_bert;

/* bert-base-uncased of shared/tokenizers with the reference's settings
 * (do_lower_case, accents stripped, CJK split, 100 chars, "##"). 0 on
 * success. */
int tok_bert_load(tok_bert *t, const char *shared);
void tok_bert_free(tok_bert *t);

/* JSONL: every line of the file parsed (empty lines skipped). */
typedef struct tok_jsonl {
    tr_json **rec;
    size_t n;
} tok_jsonl;
int tok_jsonl_load(tok_jsonl *j, const char *path);
void tok_jsonl_free(tok_jsonl *j);

/* Copies a JSON array of integers into a malloc'd array; -1 when it is not
 * one. */
long tok_json_ints(const tr_json *arr, int32_t **out);

#endif
