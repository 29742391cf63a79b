#!/usr/bin/env bash
# Engine speed, old against new: the cells of `cnn-spark bench --threads 1 --json` (EngineBench.java
# beside this script runs them without the driver) in images per second of process CPU time, which
# a shared machine disturbs far less than wall time. The two engine jars run in turn, ROUNDS times
# (default 5) in one run, alternating which goes first; prints per cell the median over rounds of
# new/old, and fails when a cell is below TARGET (default 0.97).
#
# usage: bench/engine-old-vs-new.sh [OLD [NEW]]
#   OLD  an engine jar, or a git ref whose engine is built in a temporary worktree (default a33a27b)
#   NEW  an engine jar (default: this checkout's worker-engine, built now)
# env: ROUNDS=5, TARGET=0.97, SECONDS_PER_RUN=1.0, OUT=target/bench-old-vs-new,
#      CNN_SPARK_JAVA_OPTS (e.g. -Dcnnspark.kernels=java)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
old="${1:-a33a27b}"
new="${2:-}"
rounds="${ROUNDS:-5}"
target="${TARGET:-0.97}"
seconds="${SECONDS_PER_RUN:-1.0}"
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
mkdir -p "$out/launcher"
javac -d "$out/launcher" -cp "$out/new.jar:$deps" "$root/bench/EngineBench.java"

flags="$(sed -n 's:.*<cnn.jvm.flags>\(.*\)</cnn.jvm.flags>.*:\1:p' "$root/pom.xml")"
export OPENBLAS_NUM_THREADS=1
run() { # $1 = old|new, $2 = round
  # shellcheck disable=SC2086
  java $flags ${CNN_SPARK_JAVA_OPTS:-} -cp "$out/launcher:$out/$1.jar:$deps" EngineBench "$seconds" \
    > "$out/$1-$2.json" 2> "$out/$1-$2.log"
}
echo "load before: $(uptime)" >&2
for r in $(seq 1 "$rounds"); do
  if (( r % 2 )); then run old "$r"; run new "$r"; else run new "$r"; run old "$r"; fi
  echo "round $r of $rounds done" >&2
done
echo "load after: $(uptime)" >&2

python3 - "$out" "$rounds" "$target" <<'PY'
import json, statistics, sys
out, rounds, target = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def cells(side, r):
    d = json.load(open(f"{out}/{side}-{r}.json"))
    return {(c["mode"], c["input_shape"]): c["img_per_cpu_s"] for c in d["results"]}, d["backend"]
old = [cells("old", r)[0] for r in range(1, rounds + 1)]
new = [cells("new", r)[0] for r in range(1, rounds + 1)]
print(f"engine old vs new, images per CPU-second, 1 thread, {rounds} rounds, kernels {cells('new', 1)[1]}")
print()
print("| cell | old (median) | new (median) | new/old per round | median new/old |")
print("|---|---:|---:|---|---:|")
worst = None
for key in old[0]:
    ratios = [n[key] / o[key] for o, n in zip(old, new)]
    med = statistics.median(ratios)
    worst = med if worst is None else min(worst, med)
    print(f"| {key[0]} {key[1]} | {statistics.median(o[key] for o in old):.0f} | {statistics.median(n[key] for n in new):.0f}"
          f" | {' '.join(f'{x:.3f}' for x in ratios)} | {med:.3f} |")
print()
print(f"lowest median new/old: {worst:.3f} (target >= {target})")
sys.exit(0 if worst >= target else 1)
PY
