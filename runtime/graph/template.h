/* template.h - the SEGMENTS input template of generative rerankers
 * (internal). A template is a list of segments; each is fixed token ids or
 * text parts (literal text, the query, the document, the instruction)
 * joined and tokenized as one string. See InputTemplate in tinyrank.fbs.
 * template.c verifies it at load; session_template.c builds sequences. */
#ifndef TR_TEMPLATE_H
#define TR_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/fb_reader.h"

#define TR_TEMPLATE_MAX_SEGMENTS 16
#define TR_TEMPLATE_MAX_PARTS 16
/* Longest instruction a session stores (tinyrank_set_instruction). */
#define TR_TEMPLATE_MAX_INSTRUCTION 4096

typedef struct tinyrank_model tinyrank_model;

typedef struct tr_segment {
    const uint8_t *ids; /* n_ids little-endian int32, or NULL */
    uint32_t n_ids;
    tr_fb_vec parts;    /* tables TextPart */
    int32_t truncate_order;
    uint16_t max_share; /* per mille of the budget, 0: none (see tinyrank.fbs) */
    bool in_body;       /* a fixed segment counted inside that budget */
} tr_segment;

typedef struct tr_template {
    tr_fb_table table;  /* InputTemplate */
    tr_fb_vec segments; /* tables Segment */
    const char *default_instruction;
    uint32_t default_instruction_len;
    uint32_t fixed_ids;  /* ids of all segments that cannot be cut */
    bool has_document;   /* some part is the DOCUMENT slot */
    bool has_instruction; /* some part is the INSTRUCTION slot */
} tr_template;

/* Verifies the SEGMENTS part of the InputTemplate `tpl` against the model's
 * tokenizer (fixed ids in range) and max_length; fills m->tpl. */
int tr_template_load(tinyrank_model *m, const tr_fb_table *tpl);

/* Segment i (< segments.count) and part k of a segment of a loaded model. */
void tr_template_segment(const tr_template *t, uint32_t i, tr_segment *out);
void tr_template_part(const tr_template *t, const tr_segment *seg, uint32_t k, uint8_t *slot,
                      const char **text, uint32_t *len);

#endif
