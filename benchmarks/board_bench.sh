#!/usr/bin/env bash
# board_bench.sh - one command to run on a board (Raspberry Pi 4/5, Graviton,
# Jetson, a RISC-V board, any Linux machine) that writes ONE JSON file, so
# that boards can be compared: the device and its CPU features, the kernel
# sets the runtime offers and the one it picks, int8 GEMM speed per kernel
# set, and pairs/s, tokens/s, arena bytes and peak RSS of the standard
# reranking workloads on the MiniLM-L6-shaped int8 model.
#
#   benchmarks/board_bench.sh [--build DIR] [--out FILE] [--work DIR] [--runs N] [--quick]
#
#   --build DIR  a build folder holding `tinyrank` and `benchmarks/bench_gemm` (used as is);
#                without it the script builds SRC/build/board (Release, all cores)
#   --out FILE   the JSON result (default: board-<hostname>-<date>.json in the current folder)
#   --work DIR   checkpoint and model (default /tmp/tinyrank-board; reused when present)
#   --runs N     timed runs per workload (default 3, after one warm-up run)
#   --quick      8 pairs per workload and 1 run: a smoke test, not a measurement
#
# Needs: a C compiler, cmake, make, /usr/bin/python3 with numpy (Debian/Ubuntu/Raspberry Pi
# OS: apt-get install build-essential cmake python3-numpy). Nothing is downloaded. The model
# has random weights: speed does not depend on the weight values (benchmarks/README.md).
# Run it on an otherwise idle board; the file records the load average before and after.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=
OUT=
WORK=/tmp/tinyrank-board
RUNS=3
QUICK=0
PY=/usr/bin/python3

while [[ $# -gt 0 ]]; do
    case $1 in
        --build) BUILD=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --work) WORK=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --quick) QUICK=1; shift ;;
        -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "board_bench.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "board_bench.sh: --runs wants a positive integer" >&2; exit 2; }
"$PY" -c 'import numpy' 2>/dev/null ||
    { echo "board_bench.sh: $PY with numpy is needed (apt-get install python3-numpy)" >&2; exit 1; }
NPROC=$(nproc)
PAIRS=32
if [ "$QUICK" = 1 ]; then PAIRS=8; RUNS=1; fi
OUT=${OUT:-board-$(hostname -s 2>/dev/null || echo host)-$(date -u +%Y%m%d-%H%M%S).json}
mkdir -p "$WORK"
TMP=$(mktemp -d /tmp/tinyrank-board-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
say() { printf '== %s\n' "$*" >&2; }
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo null)

# 1. the build: the one given, or a Release build of this tree
if [ -z "$BUILD" ]; then
    BUILD=$SRC/build/board
    say "building $BUILD (Release, -j$NPROC)"
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$TMP/configure.log" 2>&1 ||
        { cat "$TMP/configure.log" >&2; exit 1; }
    cmake --build "$BUILD" -j"$NPROC" --target tinyrank_cli bench_gemm >"$TMP/build.log" 2>&1 ||
        { tail -n 40 "$TMP/build.log" >&2; exit 1; }
fi
CLI=$BUILD/tinyrank
GEMM=$BUILD/benchmarks/bench_gemm
[ -x "$CLI" ] || { echo "board_bench.sh: no $CLI (build the tinyrank_cli target)" >&2; exit 1; }

# 2. the standard model: MiniLM-L6 shape (6 layers, hidden 384, FFN 1536, vocab 30522), int8
MODEL=$WORK/minilm-l6-int8.trk
if [ ! -s "$MODEL" ]; then
    say "generating the MiniLM-L6-shaped checkpoint and converting it to int8 ($WORK)"
    "$PY" "$SRC/tests/tools/make_checkpoint.py" --preset minilm-l6 --init-std 0.1 --out "$WORK/ckpt" >/dev/null
    "$CLI" convert "$WORK/ckpt" -o "$MODEL" --dtype int8 --quiet
fi

# 3. kernels: the sets this CPU runs (bench_gemm's info line) and their int8
#    GEMM speed on the MiniLM-L6 shapes
if [ -x "$GEMM" ]; then
    say "int8 GEMM per kernel set (bench_gemm --only minilm-l6)"
    "$GEMM" --json --no-xnnpack --only minilm-l6 --runs "$RUNS" --min-time 0.1 >"$TMP/gemm.jsonl" 2>"$TMP/gemm.err" ||
        { cat "$TMP/gemm.err" >&2; exit 1; }
else
    say "no $GEMM: kernel sets and GEMM speed not measured"
    : >"$TMP/gemm.jsonl"
fi

# 4. the standard workloads (benchmarks/README.md): 1 query x PAIRS passages,
#    at 218 tokens (the ONNX Runtime pairs' mean) batch 1, and at 256 tokens
#    batch 8; each on 1 thread and on every core
: >"$TMP/bench.jsonl"
run_bench() { # workload tokens batch threads
    say "workload $1: $PAIRS pairs x $2 tokens, batch $3, threads $4"
    local line
    if line=$("$CLI" bench -m "$MODEL" --pairs "$PAIRS" --tokens "$2" --batch "$3" --threads "$4" \
        --runs "$RUNS" --json 2>"$TMP/bench.err"); then
        printf '{"workload": "%s", "status": "ok", "result": %s}\n' "$1" "$line" >>"$TMP/bench.jsonl"
    else
        # a configuration the build refuses (no threads) is recorded, not fatal
        "$PY" -c 'import json,sys; print(json.dumps({"workload": sys.argv[1], "tokens": int(sys.argv[2]),
"batch": int(sys.argv[3]), "threads": int(sys.argv[4]), "status": "error", "message": open(sys.argv[5]).read().strip()}))' \
            "$1" "$2" "$3" "$4" "$TMP/bench.err" >>"$TMP/bench.jsonl"
    fi
}
for threads in $(printf '%s\n' 1 "$NPROC" | sort -nu); do
    run_bench "rerank-${PAIRS}x218-b1-t$threads" 218 1 "$threads"
    run_bench "rerank-${PAIRS}x256-b8-t$threads" 256 8 "$threads"
done

# 5. device facts and one JSON file
LD_SHOW_AUXV=1 /bin/true 2>/dev/null | grep -E '^AT_(HWCAP|HWCAP2|PLATFORM):' >"$TMP/auxv" || true
CC_VERSION=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null | head -n1)
[ -n "$CC_VERSION" ] && CC_VERSION=$("$CC_VERSION" --version 2>/dev/null | head -n1 || echo "$CC_VERSION")
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null | head -n1)
COMMIT=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$SRC" status --porcelain --untracked-files=no 2>/dev/null | head -c1)
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo null)
"$PY" - "$TMP" "$OUT" "$MODEL" "$CLI" "$COMMIT${DIRTY:+ (modified)}" "$CC_VERSION" "$BUILD_TYPE" \
    "$LOAD_BEFORE" "$LOAD_AFTER" "$RUNS" "$QUICK" <<'PYEOF'
import json, os, platform, subprocess, sys, time

tmp, out, model, cli, commit, cc, build_type, load0, load1, runs, quick = sys.argv[1:]

def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return None

# /proc/cpuinfo: the first processor's fields plus the machine-wide ones (Arm
# boards put Hardware/Model/Revision after the last processor).
cpuinfo = {}
for line in (read("/proc/cpuinfo") or "").splitlines():
    if ":" in line:
        k, v = (s.strip() for s in line.split(":", 1))
        cpuinfo.setdefault(k, v)
features = (cpuinfo.get("flags") or cpuinfo.get("Features") or cpuinfo.get("isa") or "").split()
mem = {l.split(":")[0]: l.split(":")[1].strip() for l in (read("/proc/meminfo") or "").splitlines() if ":" in l}
dt_model = read("/proc/device-tree/model") or read("/sys/firmware/devicetree/base/model")
freq = read("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
auxv = dict(l.split(":", 1) for l in (read(os.path.join(tmp, "auxv")) or "").splitlines() if ":" in l)
cpu_name = (cpuinfo.get("model name") or cpuinfo.get("Model") or cpuinfo.get("uarch")
            or cpuinfo.get("Hardware") or platform.processor() or None)
try:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
    lscpu = {l.split(":", 1)[0].strip(): l.split(":", 1)[1].strip() for l in lscpu.splitlines() if ":" in l}
except (OSError, subprocess.SubprocessError):
    lscpu = {}

device = {
    "hostname": platform.node(),
    "machine": platform.machine(),
    "kernel": platform.release(),
    "board": dt_model.strip("\x00\n ") if dt_model else None,
    "cpu": cpu_name,
    "cpu_vendor": lscpu.get("Vendor ID"),
    "cpu_model_name": lscpu.get("Model name"),
    "cpu_part": cpuinfo.get("CPU part"),
    "cpus": os.cpu_count(),
    "cpu_max_mhz": int(freq) // 1000 if freq and freq.strip().isdigit() else None,
    "cpu_features": features,
    "hwcap": auxv.get("AT_HWCAP", "").strip() or None,
    "hwcap2": auxv.get("AT_HWCAP2", "").strip() or None,
    "mem_total": mem.get("MemTotal"),
    "load_average_before": float(load0) if load0 not in ("", "null") else None,
    "load_average_after": float(load1) if load1 not in ("", "null") else None,
}

kernels = {"available": None, "selected": None, "gemm": []}
for line in (read(os.path.join(tmp, "gemm.jsonl")) or "").splitlines():
    j = json.loads(line)
    if j.get("op") == "info":
        kernels["available"] = j.get("kernel_sets")
        if kernels["available"]:
            # dispatch.c picks the last (fastest) set the CPU runs unless
            # TINYRANK_KERNELS caps it; the cap is recorded beside it
            cap = os.environ.get("TINYRANK_KERNELS")
            avail = kernels["available"]
            kernels["selected"] = cap if cap in avail else avail[-1]
            kernels["tinyrank_kernels_env"] = cap
    elif "gops" in j:
        kernels["gemm"].append({k: j.get(k) for k in ("shape", "M", "K", "N", "impl", "gops", "ms_per_call", "vs_ref", "check")})

workloads = [json.loads(l) for l in (read(os.path.join(tmp, "bench.jsonl")) or "").splitlines()]
ok = [w["result"] for w in workloads if w["status"] == "ok"]
version = subprocess.run([cli, "--version"], capture_output=True, text=True).stdout.strip()
doc = {
    "schema": "tinyrank-board-bench/1",
    "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "tinyrank": {"version": version, "commit": commit, "compiler": cc or None, "build_type": build_type or None},
    "device": device,
    "model": {"file": os.path.basename(model), "bytes": os.path.getsize(model),
              "shape": "MiniLM-L6 (6 layers, hidden 384, 12 heads, FFN 1536, vocab 30522), random weights",
              "weight_dtype": "int8"},
    "settings": {"runs": int(runs), "quick": quick == "1"},
    "kernels": kernels,
    "workloads": workloads,
    "summary": {
        "best_pairs_per_s": max((r["pairs_per_s"] for r in ok), default=None),
        "best_tokens_per_s": max((r["tokens_per_s"] for r in ok), default=None),
        "max_arena_bytes": max((r["arena_bytes"] for r in ok), default=None),
        "max_peak_rss_bytes": max((r["peak_rss_bytes"] for r in ok), default=None),
    },
}
with open(out, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
print("%s: %s, %s, kernels %s; best %.1f pairs/s" % (out, device["board"] or device["cpu"], device["machine"],
      kernels["selected"], doc["summary"]["best_pairs_per_s"] or 0.0))
PYEOF
