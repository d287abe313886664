#!/usr/bin/env python3
"""size_report.py - code and memory sizes of the tinyrank runtime library and
of the firmware example, from `size -A` of the built files (nothing is
estimated).

  python3 benchmarks/size_report.py [--baremetal-build build/baremetal]
                                    [--lib LABEL=PATH[,SIZE_TOOL]] ...
                                    [--json OUT.json]

Rows:
  - libraries (libtinyrank.a): text (.text*), rodata (.rodata*), static RAM
    (.data* + .bss*: what the library itself keeps; it has no heap), and the
    target of its line when it has one (Cortex-M55: text <= 64 KB; x86_64,
    the host build of --host-build with every kernel set: text <= 150 KB);
  - firmware images (tinyrank_fw.elf): the same, plus the reserved arena
    (.arena), the stack and the model in flash (.tinyrank_model), and the
    arena bytes the session really uses, as the firmware printed it
    (tinyrank_arena_size, "arena_bytes N" in firmware.log).

By default it reads what platforms/baremetal/run-qemu.sh built in
--baremetal-build (run that first): <dir>/m55 and <dir>/m4. More libraries
(another architecture's build) are added with --lib; a new default row is one
entry in DEFAULT_LIBS below.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys

KB = 1024

# (label, path relative to the baremetal build folder, size tool, text target in bytes or None)
DEFAULT_LIBS = [
    ("Cortex-M55 libtinyrank.a (-O3, Helium)", "m55/tinyrank/libtinyrank.a", "arm-none-eabi-size", 64 * KB),
    ("Cortex-M4 libtinyrank.a (-O3, portable)", "m4/tinyrank/libtinyrank.a", "arm-none-eabi-size", None),
]
# (label, elf, firmware log, size tool)
DEFAULT_FIRMWARE = [
    ("Cortex-M55 firmware (AN547)", "m55/tinyrank_fw.elf", "m55/firmware.log", "arm-none-eabi-size"),
    ("Cortex-M4 firmware (AN386)", "m4/tinyrank_fw.elf", "m4/firmware.log", "arm-none-eabi-size"),
]

# (label, path relative to the host build folder, size tool, text target): the
# host library with every kernel set the architecture has (x86-64: ref, AVX2,
# AVX-512 VNNI), as `cmake -B build/ci` (CI step 1) builds it.
HOST_LIBS = [
    ("x86_64 libtinyrank.a (all kernels)", "libtinyrank.a", "size", 150 * KB),
]

CATEGORIES = [
    ("text", re.compile(r"^\.(text|vectors)")),
    ("rodata", re.compile(r"^\.rodata")),
    ("data", re.compile(r"^\.data")),
    ("bss", re.compile(r"^\.bss|^COMMON$")),
    ("arena", re.compile(r"^\.arena$")),
    ("stack", re.compile(r"^\.stack$")),
    ("model", re.compile(r"^\.tinyrank_model$")),
    ("exidx", re.compile(r"^\.ARM\.exidx")),
]


def section_sizes(path, tool):
    """Sums `size -A -d` over every member (an archive) by category."""
    out = subprocess.run([tool, "-A", "-d", path], check=True, capture_output=True, text=True).stdout
    sums = {name: 0 for name, _ in CATEGORIES}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            continue
        for name, rx in CATEGORIES:
            if rx.search(parts[0]):
                sums[name] += int(parts[1])
                break
    return sums


def arena_from_log(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8", errors="replace") as f:
        m = re.search(r"^arena_bytes (\d+)$", f.read(), re.M)
    return int(m.group(1)) if m else None


def kb(n):
    return f"{n / KB:8.1f} KB"  # 11 characters


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--baremetal-build", default=os.path.join(os.path.dirname(__file__), "..", "build", "baremetal"))
    p.add_argument("--host-build", default=os.path.join(os.path.dirname(__file__), "..", "build", "ci"),
                   help="host build folder whose libtinyrank.a is the x86_64 row (only on x86_64 hosts)")
    p.add_argument("--lib", action="append", default=[], metavar="LABEL=PATH[,SIZE_TOOL]",
                   help="one more library row (size tool default: size)")
    p.add_argument("--json", help="also write the numbers to this JSON file")
    a = p.parse_args()
    base = a.baremetal_build

    rows, missing, failed = [], [], False
    libs = [(label, os.path.join(base, rel), tool, target) for label, rel, tool, target in DEFAULT_LIBS]
    if platform.machine() == "x86_64":
        libs += [(label, os.path.join(a.host_build, rel), tool, target) for label, rel, tool, target in HOST_LIBS]
    for spec in a.lib:
        label, _, rest = spec.partition("=")
        path, _, tool = rest.partition(",")
        libs.append((label, path, tool or "size", None))

    print(f"{'library':40s} {'text':>11s} {'rodata':>11s} {'static RAM':>11s}  target")
    for label, path, tool, target in libs:
        if not os.path.exists(path):
            missing.append(path)
            continue
        s = section_sizes(path, tool)
        verdict = ""
        if target is not None:
            ok = s["text"] <= target
            failed |= not ok
            verdict = f"text <= {target // KB} KB: {'yes' if ok else 'NO'}"
        print(f"{label:40s} {kb(s['text'])} {kb(s['rodata'])} {kb(s['data'] + s['bss'])}  {verdict}")
        rows.append({"kind": "library", "label": label, "path": path, **s, "text_target": target})

    print()
    print(f"{'firmware':32s} {'text':>11s} {'rodata':>11s} {'static RAM':>11s} {'stack':>11s} "
          f"{'arena room':>11s}  {'arena used (tinyrank_arena_size)':>32s}   model in flash")
    for label, rel, log, tool in DEFAULT_FIRMWARE:
        path = os.path.join(base, rel)
        if not os.path.exists(path):
            missing.append(path)
            continue
        s = section_sizes(path, tool)
        used = arena_from_log(os.path.join(base, log))
        used_txt = f"{used} B" if used is not None else "(run run-qemu.sh)"
        print(f"{label:32s} {kb(s['text'])} {kb(s['rodata'])} {kb(s['data'] + s['bss'])} "
              f"{kb(s['stack'])} {kb(s['arena'])}  {used_txt:>32s}   {s['model']} B")
        rows.append({"kind": "firmware", "label": label, "path": path, **s, "arena_used": used})

    if missing:
        print("\nnot built (run platforms/baremetal/run-qemu.sh, or give --lib):")
        for m in missing:
            print(f"  {m}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    if not rows:
        sys.exit(1)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
