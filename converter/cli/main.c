/* main.c - `tinyrank`: dispatch to the subcommands, help and version. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

void tr_cli_usage(FILE *out)
{
    fputs("tinyrank - on-device reranking with cross-encoders\n"
          "\n"
          "usage:\n"
          "  tinyrank convert HF_DIR -o MODEL [--dtype int8|f32] [--name NAME]\n"
          "                  [--max-length N] [--quiet]\n"
          "                  [--template NAME | --template-file FILE] [--instruction TEXT]\n"
          "                  [--score-tokens NO,YES] [--truncation VARIANT]\n"
          "                  [--keep-f32 q,k,v,o,gate_up,down,embed] [--smooth]\n"
          "                  [--attention bf16|f32]\n"
          "      Converts a Hugging Face checkpoint folder to one .trk model file\n"
          "      (written atomically: no partial file on failure). Default dtype int8.\n"
          "      Generative rerankers take a prompt template: qwen3-reranker,\n"
          "      mxbai-rerank-v2, monot5, mvp (default: the family's usual one).\n"
          "      int8 models let attention products run in bfloat16 where the CPU has\n"
          "      them (AVX512_BF16); --attention f32 keeps them f32.\n"
          "\n"
          "  tinyrank rerank -m MODEL -q QUERY [FILE] [--top-k N] [--max-length N]\n"
          "                  [--threads N] [--batch N] [--sigmoid]\n"
          "                  [--truncation only_second|longest_first] [--json]\n"
          "      Scores the passages of FILE (stdin when absent or '-') against QUERY\n"
          "      and prints them best first: rank<TAB>index<TAB>score<TAB>text (first\n"
          "      60 characters). Input: one passage per line, or JSON Lines with a\n"
          "      \"text\" field (a line starting with '{' is read as JSON). Empty lines\n"
          "      are skipped and do not count as passages; index is the 0-based\n"
          "      position among the passages read. --json prints one JSON object per\n"
          "      line with \"rank\", \"index\", \"score\" and \"text\".\n"
          "      The passages read are one candidate list: multi-view models (mvp)\n"
          "      score them against each other, in one batch of all of them.\n"
          "\n"
          "  tinyrank inspect MODEL [--json]\n"
          "      Shows the model: family, dimensions, tokenizer, tensors, operators,\n"
          "      weight and arena bytes.\n"
          "\n"
          "  tinyrank bench -m MODEL [--pairs 32] [--tokens 256] [--batch N]\n"
          "                 [--threads N] [--runs 5] [--json] [--xnnpack]\n"
          "      Times reranking of a synthetic query and passages of about --tokens\n"
          "      tokens per pair (after one warm-up run). --xnnpack (bench, rerank)\n"
          "      runs the f32 fully connected operators with the XNNPACK delegate.\n"
          "\n"
          "  tinyrank eval -m MODEL --data DL19_JSON --qrels QRELS [--depth 100]\n"
          "                [--bm25] [--batch N] [--threads N] [--max-length N]\n"
          "      Reranks the first --depth candidates of each query and prints\n"
          "      nDCG@10 as trec_eval computes it. --bm25 scores the candidates'\n"
          "      own order instead (no model needed).\n"
          "\n"
          "  tinyrank --version | help\n"
          "\n"
          "Errors: non-zero exit status and one line 'tinyrank: <reason>' on stderr.\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return tr_cli_error("no command given (see 'tinyrank help')");
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        tr_cli_usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("tinyrank %s (model format %d.%d)\n", tinyrank_version(), TINYRANK_FORMAT_MAJOR,
               TINYRANK_FORMAT_MINOR);
        return 0;
    }
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } cmds[] = {
        {"convert", tr_cli_convert}, {"rerank", tr_cli_rerank}, {"inspect", tr_cli_inspect},
        {"bench", tr_cli_bench},     {"eval", tr_cli_eval},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(cmd, cmds[i].name) == 0) {
            int rc = cmds[i].run(argc - 1, argv + 1);
            /* A write error on stdout (e.g. a full disk) must not look like success. */
            if (fflush(stdout) != 0 || ferror(stdout))
                return tr_cli_error("cannot write the output");
            return rc;
        }
    }
    return tr_cli_error("unknown command '%s' (see 'tinyrank help')", cmd);
}
