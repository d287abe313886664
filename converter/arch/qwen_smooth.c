/* qwen_smooth.c - SmoothQuant-style scale migration for int8 decoders,
 * computed at conversion from a small calibration text.
 *
 * Why: a few residual channels of LLMs carry activations hundreds of times
 * larger than the rest. After RMSNorm they still dominate a token's range,
 * so per-token int8 activations keep few levels for every other channel.
 * Scaling input channel j of a matrix product by 1/s_j and the matching
 * weight column by s_j changes nothing in exact arithmetic and moves range
 * from the activations (quantized per token at run time) to the weights
 * (quantized per output channel at conversion). With
 *   s_j = sqrt(max|X_j| / max_i |W_ij|)      (SmoothQuant, alpha = 0.5)
 * both end up with the same per-channel range. The 1/s_j is folded where
 * it costs nothing at run time:
 *   q, k, v   input = input_layernorm(x):          gamma_j /= s_j
 *   gate, up  input = post_attention_layernorm(x): gamma_j /= s_j
 *   down      input = silu(gate) * up:             up row j /= s_j
 * (o_proj is left alone: its input mixes GQA heads, and folding there would
 * need one factor per KV channel shared by a group.)
 *
 * max|X_j| comes from running the f32 model, written to a temporary file,
 * over calibration text through the same template as at run time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "converter/arch/qwen.h"
#include "converter/write/model_writer.h"
#include "graph/session.h"
#include "platforms/posix/file_map.h"
#include "tinyrank.h"

/* Generic English text: what matters is realistic activations (the
 * massive channels appear on any text), not its topic. */
static const char *const calib_query = "what are the health benefits of drinking green tea every day";
static const char *const calib_passages[] = {
    "Green tea contains antioxidants called catechins, which may lower the risk of heart "
    "disease. Several studies found that people who drink three or more cups a day have "
    "lower blood pressure and cholesterol.",
    "The history of the city goes back to the twelfth century, when a small market grew "
    "around the river crossing. Today it is known for its university, its museums and a "
    "busy harbour that ships grain and timber.",
    "To reset the router, hold the button on the back for ten seconds until the lights "
    "flash, then wait two minutes. If the network still does not appear, check the cable "
    "and call support at 555-0199.",
    "Caffeine in tea is released more slowly than in coffee because it binds to tannins; "
    "many drinkers report steadier alertness. Excess intake can still cause insomnia or "
    "an upset stomach in sensitive people.",
    "In 2019 the committee approved a budget of $4.2 million for road repairs, with 35% "
    "reserved for bridges. The remaining funds cover lighting, signs and a new bicycle "
    "lane along Main Street.",
    "Photosynthesis converts light energy into chemical energy: chlorophyll absorbs red "
    "and blue light, water is split, oxygen is released and carbon dioxide is fixed into "
    "sugars by the Calvin cycle.",
};
#define N_CALIB (sizeof calib_passages / sizeof calib_passages[0])

typedef struct calib_obs {
    tr_qwen_smooth *sm;
} calib_obs;

static void update_max(float *acc, const float *data, size_t rows, size_t width)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < width; j++) {
            float v = fabsf(data[r * width + j]);
            acc[j] = v > acc[j] ? v : acc[j];
        }
}

static void observe(void *user, const tr_node *node, const tr_tensor *out, const float *data,
                    size_t rows, const uint32_t *seq_start, size_t n_seqs)
{
    tr_qwen_smooth *sm = ((calib_obs *)user)->sm;
    char name[160], tail[96];
    int layer;
    (void)node, (void)seq_start, (void)n_seqs;
    snprintf(name, sizeof name, "%.*s", (int)out->name_len, out->name);
    if (sscanf(name, "model.layers.%d.%95s", &layer, tail) != 2 || layer < 0 || layer >= sm->layers)
        return;
    const size_t l = (size_t)layer, H = (size_t)sm->hidden, F = (size_t)sm->inter;
    if (strcmp(tail, "input_layernorm.weight:out") == 0)
        update_max(sm->attn_in + l * H, data, rows, H);
    else if (strcmp(tail, "post_attention_layernorm.weight:out") == 0)
        update_max(sm->mlp_in + l * H, data, rows, H);
    else if (strcmp(tail, "mlp.glu:out") == 0)
        update_max(sm->down_in + l * F, data, rows, F);
}

void tr_qwen_smooth_free(tr_qwen_smooth *sm)
{
    free(sm->attn_in);
    free(sm->mlp_in);
    free(sm->down_in);
    memset(sm, 0, sizeof *sm);
}

int tr_qwen_calibrate(const char *f32_model, tr_qwen_smooth *sm, char *err, size_t errlen)
{
    const size_t L = (size_t)sm->layers, H = (size_t)sm->hidden, F = (size_t)sm->inter;
    sm->attn_in = calloc(L * H, sizeof(float));
    sm->mlp_in = calloc(L * H, sizeof(float));
    sm->down_in = calloc(L * F, sizeof(float));
    tr_file_map_t map;
    if (sm->attn_in == NULL || sm->mlp_in == NULL || sm->down_in == NULL) {
        snprintf(err, errlen, "out of memory for the int8 calibration");
        return TINYRANK_ERR_INTERNAL;
    }
    if (tr_file_map(f32_model, &map, err, errlen) != 0)
        return TINYRANK_ERR_IO;
    tinyrank_model_storage storage;
    tinyrank_model *m;
    tinyrank_session *s = NULL;
    void *arena = NULL;
    int rc = tinyrank_model_load(&storage, map.data, map.size, &m);
    if (rc != TINYRANK_OK)
        snprintf(err, errlen, "int8 calibration: %s", tinyrank_model_errmsg(m));
    tinyrank_session_params p = tinyrank_session_params_default();
    p.max_batch = 1;
    size_t bytes = 0;
    if (rc == TINYRANK_OK)
        rc = tinyrank_arena_size(m, &p, &bytes);
    if (rc == TINYRANK_OK && (arena = malloc(bytes)) == NULL)
        rc = TINYRANK_ERR_INTERNAL;
    if (rc == TINYRANK_OK)
        rc = tinyrank_session_create(m, &p, arena, bytes, &s);
    if (rc == TINYRANK_OK) {
        calib_obs obs = {sm};
        float scores[N_CALIB];
        tr_session_set_prefix_reuse(s, false); /* every row of every passage is seen */
        tr_session_set_observer(s, observe, &obs);
        rc = tinyrank_score(s, calib_query, calib_passages, N_CALIB, scores);
        if (rc != TINYRANK_OK)
            snprintf(err, errlen, "int8 calibration run: %s", tinyrank_session_errmsg(s));
    } else if (err[0] == 0) {
        snprintf(err, errlen, "int8 calibration: %s", tinyrank_status_string(rc));
    }
    free(arena);
    tr_file_unmap(&map);
    return rc;
}

void tr_qwen_smooth_factors(const float *x_max, const float *w_col_max, size_t k, float *s)
{
    for (size_t j = 0; j < k; j++) {
        /* channels the text never lit up, or all-zero columns: leave alone */
        if (!(x_max[j] > 0.0f) || !(w_col_max[j] > 0.0f)) {
            s[j] = 1.0f;
            continue;
        }
        double v = sqrt((double)x_max[j] / (double)w_col_max[j]);
        /* bounded, so that one odd channel cannot push a weight column or a
         * norm weight out of a sane range */
        s[j] = (float)(v < 1e-3 ? 1e-3 : (v > 1e3 ? 1e3 : v));
    }
}
