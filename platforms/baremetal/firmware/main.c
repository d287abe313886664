/* main.c - the tinyrank firmware example: loads the model that the linker
 * put in flash (used in place, no copy), creates a session in a static arena,
 * tokenizes a query and a few passages ON the device, scores them and prints
 * the scores through semihosting.
 *
 * Output (read by platforms/baremetal/run-qemu.sh):
 *   arena_bytes <n>
 *   check <bad input>: <status>      (expected error codes; exit 1 otherwise)
 *   score <i> <float bits as 0x%08x> <approximate decimal>
 *   done
 * The hex bits are the exact float: the script compares them with the host's
 * scores of the same model and texts. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <tinyrank.h>

#include "semihost.h"

#ifndef FW_MAX_LENGTH
#define FW_MAX_LENGTH 128
#endif
#ifndef FW_MAX_BATCH
#define FW_MAX_BATCH 2
#endif
/* Room reserved for the arena in ISRAM (an547.ld); the session uses exactly
 * tinyrank_arena_size() bytes of it, measured at start-up. */
#ifndef FW_ARENA_CAPACITY
#define FW_ARENA_CAPACITY (2u * 1024u * 1024u)
#endif
#define FW_MAX_PASSAGES 16

/* tools/trk2c.py outputs (model_blob.S, texts.S) */
extern const unsigned char tinyrank_fw_model[];
extern const uint32_t tinyrank_fw_model_size;
extern const unsigned char fw_query[];
extern const uint32_t fw_query_size;
extern const unsigned char fw_passages[];
extern const uint32_t fw_passages_size;

static unsigned char arena[FW_ARENA_CAPACITY] __attribute__((section(".arena"), aligned(64)));
static tinyrank_model_storage model_storage;

static int fail(const char *what, int status, const char *msg)
{
    sh_puts("error: ");
    sh_puts(what);
    sh_puts(": ");
    sh_puts(tinyrank_status_string(status));
    sh_puts(": ");
    sh_puts(msg ? msg : "");
    sh_puts("\n");
    return 1;
}

/* One passage per line, empty lines skipped, a CR before LF dropped: the
 * rules of the host CLI's passage files, so that both score the same texts. */
static size_t split_lines(const char *s, size_t n, const char **texts, size_t *lens, size_t cap)
{
    size_t count = 0;
    while (n > 0 && count < cap) {
        const char *nl = memchr(s, '\n', n);
        size_t len = nl ? (size_t)(nl - s) : n;
        size_t next = nl ? len + 1 : len;
        if (len > 0 && s[len - 1] == '\r')
            len--;
        if (len > 0) {
            texts[count] = s;
            lens[count] = len;
            count++;
        }
        s += next;
        n -= next;
    }
    return count;
}

/* Bad input on the device gives the documented status, not a crash (the
 * host tests cover the messages; this is the same code on a 32-bit core). */
static int expect(const char *what, int got, int want)
{
    sh_puts(got == want ? "check " : "check FAILED ");
    sh_puts(what);
    sh_puts(": ");
    sh_puts(tinyrank_status_string(got));
    sh_puts("\n");
    return got == want ? 0 : 1;
}

static int bad_input_checks(tinyrank_model *model, const tinyrank_session_params *params,
                            size_t need)
{
    static tinyrank_model_storage other;
    tinyrank_model *m = NULL;
    tinyrank_session *s = NULL;
    int bad = 0;
    bad += expect("misaligned model", tinyrank_model_load(&other, tinyrank_fw_model + 1,
                                                          tinyrank_fw_model_size - 1, &m),
                  TINYRANK_ERR_ALIGNMENT);
    bad += expect("truncated model",
                  tinyrank_model_load(&other, tinyrank_fw_model, tinyrank_fw_model_size / 2, &m),
                  TINYRANK_ERR_CORRUPT_MODEL);
    bad += expect("arena one byte short",
                  tinyrank_session_create(model, params, arena, need - 1, &s),
                  TINYRANK_ERR_ARENA_TOO_SMALL);
    if (tinyrank_session_create(model, params, arena, need, &s) != TINYRANK_OK)
        return bad + 1;
    const char *bad_utf8[1] = {"caf\xc3("};
    float score;
    bad += expect("invalid UTF-8 passage", tinyrank_score(s, "query", bad_utf8, 1, &score),
                  TINYRANK_ERR_INVALID_UTF8);
    return bad;
}

int main(void);
int main(void)
{
    sh_puts("tinyrank ");
    sh_puts(tinyrank_version());
    sh_puts(" firmware: model at ");
    sh_put_hex32((uint32_t)(uintptr_t)tinyrank_fw_model);
    sh_puts(" (");
    sh_put_u32(tinyrank_fw_model_size);
    sh_puts(" bytes, in place)\n");

    tinyrank_model *model = NULL;
    int st = tinyrank_model_load(&model_storage, tinyrank_fw_model, tinyrank_fw_model_size, &model);
    if (st != TINYRANK_OK)
        return fail("model_load", st, model ? tinyrank_model_errmsg(model) : "");

    tinyrank_session_params params = tinyrank_session_params_default();
    params.max_length = FW_MAX_LENGTH;
    params.max_batch = FW_MAX_BATCH;
    size_t need = 0;
    st = tinyrank_arena_size(model, &params, &need);
    if (st != TINYRANK_OK)
        return fail("arena_size", st, tinyrank_model_errmsg(model));
    sh_puts("arena_bytes ");
    sh_put_u32((uint32_t)need);
    sh_puts("\n");
    if (need > sizeof arena) {
        sh_puts("error: the session needs more arena than FW_ARENA_CAPACITY reserves\n");
        return 1;
    }

    if (bad_input_checks(model, &params, need) != 0)
        return 1;

    tinyrank_session *session = NULL;
    st = tinyrank_session_create(model, &params, arena, need, &session);
    if (st != TINYRANK_OK)
        return fail("session_create", st, session ? tinyrank_session_errmsg(session) : "");

    const char *texts[FW_MAX_PASSAGES];
    size_t lens[FW_MAX_PASSAGES];
    size_t n = split_lines((const char *)fw_passages, fw_passages_size, texts, lens, FW_MAX_PASSAGES);
    size_t qlen = fw_query_size;
    while (qlen > 0 && (fw_query[qlen - 1] == '\n' || fw_query[qlen - 1] == '\r'))
        qlen--;

    float scores[FW_MAX_PASSAGES];
    st = tinyrank_score_n(session, (const char *)fw_query, qlen, texts, lens, n, scores);
    if (st != TINYRANK_OK)
        return fail("score", st, tinyrank_session_errmsg(session));

    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &scores[i], sizeof bits);
        sh_puts("score ");
        sh_put_u32((uint32_t)i);
        sh_puts(" ");
        sh_put_hex32(bits);
        sh_puts(" ");
        sh_put_f32(scores[i]);
        sh_puts("\n");
    }
    sh_puts("done\n");
    return 0;
}
