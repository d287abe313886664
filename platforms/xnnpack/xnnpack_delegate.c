/* xnnpack_delegate.c - XNNPACK as a tinyrank delegate (libtinyrank_xnnpack).
 *
 * What it takes: f32 fully connected operators (weights row-major [N][K],
 * optional bias, activation none or ReLU), which XNNPACK runs with its own
 * GEMM microkernels. int8 operators stay on tinyrank's kernels: Debian's
 * XNNPACK (2022) quantizes activations with one static scale per tensor,
 * while tinyrank's int8 path uses dynamic per-row scales, and its own
 * VNNI/AVX2 kernels are 2.4-4x faster there anyway (benchmarks/).
 *
 * Memory: XNNPACK allocates through the xnn_allocator given to
 * xnn_initialize. The allocator here serves allocations from the arena slice
 * of the operator being prepared (a bump pointer; frees are no-ops), so a
 * session's XNNPACK operators - their packed weights included - live in the
 * session arena. Outside a prepare, allocations come from malloc: that only
 * happens inside xnn_initialize (tinyrank_xnnpack_delegate_create), once per
 * process, like the threads of a pool. `late_allocations` counts any other
 * (the tests require 0).
 *
 * The slice asked for a node: XNNPACK packs the weights with the bias into
 * blocks of NR output channels (NR <= 64 on the kernels of this version),
 * plus the operator record; the bound below covers both with room. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xnnpack.h>

#include "platforms/xnnpack/xnnpack_delegate.h"

#define OP_RECORD_BYTES (64u * 1024u) /* xnn_operator and its parameters */

typedef struct bump {
    uint8_t *base;
    size_t size, used;
} bump;

static struct {
    pthread_once_t once;
    enum xnn_status init_status;
    bump *current;               /* the slice being prepared (under lock) */
    pthread_mutex_t lock;        /* one prepare at a time: current is global */
    unsigned long late_allocations;
} g = {PTHREAD_ONCE_INIT, xnn_status_uninitialized, NULL, PTHREAD_MUTEX_INITIALIZER, 0};

static void *bump_alloc(size_t alignment, size_t size)
{
    bump *b = g.current;
    if (b == NULL)
        return NULL;
    if (alignment < 16)
        alignment = 16;
    uintptr_t p = ((uintptr_t)(b->base + b->used) + alignment - 1) & ~(uintptr_t)(alignment - 1);
    size_t off = (size_t)(p - (uintptr_t)b->base);
    if (off > b->size || size > b->size - off)
        return NULL;
    b->used = off + size;
    return (void *)p;
}

static void *x_allocate(void *ctx, size_t size)
{
    (void)ctx;
    if (g.current != NULL)
        return bump_alloc(16, size);
    g.late_allocations += g.init_status == xnn_status_success;
    return malloc(size);
}

static void *x_reallocate(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (g.current != NULL) {
        /* growing a block of unknown size: copy what fits from the old one */
        void *n = bump_alloc(16, size);
        if (n != NULL && ptr != NULL)
            memmove(n, ptr, size);
        return n;
    }
    g.late_allocations += g.init_status == xnn_status_success;
    return realloc(ptr, size);
}

static int in_arena(const void *p)
{
    /* arena blocks are never freed one by one: the arena is forgotten whole */
    (void)p;
    return g.current != NULL;
}

static void x_deallocate(void *ctx, void *ptr)
{
    (void)ctx;
    if (!in_arena(ptr) && g.init_status != xnn_status_success)
        free(ptr); /* only blocks xnn_initialize itself got from malloc */
}

static void *x_aligned_allocate(void *ctx, size_t alignment, size_t size)
{
    (void)ctx;
    if (g.current != NULL)
        return bump_alloc(alignment, size);
    g.late_allocations += g.init_status == xnn_status_success;
    void *p = NULL;
    if (posix_memalign(&p, alignment < sizeof(void *) ? sizeof(void *) : alignment, size) != 0)
        return NULL;
    return p;
}

static void x_aligned_deallocate(void *ctx, void *ptr)
{
    x_deallocate(ctx, ptr);
}

static const struct xnn_allocator allocator = {NULL, x_allocate, x_reallocate, x_deallocate,
                                               x_aligned_allocate, x_aligned_deallocate};

static void init_once(void)
{
    g.init_status = xnn_initialize(&allocator);
}

typedef struct node_state {
    xnn_operator_t op;
} node_state;

static size_t round_up(size_t x, size_t m)
{
    return (x + m - 1) / m * m;
}

static int claim(void *user, const tinyrank_node_desc *d, size_t *bytes)
{
    (void)user;
    if (d->op != TINYRANK_OP_FULLY_CONNECTED || d->num_inputs < 2)
        return 0;
    const tinyrank_tensor_desc *x = &d->inputs[0], *w = &d->inputs[1];
    const tinyrank_tensor_desc *b = d->num_inputs > 2 ? &d->inputs[2] : NULL;
    if (x->dtype != TINYRANK_DTYPE_F32 || x->ndim != 2 || w->dtype != TINYRANK_DTYPE_F32 ||
        w->ndim != 2 || w->data == NULL || w->packed)
        return 0;
    if (b != NULL && b->ndim != 0 && (b->dtype != TINYRANK_DTYPE_F32 || b->data == NULL))
        return 0;
    if (d->activation != TINYRANK_ACT_NONE && d->activation != TINYRANK_ACT_RELU)
        return 0;
    size_t n = (size_t)w->dims[0], k = (size_t)w->dims[1];
    *bytes = sizeof(node_state) + OP_RECORD_BYTES + round_up(n, 64) * (round_up(k, 16) + 1) * 4;
    return 1;
}

static int prepare(void *user, const tinyrank_node_desc *d, void *arena, size_t bytes, void **state)
{
    (void)user;
    if (pthread_once(&g.once, init_once) != 0 || g.init_status != xnn_status_success)
        return 1;
    node_state *st = arena;
    bump b = {(uint8_t *)arena + sizeof *st, bytes - sizeof *st, 0};
    const tinyrank_tensor_desc *w = &d->inputs[1];
    const float *bias = d->num_inputs > 2 && d->inputs[2].ndim != 0 ? d->inputs[2].data : NULL;
    size_t n = (size_t)w->dims[0], k = (size_t)w->dims[1];
    float lo = d->activation == TINYRANK_ACT_RELU ? 0.0f : -INFINITY;
    pthread_mutex_lock(&g.lock);
    g.current = &b;
    enum xnn_status s = xnn_create_fully_connected_nc_f32(k, n, k, n, w->data, bias, lo, INFINITY,
                                                          0, &st->op);
    g.current = NULL;
    pthread_mutex_unlock(&g.lock);
    if (s != xnn_status_success)
        return 1;
    *state = st;
    return 0;
}

static int eval(void *user, void *state, const void *const *inputs, void *output, size_t rows)
{
    (void)user;
    node_state *st = state;
    if (rows == 0)
        return 0;
    if (xnn_setup_fully_connected_nc_f32(st->op, rows, inputs[0], output, NULL) != xnn_status_success)
        return 1;
    return xnn_run_operator(st->op, NULL) != xnn_status_success;
}

int tinyrank_xnnpack_delegate(tinyrank_delegate *out)
{
    if (out == NULL)
        return TINYRANK_ERR_INVALID_ARGUMENT;
    if (pthread_once(&g.once, init_once) != 0 || g.init_status != xnn_status_success)
        return TINYRANK_ERR_UNSUPPORTED;
    out->name = "xnnpack";
    out->user = NULL;
    out->claim = claim;
    out->prepare = prepare;
    out->eval = eval;
    return TINYRANK_OK;
}

unsigned long tr_xnnpack_late_allocations(void)
{
    return g.late_allocations;
}
