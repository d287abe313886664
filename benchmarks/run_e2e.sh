#!/usr/bin/env bash
# run_e2e.sh - end-to-end reranking speed of tinyrank next to ONNX Runtime,
# both measured in this one run on this machine (numbers from different
# machines or days do not compare). See benchmarks/README.md.
#
#   benchmarks/run_e2e.sh [--build DIR] [--work DIR] [--out FILE] [--runs N] [--no-ort]
#
#   --build DIR  tinyrank build folder with the `tinyrank` CLI (default: $TINYRANK_BUILD_DIR or
#                SRC/build; configured and built with -j2 when the CLI is missing)
#   --work DIR   checkpoint, model and ONNX Runtime files (default: /tmp/tinyrank-e2e; reused)
#   --out FILE   JSON Lines results (default: WORK/results.jsonl; overwritten)
#   --runs N     timed passes per configuration (default 5)
#   --no-ort     skip the ONNX Runtime peer
#
# What it does:
#  1. a MiniLM-L6-shaped random checkpoint (tests/tools/make_checkpoint.py --preset minilm-l6
#     --init-std 0.1), converted to an int8 .trk;
#  2. `tinyrank bench`: 1 query x 32 passages of 256 tokens, batch 8, threads 1 and 2; then the
#     same at the mean length of the ONNX Runtime pairs, batch 1 and 8, to set beside ORT;
#  3. the ONNX Runtime peer (../shared/peers/onnxruntime: ORT 1.30 via npm, the dynamic int8
#     graph of the MiniLM-L6-shaped golden checkpoint) on its 32 pairs, threads 1 and 2,
#     batch 1 and 8; or one line saying why it could not run.
# Every result is one JSON object per line with "engine"; a configuration that fails is a line
# with "status": "error" (e.g. threads > 1 before the thread pool lands), never a silent gap.
set -uo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${TINYRANK_BUILD_DIR:-$SRC/build}
WORK=/tmp/tinyrank-e2e
OUT=
RUNS=5
ORT=1
PY=/usr/bin/python3

while [[ $# -gt 0 ]]; do
  case $1 in
    --build) BUILD=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --no-ort) ORT=0; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "run_e2e.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "run_e2e.sh: --runs wants a positive integer" >&2; exit 2; }
mkdir -p "$WORK" || exit 1
WORK=$(cd "$WORK" && pwd)
OUT=${OUT:-$WORK/results.jsonl}
: > "$OUT" || exit 1
SHARED=${TINYRANK_SHARED:-$SRC/../shared}
PEER=$SHARED/peers/onnxruntime

say() { printf '%s\n' "$*"; }

# A JSON line from a python3 one-off: adds fields to a JSON object (from stdin) or makes one.
# usage: json_add '{"k": v, ...}'  (stdin: one JSON object, or nothing)
json_add() {
  "$PY" -c '
import json, sys
extra = json.loads(sys.argv[1])
text = sys.stdin.read().strip()
obj = json.loads(text.splitlines()[-1]) if text else {}
print(json.dumps({**extra, **obj}))' "$1"
}

# Adds pairs_per_s_best (from the fastest pass) to a result line, for both engines: tinyrank
# reports the mean and ORT the median, the best pass is the one statistic both give.
add_best() {
  "$PY" -c '
import json, sys
r = json.loads(sys.stdin.read())
if "ms_per_call_min" in r and r["ms_per_call_min"] > 0:
    r["pairs_per_s_best"] = round(r["pairs"] * 1e3 / r["ms_per_call_min"], 3)
if r.get("pass_ms"):
    r["pairs_per_s_best"] = round(32e3 / min(r["pass_ms"]), 3)
    r["tokens_per_s"] = round(r["pairs_per_s_median"] * r["tokens_per_pair"], 1)
print(json.dumps(r))'
}

# A JSON string of a text (for messages).
json_str() { "$PY" -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }

# Runs a command, keeps its stdout and stderr, and prints its peak RSS (bytes) on fd 3: the
# RSS of the whole child process (node included), as ORT does not report one.
with_rss() {
  "$PY" -c '
import resource, subprocess, sys
p = subprocess.run(sys.argv[1:])
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(rss, file=open("/dev/fd/3", "w"))
sys.exit(p.returncode)' "$@"
}

# ---- 0. machine
CPU=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: *//')
LOAD=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
say "run_e2e  $(date -u +%Y-%m-%dT%H:%MZ)  cpu: ${CPU:-unknown}  cores: $(nproc)  load average: $LOAD"
# Other processes on the cores (load) lower and scatter every number here: say so up front.
if "$PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0.5 else 1)' "$LOAD"; then
  say "note: load average $LOAD before starting: other work is running, numbers will be low and noisy"
fi
json_add "{\"engine\": \"info\", \"date\": $(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)"), \"cpu\": $(json_str "${CPU:-unknown}"), \"cores\": $(nproc), \"loadavg_1min\": $LOAD, \"runs\": $RUNS}" < /dev/null >> "$OUT"

# ---- 1. tinyrank CLI, checkpoint, model
CLI=$BUILD/tinyrank
if [[ ! -x $CLI ]]; then
  say "building the tinyrank CLI in $BUILD"
  { cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null &&
    cmake --build "$BUILD" -j2 --target tinyrank_cli >/dev/null; } ||
    { echo "run_e2e.sh: could not build the tinyrank CLI in $BUILD" >&2; exit 1; }
fi
"$PY" -c 'import numpy' 2>/dev/null ||
  { echo "run_e2e.sh: make_checkpoint.py needs numpy (apt-get install -y python3-numpy)" >&2; exit 1; }
CK=$WORK/minilm_l6_ck
MODEL=$WORK/minilm_l6_int8.trk
if [[ ! -f $CK/config.json ]]; then
  "$PY" "$SRC/tests/tools/make_checkpoint.py" --preset minilm-l6 --init-std 0.1 --out "$CK" >/dev/null ||
    { echo "run_e2e.sh: make_checkpoint.py failed" >&2; exit 1; }
fi
"$CLI" convert "$CK" -o "$MODEL" --dtype int8 --quiet ||
  { echo "run_e2e.sh: tinyrank convert failed" >&2; exit 1; }
say "model: $MODEL ($(stat -c %s "$MODEL") bytes, int8, MiniLM-L6 shape)"

# Token length of the ORT peer's pairs (their bert-base-uncased ids), so that tinyrank can also
# run at the same length: the compute of a pair depends on its length, not on its words.
ORT_TOKENS=
if [[ -f $PEER/rerank_32.tok.json ]]; then
  ORT_TOKENS=$("$PY" -c '
import json, sys
enc = json.load(open(sys.argv[1]))
print(round(sum(len(e["input_ids"]) for e in enc) / len(enc)))' "$PEER/rerank_32.tok.json")
fi

# ---- 2. tinyrank bench
# tinyrank_bench WORKLOAD TOKENS BATCH THREADS
tinyrank_bench() {
  local wl=$1 tok=$2 batch=$3 threads=$4 out err st
  err=$(mktemp)
  out=$("$CLI" bench -m "$MODEL" --pairs 32 --tokens "$tok" --batch "$batch" --threads "$threads" \
        --runs "$RUNS" --json 2>"$err")
  st=$?
  local tag="{\"engine\": \"tinyrank\", \"workload\": \"$wl\", \"threads\": $threads, \"batch\": $batch"
  if [[ $st -eq 0 && -n $out ]]; then
    printf '%s\n' "$out" | json_add "$tag, \"status\": \"ok\"}" | add_best >> "$OUT"
    say "$(tail -n 1 "$OUT" | "$PY" -c '
import json, sys
r = json.loads(sys.stdin.read())
print("tinyrank  %-14s threads %d batch %-2d %6.1f tok/pair  %7.2f pairs/s (mean)   %7.2f (best)  %6.0f tokens/s  arena %.1f MiB  peak RSS %.1f MiB" % (
    r["workload"], r["threads"], r["batch"], r["tokens_per_pair"], r["pairs_per_s"],
    r["pairs_per_s_best"], r["tokens_per_s"], r["arena_bytes"] / 2**20, r["peak_rss_bytes"] / 2**20))')"
  else
    local msg
    msg=$(tail -n 1 "$err")
    json_add "$tag, \"status\": \"error\", \"message\": $(json_str "${msg:-exit status $st}")}" < /dev/null >> "$OUT"
    say "tinyrank  $wl threads $threads batch $batch: not measured: ${msg:-exit status $st}"
  fi
  rm -f "$err"
}
tinyrank_bench synthetic-256 256 8 1
tinyrank_bench synthetic-256 256 8 2
if [[ -n $ORT_TOKENS ]]; then
  for cfg in "1 1" "8 1" "8 2"; do
    read -r b t <<< "$cfg"
    tinyrank_bench "synthetic-$ORT_TOKENS" "$ORT_TOKENS" "$b" "$t"
  done
fi

# ---- 3. ONNX Runtime peer, in the same run
ort_skip() {
  say "onnxruntime: not measured: $1"
  json_add "{\"engine\": \"onnxruntime\", \"status\": \"error\", \"message\": $(json_str "$1")}" < /dev/null >> "$OUT"
}
run_ort() {
  [[ -f $PEER/setup.sh && -n $ORT_TOKENS ]] || { ort_skip "$PEER not found (set TINYRANK_SHARED)"; return; }
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    ort_skip "node and npm are needed (apt-get install -y nodejs npm)"
    return
  fi
  "$PY" -c 'import numpy, onnx' 2>/dev/null ||
    { ort_skip "python3-numpy and python3-onnx are needed (apt-get install -y python3-onnx)"; return; }
  local dir=$WORK/ort
  if ! bash "$PEER/setup.sh" "$dir" > "$WORK/ort-setup.log" 2>&1; then
    ort_skip "setup.sh failed: $(tail -n 3 "$WORK/ort-setup.log" | tr '\n' ' ')"
    return
  fi
  local t b out rss
  for cfg in "1 1" "1 8" "2 8"; do
    read -r t b <<< "$cfg"
    out=$(cd "$dir" && with_rss node bench.js minilm_l6_ce_int8.onnx "$t" "$b" --reps "$RUNS" 3>"$WORK/rss" 2>"$WORK/ort-err")
    if [[ $? -ne 0 || -z $out ]]; then
      ort_skip "node bench.js (threads $t, batch $b) failed: $(tail -n 2 "$WORK/ort-err" | tr '\n' ' ')"
      continue
    fi
    rss=$(cat "$WORK/rss")
    printf '%s\n' "$out" | json_add "{\"engine_kind\": \"onnxruntime\", \"workload\": \"rerank_32\", \"tokens_per_pair\": $ORT_TOKENS, \"peak_rss_bytes\": $rss, \"status\": \"ok\"}" |
      add_best >> "$OUT"
    say "$(tail -n 1 "$OUT" | "$PY" -c '
import json, sys
r = json.loads(sys.stdin.read())
print("ORT int8  %-14s threads %d batch %-2d %6.1f tok/pair  %7.2f pairs/s (median) %7.2f (best)  %6.0f tokens/s  peak RSS %.1f MiB (node process)" % (
    r["workload"], r["threads"], r["batch"], r["tokens_per_pair"], r["pairs_per_s_median"],
    r["pairs_per_s_best"], r["tokens_per_s"], r["peak_rss_bytes"] / 2**20))')"
  done
  rm -f "$WORK/rss" "$WORK/ort-err"
}
if [[ $ORT -eq 1 ]]; then run_ort; else ort_skip "skipped (--no-ort)"; fi

say "results: $OUT"
