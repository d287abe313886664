/* tok_fixture.c - see tok_fixture.h. */
#include "support/tok_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *tok_shared_dir(void)
{
    static char path[4096];
    const char *env = getenv("TINYRANK_SHARED");
    if (env && *env) {
        snprintf(path, sizeof path, "%s", env);
    } else {
        const char *src = getenv("TINYRANK_SOURCE_DIR");
        if (src && *src) {
            snprintf(path, sizeof path, "%s/../shared", src);
        } else {
            /* this file is <source>/tests/support/tok_fixture.c */
            snprintf(path, sizeof path, "%s", __FILE__);
            char *slash = strrchr(path, '/');
            if (slash)
                *slash = '\0';
            strncat(path, "/../../../shared", sizeof path - strlen(path) - 1);
        }
    }
    struct stat st;
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/tokenizers", path);
    if (stat(probe, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("SKIPPED: ../shared not found (looked in %s)\n", path);
        return NULL;
    }
    return path;
}

char *tok_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    *len = n;
    return buf;
}

int tok_bert_load(tok_bert *t, const char *shared)
{
    memset(t, 0, sizeof *t);
    char path[4200], err[256];
    snprintf(path, sizeof path, "%s/tokenizers/bert-base-uncased/vocab.txt", shared);
    if (tr_vocab_index_read_txt(path, &t->index, err, sizeof err) != 0) {
        printf("%s\n", err);
        return -1;
    }
    tr_vocab v = tr_vocab_index_view(&t->index);
    static const char *const names[5] = {"[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]"};
    for (int i = 0; i < 5; i++) {
        t->special[i] = tr_vocab_find(&v, names[i], strlen(names[i]));
        if (t->special[i] < 0)
            return -1;
    }
    t->cls_id = t->special[0];
    t->sep_id = t->special[1];
    t->pad_id = t->special[3];
    t->unk_id = t->special[4];
    t->wp.vocab = v;
    t->wp.lowercase = true;
    t->wp.strip_accents = true;
    t->wp.split_chinese_chars = true;
    t->wp.max_chars_per_word = 100;
    t->wp.prefix = "##";
    t->wp.prefix_len = 2;
    t->wp.unk_id = t->unk_id;
    t->wp.special_ids = t->special;
    t->wp.n_special = 5;
    return 0;
}

void tok_bert_free(tok_bert *t)
{
    tr_vocab_index_free(&t->index);
}

int tok_jsonl_load(tok_jsonl *j, const char *path)
{
    memset(j, 0, sizeof *j);
    size_t len;
    char *text = tok_read_file(path, &len);
    if (!text)
        return -1;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    j->rec = calloc(lines, sizeof *j->rec);
    if (!j->rec) {
        free(text);
        return -1;
    }
    size_t start = 0;
    int rc = 0;
    for (size_t i = 0; i <= len && rc == 0; i++) {
        if (i < len && text[i] != '\n')
            continue;
        if (i > start) {
            char err[256];
            tr_json *rec = tr_json_parse(text + start, i - start, err, sizeof err);
            if (!rec) {
                printf("%s: record %zu: %s\n", path, j->n + 1, err);
                rc = -1;
            } else {
                j->rec[j->n++] = rec;
            }
        }
        start = i + 1;
    }
    free(text);
    if (rc != 0)
        tok_jsonl_free(j);
    return rc;
}

void tok_jsonl_free(tok_jsonl *j)
{
    for (size_t i = 0; i < j->n; i++)
        tr_json_free(j->rec[i]);
    free(j->rec);
    memset(j, 0, sizeof *j);
}

long tok_json_ints(const tr_json *arr, int32_t **out)
{
    *out = NULL;
    if (!arr || arr->type != TR_JSON_ARRAY)
        return -1;
    int32_t *v = malloc((arr->len ? arr->len : 1) * sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < arr->len; i++) {
        const tr_json *x = &arr->items[i];
        if (x->type != TR_JSON_NUMBER || !x->is_integer) {
            free(v);
            return -1;
        }
        v[i] = (int32_t)x->integer;
    }
    *out = v;
    return (long)arr->len;
}
