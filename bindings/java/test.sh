#!/usr/bin/env bash
# bindings/java/test.sh - builds the Java binding and runs its tests on the
# host JVM (Debian's default-jdk: javac + java, nothing downloaded):
#   1. cmake -DTINYRANK_JAVA=ON: libtinyrank_jni.so and the tinyrank CLI
#   2. javac the classes; check that jni/dev_tinyrank_Native.h is what
#      `javac -h` generates from Native.java (the C glue compiles against it)
#   3. fixtures: the project's generated checkpoint (make_checkpoint.py
#      --preset tiny) converted to int8 and f32, the CLI's rerank output on
#      it, and (with ../shared) bert_tiny with transformers' scores
#   4. java dev.tinyrank.TinyrankTest: last line "N passed, N failed, N skipped"
# Build folder: build/java or $TINYRANK_JAVA_BUILD. Exits non-zero on failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${TINYRANK_JAVA_BUILD:-$ROOT/build/java}
PY=/usr/bin/python3 # Debian's, with python3-numpy (not a pyenv shim)
SHARED=${TINYRANK_SHARED:-$ROOT/../shared}

if ! command -v javac >/dev/null; then
    echo "installing default-jdk-headless (javac)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || echo "warning: apt-get update failed; trying the install anyway"
    apt-get install -y -q --no-install-recommends default-jdk-headless </dev/null
fi
javac -version

# 1. native library + CLI
mkdir -p "$(dirname "$BUILD")" # build/ may not exist yet (a fresh clone)
cmake -S "$ROOT" -B "$BUILD" -DTINYRANK_WERROR=ON -DTINYRANK_JAVA=ON >"$BUILD.configure.log" 2>&1 ||
    { cat "$BUILD.configure.log"; exit 1; }
cmake --build "$BUILD" -j2 --target tinyrank_jni tinyrank_cli
LIB=$BUILD/bindings/java/libtinyrank_jni.so
CLI=$BUILD/tinyrank
exported=$(nm -D --defined-only "$LIB" | awk '{print $3}' | grep -v '^Java_dev_tinyrank_' || true)
if [ -n "$exported" ]; then
    echo "error: $LIB exports more than the JNI entry points: $exported" >&2
    exit 1
fi

# 2. Java classes, the header check
OUT=$BUILD/java
rm -rf "$OUT"
mkdir -p "$OUT/classes" "$OUT/test-classes" "$OUT/h"
javac -Xlint:all -Werror --release 11 -h "$OUT/h" -d "$OUT/classes" "$HERE"/src/main/java/dev/tinyrank/*.java
if ! diff -u "$HERE/jni/dev_tinyrank_Native.h" "$OUT/h/dev_tinyrank_Native.h"; then
    echo "error: jni/dev_tinyrank_Native.h is stale: copy $OUT/h/dev_tinyrank_Native.h over it" >&2
    exit 1
fi
javac -Xlint:all -Werror --release 11 -cp "$OUT/classes" -d "$OUT/test-classes" \
    "$HERE"/src/test/java/dev/tinyrank/*.java

# 3. fixtures
FIX=$OUT/fixtures
mkdir -p "$FIX"
"$PY" "$ROOT/tests/tools/make_checkpoint.py" --preset tiny --init-std 0.1 --out "$FIX/ckpt" >/dev/null
for dtype in int8 f32; do
    "$CLI" convert "$FIX/ckpt" -o "$FIX/tiny-$dtype.trk" --dtype "$dtype" --quiet
done
echo "where does the river flow" >"$FIX/query.txt"
# Two equal passages (a tie: input order must decide), one long one (truncated).
cat >"$FIX/passages.txt" <<'TXT'
the river flows through the city and into the sea
water is cold in the mountains
the river flows through the city and into the sea
a dog ran in the park
each of these words would make a long passage when it is said again and again and again and again and again and again and again and again and again and again and again and again and again and again and again and again and again and again and again and again and again and again and again
sea
TXT
for dtype in int8 f32; do
    "$CLI" rerank -m "$FIX/tiny-$dtype.trk" -q "$(cat "$FIX/query.txt")" "$FIX/passages.txt" --json \
        >"$FIX/cli-$dtype.jsonl"
done
rm -f "$FIX/golden.tsv"
if [ -d "$SHARED/golden/bert_tiny" ]; then
    # bert_tiny's vocabulary is synthetic: name id N "tokN", so that the text
    # "tok610 tok634" is the golden id sequence, and score it from text.
    "$PY" - "$SHARED/golden/bert_tiny" "$FIX/golden" "$FIX/golden.tsv" <<'PYEOF'
import json, os, sys
src, out, tsv = sys.argv[1:]
os.makedirs(out, exist_ok=True)
for f in ("config.json", "model.safetensors"):
    if not os.path.exists(os.path.join(out, f)):
        os.symlink(os.path.join(src, f), os.path.join(out, f))
cfg = json.load(open(os.path.join(src, "config.json")))
inputs = json.load(open(os.path.join(src, "inputs.json")))
expected = json.load(open(os.path.join(src, "expected.json")))
special = {v: k for k, v in inputs["special_token_ids"].items()}
with open(os.path.join(out, "vocab.txt"), "w") as f:
    for i in range(cfg["vocab_size"]):
        f.write("[%s]\n" % special[i].upper() if i in special else "tok%d\n" % i)
sp = inputs["special_token_ids"]
with open(tsv, "w") as f:
    for pair, score in zip(inputs["pairs"], expected["scores_unbatched"]):
        ids = [sp["cls"]] + pair["query_ids"] + [sp["sep"]] + pair["doc_ids"] + [sp["sep"]]
        q = " ".join("tok%d" % i for i in pair["query_ids"])
        d = " ".join("tok%d" % i for i in pair["doc_ids"])
        f.write("%s\t%s\t%r\t%s\n" % (q, d, score, " ".join(map(str, ids))))
PYEOF
    "$CLI" convert "$FIX/golden" -o "$FIX/golden/bert_tiny-f32.trk" --dtype f32 --quiet
else
    echo "NOTE: $SHARED/golden/bert_tiny not found: the transformers case will be SKIPPED"
fi

# 4. the tests (-Xcheck:jni: the JVM checks every JNI call of the glue)
java -Xcheck:jni -Dtinyrank.library="$LIB" -cp "$OUT/classes:$OUT/test-classes" dev.tinyrank.TinyrankTest "$FIX"
