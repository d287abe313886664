/* op_fully_connected.c - out = act(x W^T + b), or with options.glu the gated
 * linear unit act(x Wg^T + bg) * (x Wu^T + bu) of W = [Wg; Wu].
 * inputs: (x, W, b optional, w_sum) - w_sum (I32 [N], the row sums of W)
 * comes with an I8 W only. With an I8 weight the activations are quantized
 * per row at run time (uint8 with a zero point, one scale per row),
 * multiplied in int32 and dequantized with the per-output-channel weight
 * scales; w_sum removes the zero point's contribution.
 *
 * Threads: the output is cut into fixed tiles of FC_TILE_M rows x FC_TILE_N
 * columns (sizes that do not depend on the thread count, so every thread
 * count gives the same bits); the int8 path first quantizes row tiles.
 *
 * GLU: each task computes a gate tile and the matching up tile (columns
 * n0.. and F + n0..) into its thread's scratch, then writes act(gate) * up:
 * the [rows, 2F] product never goes to memory (SwiGLU's is 6 MB per layer
 * for 256 tokens of Qwen3-0.6B: reading it back cost more than the math). */
#include "ops/ops.h"

#define FC_TILE_M 64
#define FC_TILE_N 256 /* a multiple of 16: whole N16K4 blocks */
#define FC_GLU_TILE_N 128 /* output columns of a GLU task: 128 gate + 128 up */

/* The output shape check, with the GLU's halving. */
static bool out_shape_ok(const tr_node *n, const tr_tensor *x, const tr_tensor *w,
                         const tr_tensor *out)
{
    const int64_t N = w->dims[0];
    if (n->opt.fc.glu && (N % 32 != 0)) /* F = N / 2 a multiple of 16 */
        return false;
    return out->dtype == TR_DT_F32 && out->ndim == 2 && out->dims[0] == x->dims[0] &&
           out->dims[1] == (n->opt.fc.glu ? N / 2 : N);
}

static int check(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out, char *msg,
                 size_t len)
{
    const tr_tensor *x = in[0], *w = in[1], *b = in[2], *ws = in[3];
    if (x->dtype != TR_DT_F32 || x->ndim != 2 || w->kind != TR_TK_CONSTANT || w->ndim != 2 ||
        (w->dtype != TR_DT_F32 && w->dtype != TR_DT_I8) || x->dims[1] != w->dims[1]) {
        tr_msg(msg, len, "fully connected '%.*s': needs F32 [rows, K] x constant [N, K]",
               (int)w->name_len, w->name);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    if ((w->dtype == TR_DT_I8) != (w->layout == TR_LAYOUT_N16K4) ||
        (w->dtype == TR_DT_I8 && (w->quant_axis != 0 || w->n_scales != (uint32_t)w->dims[0] ||
                                  w->dims[1] > 32768))) {
        tr_msg(msg, len,
               "weight '%.*s': int8 weights must be packed N16K4 with one scale per output "
               "channel (and K <= 32768); f32 weights row-major",
               (int)w->name_len, w->name);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    if ((w->dtype == TR_DT_I8) != (ws != NULL) ||
        (ws != NULL && (ws->kind != TR_TK_CONSTANT || ws->dtype != TR_DT_I32 || ws->ndim != 1 ||
                        ws->dims[0] != w->dims[0]))) {
        tr_msg(msg, len, "I8 weight '%.*s' needs its row sums as a constant I32 [%d] input",
               (int)w->name_len, w->name, (int)w->dims[0]);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    if (ws != NULL) {
        /* row sums are data the kernels trust: they must be possible sums */
        const int32_t *sum = ws->data;
        const int64_t bound = 127 * (int64_t)w->dims[1];
        for (int32_t i = 0; i < ws->dims[0]; i++)
            if (sum[i] < -bound || sum[i] > bound) {
                tr_msg(msg, len, "row sums of '%.*s' are out of range", (int)w->name_len, w->name);
                return TINYRANK_ERR_CORRUPT_MODEL;
            }
    }
    if (b != NULL && (b->kind != TR_TK_CONSTANT || b->dtype != TR_DT_F32 || b->ndim != 1 ||
                      b->dims[0] != w->dims[0])) {
        tr_msg(msg, len, "bias '%.*s' must be constant F32 [%d]", (int)b->name_len, b->name,
               (int)w->dims[0]);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    if (!out_shape_ok(n, x, w, out)) {
        tr_msg(msg, len, "fully connected output of '%.*s' has the wrong shape (GLU: [rows, N/2], "
               "N/2 a multiple of 16)", (int)w->name_len, w->name);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    if (!tr_activation_valid(n->opt.fc.activation)) {
        tr_msg(msg, len, "unknown activation %d", (int)n->opt.fc.activation);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    return TINYRANK_OK;
}


/* Bytes of the quantized input (int8 weights): rows of Q, scales, zero points. */
static size_t quant_bytes(const tr_tensor *w, size_t rows)
{
    if (w->dtype != TR_DT_I8)
        return 0;
    size_t k = tr_qu8_row_bytes((size_t)w->dims[1]);
    return tr_align64(rows * k) + tr_align64(rows * sizeof(float)) +
           tr_align64(rows * sizeof(int32_t));
}

/* GLU: per thread, a gate and an up tile of FC_TILE_M x FC_GLU_TILE_N */
#define GLU_TILE_BYTES (2 * FC_TILE_M * FC_GLU_TILE_N * sizeof(float))

static size_t scratch(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out,
                      const tr_dims *max)
{
    (void)out;
    size_t rows = tr_dim_value(in[0]->dims[0], max);
    return quant_bytes(in[1], rows) + (n->opt.fc.glu ? max->threads * GLU_TILE_BYTES : 0);
}

typedef struct fc_job {
    const tr_exec *x;
    const tr_node *n;
    const tr_tensor *w;
    const float *a, *bias;
    float *c;
    size_t M, N, K, ldq, tiles_n;
    uint8_t *q;
    float *a_scale;
    int32_t *a_zp;
    const int32_t *w_sum;
    float *glu; /* GLU tiles, GLU_TILE_BYTES per thread */
} fc_job;

static void quantize_task(void *arg, size_t task, size_t thread)
{
    const fc_job *j = arg;
    (void)thread;
    size_t m0 = task * FC_TILE_M, rows = j->M - m0 < FC_TILE_M ? j->M - m0 : FC_TILE_M;
    j->x->k->qu8_quantize_rows(rows, j->K, j->a + m0 * j->K, j->K, j->q + m0 * j->ldq, j->ldq,
                               j->a_scale + m0, j->a_zp + m0);
}

/* C[rows][cols] (row stride ldc) = rows m0.. of x times output channels
 * n0..n0+cols-1 of W, plus their bias */
static void gemm_block(const fc_job *j, size_t m0, size_t rows, size_t n0, size_t cols, float *c,
                       size_t ldc)
{
    const float *bias = j->bias ? j->bias + n0 : NULL;
    if (j->w->dtype == TR_DT_F32) {
        j->x->k->f32_gemm(rows, cols, j->K, j->a + m0 * j->K, j->K,
                          (const float *)j->w->data + n0 * j->K, j->K, bias, c, ldc);
    } else {
        const int8_t *w = (const int8_t *)j->w->data + (n0 / 16) * tr_round_up(j->K, 4) * 16;
        j->x->k->qu8s8_gemm(rows, cols, j->K, j->q + m0 * j->ldq, j->ldq, j->a_scale + m0,
                            j->a_zp + m0, w, j->w->scales + n0, j->w_sum + n0, bias, c, ldc);
    }
}

static void gemm_task(void *arg, size_t task, size_t thread)
{
    const fc_job *j = arg;
    (void)thread;
    size_t m0 = (task / j->tiles_n) * FC_TILE_M, n0 = (task % j->tiles_n) * FC_TILE_N;
    size_t rows = j->M - m0 < FC_TILE_M ? j->M - m0 : FC_TILE_M;
    size_t cols = j->N - n0 < FC_TILE_N ? j->N - n0 : FC_TILE_N;
    float *c = j->c + m0 * j->N + n0;
    gemm_block(j, m0, rows, n0, cols, c, j->N);
    if (j->n->opt.fc.activation != TR_ACT_NONE)
        for (size_t r = 0; r < rows; r++)
            j->x->k->f32_activation(j->n->opt.fc.activation, cols, c + r * j->N, c + r * j->N);
}

/* GLU: output columns n0.. of F = N / 2 from gate channels n0.. and up
 * channels F + n0.. (F a multiple of 16: the up block starts on a whole
 * N16K4 block) */
static void glu_task(void *arg, size_t task, size_t thread)
{
    const fc_job *j = arg;
    const size_t F = j->N / 2;
    size_t m0 = (task / j->tiles_n) * FC_TILE_M, n0 = (task % j->tiles_n) * FC_GLU_TILE_N;
    size_t rows = j->M - m0 < FC_TILE_M ? j->M - m0 : FC_TILE_M;
    size_t cols = F - n0 < FC_GLU_TILE_N ? F - n0 : FC_GLU_TILE_N;
    float *gate = j->glu + thread * (GLU_TILE_BYTES / sizeof(float));
    float *up = gate + FC_TILE_M * FC_GLU_TILE_N;
    gemm_block(j, m0, rows, n0, cols, gate, FC_GLU_TILE_N);
    gemm_block(j, m0, rows, F + n0, cols, up, FC_GLU_TILE_N);
    for (size_t r = 0; r < rows; r++)
        j->x->k->f32_glu(j->n->opt.fc.activation, cols, gate + r * FC_GLU_TILE_N,
                         up + r * FC_GLU_TILE_N, j->c + (m0 + r) * F + n0);
}

static int eval(tr_exec *x, const tr_node *n)
{
    fc_job j;
    j.x = x;
    j.n = n;
    j.w = &x->tensors[n->in[1]];
    j.a = tr_exec_data(x, n->in[0]);
    j.bias = n->in[2] >= 0 ? tr_exec_data(x, n->in[2]) : NULL;
    j.c = tr_exec_data(x, n->out);
    j.M = tr_exec_rows(x, n->in[0]);
    j.N = (size_t)j.w->dims[0];
    j.K = (size_t)j.w->dims[1];
    const size_t out_cols = n->opt.fc.glu ? j.N / 2 : j.N;
    const size_t tile_n = n->opt.fc.glu ? FC_GLU_TILE_N : FC_TILE_N;
    j.tiles_n = (out_cols + tile_n - 1) / tile_n;
    size_t tiles_m = (j.M + FC_TILE_M - 1) / FC_TILE_M;
    j.glu = NULL;
    if (j.w->dtype == TR_DT_I8) {
        j.ldq = tr_qu8_row_bytes(j.K);
        j.q = x->scratch;
        j.a_scale = (float *)(void *)(j.q + tr_align64(j.M * j.ldq));
        j.a_zp = (int32_t *)(void *)((uint8_t *)j.a_scale + tr_align64(j.M * sizeof(float)));
        j.w_sum = tr_exec_data(x, n->in[3]);
        tr_exec_parallel(x, quantize_task, &j, tiles_m);
    }
    if (n->opt.fc.glu) {
        /* after this run's quantized input (at most the planned maximum) */
        j.glu = (float *)(void *)((uint8_t *)x->scratch + quant_bytes(j.w, j.M));
        tr_exec_parallel(x, glu_task, &j, tiles_m * j.tiles_n);
    } else {
        tr_exec_parallel(x, gemm_task, &j, tiles_m * j.tiles_n);
    }
    return TINYRANK_OK;
}

const tr_op_def tr_op_fully_connected = {"FULLY_CONNECTED", 2, 4, check, scratch, eval};
