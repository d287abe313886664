/* op_fully_connected.c - out = act(x W^T + b).
 * inputs: (x, W, b optional, w_sum) - w_sum (I32 [N], the row sums of W)
 * comes with an I8 W only. With an I8 weight the activations are quantized
 * per row at run time (uint8 with a zero point, one scale per row),
 * multiplied in int32 and dequantized with the per-output-channel weight
 * scales; w_sum removes the zero point's contribution. */
#include "ops/ops.h"

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
                                  w->dims[1] > 65536))) {
        tr_msg(msg, len,
               "weight '%.*s': int8 weights must be packed N16K4 with one scale per output "
               "channel (and K <= 65536); f32 weights row-major",
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
    if (b != NULL && (b->kind != TR_TK_CONSTANT || b->dtype != TR_DT_F32 || b->ndim != 1 ||
                      b->dims[0] != w->dims[0])) {
        tr_msg(msg, len, "bias '%.*s' must be constant F32 [%d]", (int)b->name_len, b->name,
               (int)w->dims[0]);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    if (out->dtype != TR_DT_F32 || out->ndim != 2 || out->dims[0] != x->dims[0] ||
        out->dims[1] != w->dims[0]) {
        tr_msg(msg, len, "fully connected output of '%.*s' has the wrong shape", (int)w->name_len,
               w->name);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    if (!tr_activation_valid(n->opt.fc.activation)) {
        tr_msg(msg, len, "unknown activation %d", (int)n->opt.fc.activation);
        return TINYRANK_ERR_CORRUPT_MODEL;
    }
    return TINYRANK_OK;
}

static size_t scratch(const tr_node *n, const tr_tensor *const *in, const tr_tensor *out,
                      const tr_dims *max)
{
    (void)n;
    (void)out;
    if (in[1]->dtype != TR_DT_I8)
        return 0;
    size_t rows = tr_dim_value(in[0]->dims[0], max);
    size_t k = tr_qu8_row_bytes((size_t)in[0]->dims[1]);
    return tr_align64(rows * k) + tr_align64(rows * sizeof(float)) + tr_align64(rows * sizeof(int32_t));
}

static int eval(tr_exec *x, const tr_node *n)
{
    const tr_tensor *w = &x->tensors[n->in[1]];
    const float *a = tr_exec_data(x, n->in[0]);
    const float *bias = n->in[2] >= 0 ? tr_exec_data(x, n->in[2]) : NULL;
    float *c = tr_exec_data(x, n->out);
    size_t M = tr_exec_rows(x, n->in[0]);
    size_t N = (size_t)w->dims[0], K = (size_t)w->dims[1];
    if (w->dtype == TR_DT_F32) {
        x->k->f32_gemm(M, N, K, a, K, w->data, K, bias, c, N);
    } else {
        const size_t ldq = tr_qu8_row_bytes(K);
        uint8_t *q = x->scratch;
        float *a_scale = (float *)(void *)(q + tr_align64(M * ldq));
        int32_t *a_zp = (int32_t *)(void *)((uint8_t *)a_scale + tr_align64(M * sizeof(float)));
        const int32_t *w_sum = tr_exec_data(x, n->in[3]);
        x->k->qu8_quantize_rows(M, K, a, K, q, ldq, a_scale, a_zp);
        x->k->qu8s8_gemm(M, N, K, q, ldq, a_scale, a_zp, w->data, w->scales, w_sum, bias, c, N);
    }
    if (n->opt.fc.activation != TR_ACT_NONE)
        x->k->f32_activation(n->opt.fc.activation, M * N, c, c);
    return TINYRANK_OK;
}

const tr_op_def tr_op_fully_connected = {"FULLY_CONNECTED", 2, 4, check, scratch, eval};
