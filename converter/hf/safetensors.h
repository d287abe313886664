/* safetensors.h - read-only access to the weights of a Hugging Face
 * checkpoint folder: model.safetensors, or the shards named by
 * model.safetensors.index.json. Files are mapped with mmap (they may be
 * gigabytes) and every header field is verified before a tensor is listed.
 * Host side only (allocates). Status codes are TINYRANK_*; messages name the
 * file and the tensor at fault. */
#ifndef TR_SAFETENSORS_H
#define TR_SAFETENSORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Element types of the safetensors format. F32, F16 and BF16 convert to
 * float32; the others are listed but tr_st_to_f32 refuses them. */
enum {
    TR_ST_F32 = 0,
    TR_ST_F16,
    TR_ST_BF16,
    TR_ST_F64,
    TR_ST_I64,
    TR_ST_U64,
    TR_ST_I32,
    TR_ST_U32,
    TR_ST_I16,
    TR_ST_U16,
    TR_ST_I8,
    TR_ST_U8,
    TR_ST_BOOL,
    TR_ST_F8_E4M3,
    TR_ST_F8_E5M2,
    TR_ST_F8_E8M0,
    TR_ST_DTYPE_COUNT
};

#define TR_ST_MAX_DIMS 8

typedef struct tr_st_tensor {
    const char *name;
    int dtype;                       /* TR_ST_* */
    int ndim;                        /* 0 = scalar */
    int64_t shape[TR_ST_MAX_DIMS];
    int64_t numel;                   /* product of shape (1 for a scalar) */
    const void *data;                /* in the mapping; NOT aligned in general */
    size_t nbytes;
    const char *file;                /* path of the file holding it */
} tr_st_tensor;

typedef struct tr_st_set tr_st_set; /* all tensors of a checkpoint folder */

/* Opens dir/model.safetensors.index.json (sharded) when it exists, else
 * dir/model.safetensors. TINYRANK_ERR_IO when the files cannot be read,
 * TINYRANK_ERR_CORRUPT_MODEL when they fail verification,
 * TINYRANK_ERR_UNSUPPORTED for a dtype this reader does not know. */
int tr_st_open_dir(const char *dir, tr_st_set **out, char *err, size_t errlen);

/* Opens a single .safetensors file. */
int tr_st_open_file(const char *path, tr_st_set **out, char *err, size_t errlen);

void tr_st_close(tr_st_set *s);

/* Tensors are sorted by name. */
size_t tr_st_count(const tr_st_set *s);
const tr_st_tensor *tr_st_at(const tr_st_set *s, size_t i);
const tr_st_tensor *tr_st_find(const tr_st_set *s, const char *name);

/* "F32", "BF16", ...; "?" when out of range. */
const char *tr_st_dtype_name(int dtype);
/* Bytes per element (1 for BOOL and the F8 types). */
size_t tr_st_dtype_size(int dtype);

/* Converts t's numel elements to float32 in dst (exact for F16/BF16,
 * including subnormals, infinities and NaN). UNSUPPORTED for other dtypes. */
int tr_st_to_f32(const tr_st_tensor *t, float *dst, char *err, size_t errlen);

/* Bookkeeping of which tensors the converter consumed, so that it can
 * report tensors it did not expect ("extra tensors") as an error. */
const tr_st_tensor *tr_st_use(tr_st_set *s, const char *name); /* find + mark; NULL if absent */
void tr_st_mark_used(tr_st_set *s, const tr_st_tensor *t);
bool tr_st_is_used(const tr_st_set *s, const tr_st_tensor *t);
size_t tr_st_unused_count(const tr_st_set *s);
/* The i-th unused tensor in name order (i < tr_st_unused_count), or NULL. */
const tr_st_tensor *tr_st_unused_at(const tr_st_set *s, size_t i);
/* TINYRANK_OK when every tensor was used, else TINYRANK_ERR_CORRUPT_MODEL
 * with a message listing (the first few of) the unused names. */
int tr_st_check_all_used(const tr_st_set *s, char *err, size_t errlen);

#endif
