/* json.h - a small strict JSON reader (RFC 8259) for config.json,
 * tokenizer.json, safetensors headers and JSONL input. Host side only: it
 * allocates with malloc. */
#ifndef TR_JSON_H
#define TR_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum tr_json_type {
    TR_JSON_NULL, TR_JSON_BOOL, TR_JSON_NUMBER, TR_JSON_STRING, TR_JSON_ARRAY, TR_JSON_OBJECT
} tr_json_type;

typedef struct tr_json tr_json;
struct tr_json {
    tr_json_type type;
    bool boolean;
    double number;
    bool is_integer;       /* number written without fraction or exponent */
    long long integer;     /* its value when is_integer (and it fits) */
    char *string;          /* STRING: UTF-8, NUL-terminated (may hold NUL: use len) */
    size_t len;            /* STRING: bytes; ARRAY/OBJECT: number of items */
    tr_json *items;        /* ARRAY elements / OBJECT values, in file order */
    char **keys;           /* OBJECT keys (NUL-terminated), parallel to items */
};

/* Parses text[0..len). NULL on error, with a one-line message in err
 * ("line L column C: ..."). Free the result with tr_json_free. */
tr_json *tr_json_parse(const char *text, size_t len, char *err, size_t errlen);
void tr_json_free(tr_json *value);

/* Object member by key (first match), or NULL. */
const tr_json *tr_json_get(const tr_json *object, const char *key);
/* Convenience: member as an integer/number/string/bool with a default when
 * absent or of another type. */
long long tr_json_get_int(const tr_json *object, const char *key, long long dflt);
double tr_json_get_number(const tr_json *object, const char *key, double dflt);
const char *tr_json_get_string(const tr_json *object, const char *key, const char *dflt);
bool tr_json_get_bool(const tr_json *object, const char *key, bool dflt);

/* Reads a whole file into a malloc'd NUL-terminated buffer; NULL + message
 * on error. */
char *tr_read_file(const char *path, size_t *len, char *err, size_t errlen);

#endif
