#!/usr/bin/env bash
# demo.sh BUILD_DIR - generates a small BERT cross-encoder checkpoint with
# RANDOM weights (the project's own generator), converts it to int8 and
# reranks a few passages. The scores mean nothing: the weights are random.
# For real scores, convert a trained checkpoint (see README.md).
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/tinyrank-demo-XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "== generating a random-weight checkpoint (TinyBERT-L2 shape) in $work/ckpt"
/usr/bin/python3 "$here/make_checkpoint.py" --preset tinybert-l2 --init-std 0.1 --out "$work/ckpt"
echo "== converting to int8"
"$build/tinyrank" convert "$work/ckpt" -o "$work/demo.trk" --dtype int8
"$build/tinyrank" inspect "$work/demo.trk" | sed -n 1,14p
echo "== reranking (random weights: the order below is arbitrary)"
cat > "$work/passages.txt" <<'TXT'
Paris is the capital and most populous city of France.
The weather in the mountains changes quickly in spring.
Berlin is the capital of Germany.
A river flows through the city and into the sea.
TXT
"$build/tinyrank" rerank -m "$work/demo.trk" -q "what is the capital of france" "$work/passages.txt"
