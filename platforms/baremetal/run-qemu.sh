#!/usr/bin/env bash
# run-qemu.sh - builds the host tools and the Cortex-M firmware, runs them in
# QEMU and checks them against the host:
#
#   1. host: the `tinyrank` CLI; a checkpoint of the ms-marco-TinyBERT-L-2-v2
#      shape (random weights, tests/tools/make_checkpoint.py --preset
#      tinybert-l2) converted to int8 (embeddings int8 too): model.trk
#   2. Cortex-M55 (platforms/baremetal/cortex-m55.cmake): libtinyrank.a, the
#      firmware (model linked into QSPI flash, used in place) and the kernel
#      test, in qemu-system-arm -M mps3-an547 -semihosting:
#        - the kernel test: every kernel set of the build (ref + Helium "mve")
#          against the GEMM formula on odd shapes, bit for bit;
#        - the firmware tokenizes the query and passages of firmware/*.txt on
#          the device and scores them; compare_scores.py checks them against
#          the host's int8 scores of the same model and texts (host reference
#          kernels: same ranking, every score within 1e-5, bit-exact count
#          printed; the host's fastest kernels are reported too)
#   3. Cortex-M4 (cortex-m4.cmake, the portable path): the same two programs
#      in qemu-system-arm -M mps2-an386 (model in its 16 MB PSRAM)
#
# Exits 0 only when every check passed. Installs what it needs with apt-get
# when missing (gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm,
# python3-numpy, cmake, gcc). Build folder: $TINYRANK_BAREMETAL_BUILD or
# build/baremetal. TINYRANK_BAREMETAL_CPUS="m55 m4" (default) picks the cores.
# TINYRANK_HOST_BUILD=<a host build folder> reuses its `tinyrank` CLI (CI
# passes build/ci, built by step 1) instead of building one in $B/host.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/platforms/baremetal
B=${TINYRANK_BAREMETAL_BUILD:-$ROOT/build/baremetal}
CPUS=${TINYRANK_BAREMETAL_CPUS:-m55 m4}
JOBS=${JOBS:-2}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-600}
MAX_LENGTH=128 # the firmware's session max_length (TINYRANK_FW_MAX_LENGTH)
MAX_BATCH=2
export DEBIAN_FRONTEND=noninteractive

PACKAGES=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm python3-numpy cmake gcc make)

install_missing() {
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    echo "== installing: ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "error: need root or sudo to install ${missing[*]}" >&2; exit 1; }
        sudo=(sudo -n)
    fi
    "${sudo[@]}" apt-get update || echo "warning: apt-get update failed; trying the install anyway"
    "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
}

# run_qemu MACHINE ELF LOG: semihosting output (QEMU writes it to stderr)
# goes to LOG and the terminal; returns the program's exit status.
# every section says how long the script has run
SECONDS=0
section() {
    printf '== [%3d s] %s\n' "$SECONDS" "$*"
}

run_qemu() {
    local machine=$1 elf=$2 log=$3 rc=0
    section "qemu-system-arm -M $machine $(basename "$elf")"
    timeout "$QEMU_TIMEOUT" qemu-system-arm -M "$machine" -nographic -monitor none -serial null \
        -semihosting-config enable=on,target=native -kernel "$elf" >"$log" 2>&1 || rc=$?
    cat "$log"
    [ "$rc" -ne 124 ] || echo "error: $(basename "$elf") still running after ${QEMU_TIMEOUT} s" >&2
    return "$rc"
}

FAILED=()
fail() {
    echo "FAILED: $*" >&2
    FAILED+=("$*")
}

install_missing
mkdir -p "$B"

HOST=${TINYRANK_HOST_BUILD:-$B/host}
section "host tools in $HOST"
if [ ! -f "$HOST/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$HOST" -DTINYRANK_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$HOST" -j"$JOBS" --target tinyrank_cli
TINYRANK=$HOST/tinyrank

section "model: TinyBERT-L2 shape, random weights, int8"
rm -rf "$B/ckpt"
/usr/bin/python3 "$ROOT/tests/tools/make_checkpoint.py" --preset tinybert-l2 --init-std 0.1 \
    --seed 7 --out "$B/ckpt" >/dev/null
"$TINYRANK" convert "$B/ckpt" -o "$B/model.trk" --dtype int8 --quiet
"$TINYRANK" inspect "$B/model.trk" | sed -n '1,14p'

section "host scores (int8, max_length $MAX_LENGTH)"
QUERY=$(cat "$HERE/firmware/query.txt")
TINYRANK_KERNELS=ref "$TINYRANK" rerank -m "$B/model.trk" --max-length "$MAX_LENGTH" \
    --batch "$MAX_BATCH" --json -q "$QUERY" "$HERE/firmware/passages.txt" >"$B/host-ref.jsonl"
"$TINYRANK" rerank -m "$B/model.trk" --max-length "$MAX_LENGTH" --batch "$MAX_BATCH" --json \
    -q "$QUERY" "$HERE/firmware/passages.txt" >"$B/host-best.jsonl"

for cpu in $CPUS; do
    case "$cpu" in
        m55) toolchain=cortex-m55.cmake machine=mps3-an547 ;;
        m4) toolchain=cortex-m4.cmake machine=mps2-an386 ;;
        *) echo "error: unknown core '$cpu' (m55 or m4)" >&2; exit 2 ;;
    esac
    dir=$B/$cpu
    section "Cortex-${cpu^^}: library + firmware ($toolchain)"
    cmake -S "$HERE/firmware" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$HERE/$toolchain" \
        -DCMAKE_BUILD_TYPE=Release -DTINYRANK_WERROR=ON -DTINYRANK_FW_MODEL="$B/model.trk" \
        -DTINYRANK_FW_MAX_LENGTH="$MAX_LENGTH" -DTINYRANK_FW_MAX_BATCH="$MAX_BATCH" >/dev/null
    cmake --build "$dir" -j"$JOBS"

    if run_qemu "$machine" "$dir/tinyrank_kernel_test.elf" "$dir/kernel_test.log" &&
        grep -Eq '^[0-9]+ passed, 0 failed$' "$dir/kernel_test.log"; then
        echo "-- $cpu kernel test: ok"
    else
        fail "$cpu kernel test (see $dir/kernel_test.log)"
    fi

    if run_qemu "$machine" "$dir/tinyrank_fw.elf" "$dir/firmware.log" &&
        /usr/bin/python3 "$HERE/compare_scores.py" "$dir/firmware.log" "$B/host-ref.jsonl" \
            "$B/host-best.jsonl"; then
        echo "-- $cpu firmware scores: ok"
    else
        fail "$cpu firmware scores (see $dir/firmware.log)"
    fi
done

section "size report"
/usr/bin/python3 "$ROOT/benchmarks/size_report.py" --baremetal-build "$B" || fail "size report"

if [ "${#FAILED[@]}" -gt 0 ]; then
    echo "run-qemu: FAILED: $(printf '[%s] ' "${FAILED[@]}")"
    exit 1
fi
echo "run-qemu: all checks passed ($CPUS) in ${SECONDS} s"
