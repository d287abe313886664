#!/usr/bin/env bash
# .ci/arm64.sh - cross-builds tinyrank for aarch64 Linux and runs its tests
# under qemu-user, from the root of a clone (as root on Debian 12, 2 cores):
#   1. installs the cross compiler, qemu-user and cmocka for arm64 (multiarch)
#   2. configures build/arm64 with cmake/toolchains/aarch64-linux-gnu.cmake
#      (-Werror) and builds every test target and the CLI
#   3. ctest under `qemu-aarch64 -cpu max` (dotprod + i8mm: kernel sets
#      ref, neondot, i8mm all run)
#   4. test_cli outside ctest: it execs the aarch64 CLI, which the host kernel
#      can only start through qemu (no binfmt_misc here), so TINYRANK_CLI
#      names a small wrapper script that runs it under qemu
#   5. test_kernels under -cpu cortex-a53 (no dotprod: only "ref" may be
#      offered and selected) and -cpu cortex-a76 (dotprod, no i8mm)
# Every test runs (about 6 minutes on 2 cores); TINYRANK_ARM64_QUICK=1 skips
# the two slowest (HEAVY below: format fuzzing and the f32 golden model,
# which the native CI runs too) for local iterations. Build folder:
# build/arm64, or $TINYRANK_ARM64_BUILD. Prints each step's wall time;
# exits non-zero on any failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
BUILD=${TINYRANK_ARM64_BUILD:-$ROOT/build/arm64} # build folder (overridable)
JOBS=2
export DEBIAN_FRONTEND=noninteractive
T0=$SECONDS
TIMES=()

step_done() { # name, start
    TIMES+=("$(printf '%-44s %5d s' "$1" $((SECONDS - $2)))")
    echo "---------- $1: $((SECONDS - $2)) s"
}

# 1. packages
t=$SECONDS
need=()
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
[ -e /usr/lib/aarch64-linux-gnu/libcmocka.so ] || need+=(libcmocka-dev:arm64)
command -v cmake >/dev/null || need+=(cmake make)
command -v flatc >/dev/null || need+=(flatbuffers-compiler)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    dpkg --add-architecture arm64
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${need[@]}"
fi
aarch64-linux-gnu-gcc --version | head -1
qemu-aarch64 --version | head -1
step_done "arm64: packages" $t

# 2. cross build
t=$SECONDS
rm -rf "$BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/toolchains/aarch64-linux-gnu.cmake" \
    -DTINYRANK_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD.configure.log" 2>&1 ||
    { cat "$BUILD.configure.log"; exit 1; }
mapfile -t TESTS < <(cd "$BUILD" && ctest -N | awk '/Test +#/ {print $3}')
echo "tests: ${TESTS[*]}"
cmake --build "$BUILD" -j"$JOBS" --target tinyrank_cli "${TESTS[@]}"
aarch64-linux-gnu-readelf -h "$BUILD/tests/test_kernels" | grep Machine
step_done "arm64: cross build (-Werror)" $t

# 3. ctest under -cpu max
HEAVY='test_golden_bert|test_corrupt_model'
EXCLUDE='^(test_cli)$'
if [ "${TINYRANK_ARM64_QUICK:-0}" = 1 ]; then
    EXCLUDE="^(test_cli|$HEAVY)\$"
    echo "TINYRANK_ARM64_QUICK=1: skipped (~2-2.5 min each under qemu): ${HEAVY//|/ }"
fi
t=$SECONDS
(cd "$BUILD" && ctest -j"$JOBS" -E "$EXCLUDE" --output-on-failure --timeout 1200)
step_done "arm64: ctest under qemu -cpu max" $t

# 4. test_cli, the CLI run through qemu by a wrapper script
t=$SECONDS
QEMU_LD=/usr/aarch64-linux-gnu
[ -e /lib/ld-linux-aarch64.so.1 ] && QEMU_LD=/ # multiarch loader + libc: see the toolchain file
WRAP=$BUILD/tinyrank-qemu
printf '#!/bin/sh\nexec qemu-aarch64 -L %s -cpu max %s "$@"\n' "$QEMU_LD" "$BUILD/tinyrank" >"$WRAP"
chmod +x "$WRAP"
SHARED_DIR=$(sed -n 's/^TINYRANK_SHARED_DIR:PATH=//p' "$BUILD/CMakeCache.txt")
(cd "$BUILD/tests" &&
    TINYRANK_SHARED="$SHARED_DIR" TINYRANK_SOURCE_DIR="$ROOT" TINYRANK_BUILD_DIR="$BUILD" \
        TINYRANK_FLATC="$(command -v flatc || true)" TINYRANK_PYTHON=/usr/bin/python3 \
        TINYRANK_CLI="$WRAP" timeout 1200 qemu-aarch64 -L "$QEMU_LD" -cpu max ./test_cli)
step_done "arm64: test_cli (CLI through qemu)" $t

# 5. the dispatcher on cores without the extensions
t=$SECONDS
# cortex-a53 has no dotprod: the reference must be the only set and chosen;
# cortex-a76 has dotprod but no i8mm
for pair in cortex-a53:ref cortex-a76:neondot; do
    cpu=${pair%%:*} want=${pair##*:}
    echo "== test_kernels under qemu -cpu $cpu"
    out=$(cd "$BUILD/tests" && qemu-aarch64 -L "$QEMU_LD" -cpu "$cpu" ./test_kernels 2>&1) ||
        { echo "$out"; exit 1; }
    echo "$out" | grep -E '^(kernel sets|selected)|PASSED|FAILED|SKIPPED'
    echo "$out" | grep -qx "selected: $want" || { echo "-cpu $cpu: expected set $want"; exit 1; }
done
step_done "arm64: test_kernels on cortex-a53 / a76" $t

echo
printf '%s\n' "${TIMES[@]}"
echo "arm64: all passed in $((SECONDS - T0)) s"
