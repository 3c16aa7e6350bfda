#!/usr/bin/env bash
# Shared helpers of scripts/bench/*: build the release benchmark tool, time commands, medians.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Builds openruko-bench (release) and prints its path.
bench_tool() {
  (cd "$root" && swift build -c release --product openruko-bench >&2)
  echo "$(cd "$root" && swift build -c release --show-bin-path)/openruko-bench"
}

# Seconds (wall clock) of one run of "$@".
time_once() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s%N)
  python3 -c "print(($end - $start) / 1e9)"
}

# The median of the numbers given as arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# Writes a ~SIZE_MB mixed tree into DIR: 2/3 incompressible (random) files, 1/3 JS-like text.
make_mixed_tree() {
  local dir="$1" size_mb="$2"
  python3 - "$dir" "$size_mb" <<'PY'
import os, random, sys
root, size = sys.argv[1], int(sys.argv[2]) * 1024 * 1024
random.seed(42)
os.makedirs(root, exist_ok=True)
words = ["function", "return", "const", "let", "var", "if", "else", "for", "while", "require", "module", "exports",
         "this", "new", "class", "extends", "async", "await", "=>", "{", "}", "(", ")", ";", "null", "undefined"]
random_bytes, text_bytes, n = size * 2 // 3, size // 3, 0
while random_bytes > 0:
    d = os.path.join(root, "vendor", "blob%02d" % (n % 20)); os.makedirs(d, exist_ok=True)
    chunk = min(random_bytes, random.randint(64, 1024) * 1024)
    with open(os.path.join(d, "b%04d.bin" % n), "wb") as f: f.write(os.urandom(chunk))
    random_bytes -= chunk; n += 1
while text_bytes > 0:
    d = os.path.join(root, "node_modules", "pkg%03d" % (n % 100), "lib"); os.makedirs(d, exist_ok=True)
    lines, total = [], 0
    target = min(text_bytes, random.randint(4, 64) * 1024)
    while total < target:
        line = "  " + " ".join(random.choice(words) + str(random.randint(0, 99)) for _ in range(random.randint(4, 14))) + "\n"
        lines.append(line); total += len(line)
    with open(os.path.join(d, "f%05d.js" % n), "w") as f: f.write("".join(lines))
    text_bytes -= total; n += 1
PY
}
