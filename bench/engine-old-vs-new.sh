#!/usr/bin/env bash
# Engine speed, old against new: the cells of `cnn-spark bench --threads 1` (tutorial CNN; 1x28x28
# and 3x32x32; train at batch 64, infer at 256) in images per second of process CPU time. Both
# engine jars load into ONE JVM, each behind its own class loader (EnginePairBench.java beside this
# script), and take turns cell by cell, ROUNDS pairs (default 5), alternating which goes first: on
# a shared machine both then meet the same neighbours, seconds apart. Prints per cell the median
# over pairs of new/old, and fails when a cell is below TARGET (default 0.97). The same jar as OLD
# and NEW shows the noise floor.
#
# usage: bench/engine-old-vs-new.sh [OLD [NEW]]
#   OLD  an engine jar, or a git ref whose engine is built in a temporary worktree (default a33a27b)
#   NEW  an engine jar (default: this checkout's worker-engine, built now)
# env: ROUNDS=5, TARGET=0.97, SECONDS_PER_RUN=0.4 (each of the 5 timed runs of a turn, after Bench's 3 s warm-up),
#      OUT=target/bench-old-vs-new, CNN_SPARK_JAVA_OPTS (e.g. -Dcnnspark.kernels=java),
#      ARCH=tutorial-cnn (or a preset: 'resnet18(classes=10)'), SHAPES=1x28x28,3x32x32
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
old="${1:-a33a27b}"
new="${2:-}"
rounds="${ROUNDS:-5}"
target="${TARGET:-0.97}"
seconds="${SECONDS_PER_RUN:-0.4}"
out="${OUT:-$root/target/bench-old-vs-new}"
jar=worker-engine/target/cnn-spark-engine-0.1.0-SNAPSHOT.jar
rm -rf "$out" && mkdir -p "$out"
tmp="$(mktemp -d)"
tree="$tmp/old"
cleanup() {
  [ ! -d "$tree" ] || git -C "$root" worktree remove --force "$tree"
  rm -rf "$tmp"
}
trap cleanup EXIT

# The jars are copied: a build during the run must not change what runs.
if [ -f "$old" ]; then
  cp "$old" "$out/old.jar"
else
  git -C "$root" worktree add --detach "$tree" "$old" >&2
  (cd "$tree" && mvn -q -B -ntp -Dstyle.color=never -DskipTests -pl worker-engine package) >&2
  cp "$tree/$jar" "$out/old.jar"
fi
if [ -n "$new" ]; then
  cp "$new" "$out/new.jar"
else
  (cd "$root" && mvn -q -B -ntp -Dstyle.color=never -DskipTests -pl worker-engine package) >&2
  cp "$root/$jar" "$out/new.jar"
fi
# The engine's libraries (OpenBLAS, JavaCPP, Jackson): the same for both jars.
(cd "$root" && mvn -q -B -ntp -Dstyle.color=never -pl worker-engine dependency:build-classpath -Dmdep.outputFile="$out/deps.txt") >&2
deps="$(cat "$out/deps.txt")"

flags="$(sed -n 's:.*<cnn.jvm.flags>\(.*\)</cnn.jvm.flags>.*:\1:p' "$root/pom.xml")"
export OPENBLAS_NUM_THREADS=1
mkdir -p "$out/launcher"
javac -d "$out/launcher" "$root/bench/EnginePairBench.java"
echo "load before: $(uptime)" >&2
# shellcheck disable=SC2086
java $flags ${CNN_SPARK_JAVA_OPTS:-} -cp "$out/launcher:$deps" EnginePairBench "$out/old.jar" "$out/new.jar" \
  "$rounds" "$seconds" "${ARCH:-tutorial-cnn}" "${SHAPES:-1x28x28,3x32x32}" | tee "$out/turns.txt" >&2
echo "load after: $(uptime)" >&2

python3 - "$out/turns.txt" "$rounds" "$target" <<'PY'
import collections, statistics, sys
path, rounds, target = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
v = collections.defaultdict(dict)  # (mode, shape) -> {(pair, side): images per CPU-second}
for line in open(path):
    pair, mode, shape, side, x = line.split()
    v[(mode, shape)][(int(pair), side)] = float(x)
print(f"engine old vs new, images per CPU-second, 1 thread, {rounds} pairs in one JVM")
print()
print("| cell | old (median) | new (median) | new/old per pair | median new/old |")
print("|---|---:|---:|---|---:|")
worst = None
for key, d in v.items():
    ratios = [d[(p, "new")] / d[(p, "old")] for p in range(1, rounds + 1)]
    med = statistics.median(ratios)
    worst = med if worst is None else min(worst, med)
    old = statistics.median(d[(p, "old")] for p in range(1, rounds + 1))
    new = statistics.median(d[(p, "new")] for p in range(1, rounds + 1))
    print(f"| {key[0]} {key[1]} | {old:.0f} | {new:.0f} | {' '.join(f'{x:.3f}' for x in ratios)} | {med:.3f} |")
print()
print(f"lowest median new/old: {worst:.3f} (target >= {target})")
sys.exit(0 if worst >= target else 1)
PY
