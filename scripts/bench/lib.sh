#!/usr/bin/env bash
# Shared helpers of scripts/bench/*: the binaries to measure, quick mode, time commands, medians.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Quick mode (BENCH_QUICK=1, what scripts/bench/quick and CI use): checks that a benchmark runs,
# it measures nothing. The debug binaries `swift build --build-tests` already made instead of a
# release build, one run, the smallest sizes and durations that still take every step.
# BENCH_BIN_PATH=DIR takes the binaries from DIR instead (e.g. another checkout's build).
is_quick() { [ -n "${BENCH_QUICK:-}" ] && [ "$BENCH_QUICK" != 0 ]; }

# hooks/ and buildpacks/ of this checkout, wherever the binaries are (BENCH_BIN_PATH).
if is_quick; then export OPENRUKO_ROOT="$root"; fi

# quick_or NORMAL QUICK: prints QUICK in quick mode, else NORMAL (for defaults of sizes and counts).
quick_or() { if is_quick; then echo "$2"; else echo "$1"; fi; }

# Says, first thing in the output, that the figures below are not measurements.
quick_banner() {
  if is_quick; then echo "quick mode: checks that the benchmark runs; figures are not measurements"; fi
}

# bin_dir PRODUCT...: prints the directory holding the products. Normally builds them (release);
# in quick mode takes the debug build of this checkout (or BENCH_BIN_PATH) and builds nothing.
bin_dir() {
  local dir product
  if is_quick; then
    dir="${BENCH_BIN_PATH:-$(cd "$root" && swift build --show-bin-path)}"
    for product in "$@"; do
      [ -x "$dir/$product" ] || { echo "$dir/$product is missing: run \`swift build --build-tests\` first" >&2; return 1; }
    done
  else
    for product in "$@"; do (cd "$root" && swift build -c release --product "$product" >&2) || return 1; done
    dir="$(cd "$root" && swift build -c release --show-bin-path)" || return 1
  fi
  echo "$dir"
}
# (The `|| return 1`s: a command substitution does not inherit `set -e`.)

# Builds openruko-bench (release; quick mode: the debug one) and prints its path.
bench_tool() { local dir; dir=$(bin_dir openruko-bench) || return 1; echo "$dir/openruko-bench"; }

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
