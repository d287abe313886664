#!/usr/bin/env python3
"""compare_scores.py FIRMWARE_LOG HOST_JSONL [HOST_JSONL_INFO...]

Compares the scores the firmware printed ("score <i> 0x<float bits> ...")
with the host's (`tinyrank rerank --json`, one {"index", "score"} per line)
for the same model and texts:
  - the same passages and the same ranking (best first; ties by index);
  - every score within 1e-5 (|a - b| <= 1e-5 * max(1, |b|)),
and says how many are bit-exact. Exits 0 only when both hold for the first
host file; further host files (other host kernel sets) are reported, not
required. The host's %.9g prints round-trip a float32 exactly, so bit
equality is tested on the float32 values, not on text.
"""
import json
import re
import struct
import sys

TOL = 1e-5


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def read_firmware(path):
    scores = {}
    done = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"score (\d+) 0x([0-9a-f]{8}) ", line)
            if m:
                scores[int(m.group(1))] = struct.unpack("<f", struct.pack("<I", int(m.group(2), 16)))[0]
            done |= line.strip() == "done"
    if not done:
        sys.exit(f"compare_scores: {path}: the firmware did not print 'done'")
    return [scores[i] for i in sorted(scores)]


def read_host(path):
    scores = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                scores[d["index"]] = f32(d["score"])
    return [scores[i] for i in sorted(scores)]


def ranking(scores):
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


def compare(fw, host, label):
    if len(fw) != len(host):
        print(f"{label}: firmware has {len(fw)} scores, host {len(host)}")
        return False
    exact = sum(bits(a) == bits(b) for a, b in zip(fw, host))
    worst = max((abs(a - b) / max(1.0, abs(b)) for a, b in zip(fw, host)), default=0.0)
    same_rank = ranking(fw) == ranking(host)
    within = worst <= TOL
    print(f"{label}: {len(fw)} scores, {exact} bit-exact, max relative difference {worst:.3g}, "
          f"ranking {'same' if same_rank else 'DIFFERENT'} "
          f"(firmware {ranking(fw)}, host {ranking(host)})")
    for i, (a, b) in enumerate(zip(fw, host)):
        print(f"  passage {i}: firmware {a:.9g} (0x{bits(a):08x})  host {b:.9g} (0x{bits(b):08x})")
    return same_rank and within


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    fw = read_firmware(sys.argv[1])
    if not fw:
        sys.exit("compare_scores: the firmware printed no score")
    ok = compare(fw, read_host(sys.argv[2]), f"firmware vs host ({sys.argv[2]})")
    for extra in sys.argv[3:]:
        compare(fw, read_host(extra), f"(for information) firmware vs host ({extra})")
    print("scores AGREE" if ok else "scores DISAGREE")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
