#!/usr/bin/env bash
# Do two builds train to the same bits with the native kernels on this machine?
# The pin test (PinnedBitsTest) proves it for the pure-Java kernels on any CPU; OpenBLAS's bits
# depend on the CPU (AVX2 vs AVX-512), so the native path is compared here, both builds on one machine.
# Usage: bench/compare-native-bits.sh [OLD_REF [NEW_REF]]
#   OLD_REF: default the commit that added PinnedBits; NEW_REF: default HEAD.
# Prints each build's "pin ..." lines and exits 1 when they differ.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
old="${1:-$(git log --diff-filter=A --format=%h -1 -- '*/PinnedBits.java')}"
new="${2:-HEAD}"
work="$(mktemp -d)"
trap 'git -C "$root" worktree remove --force "$work/old" 2>/dev/null; git -C "$root" worktree remove --force "$work/new" 2>/dev/null; rm -rf "$work"' EXIT
flags="$(sed -n 's:.*<cnn.jvm.flags>\(.*\)</cnn.jvm.flags>.*:\1:p' pom.xml)"

pins() { # ref name -> the build's pin lines in $work/name.pins
  local ref=$1 name=$2 tree="$work/$2"
  git worktree add -q --detach "$tree" "$ref"
  (cd "$tree" && mvn -B -ntp -q -pl driver -am package -DskipTests dependency:build-classpath \
      -Dmdep.outputFile="$work/$name.cp" -Dmdep.includeScope=test) >&2
  local src cls
  src="$(cd "$tree" && git ls-files '*/PinnedBits.java')"
  cls="$(echo "${src#driver/src/test/java/}" | sed 's:\.java$::; s:/:.:g')"
  echo "$name ($ref): running $cls with the native kernels" >&2
  # shellcheck disable=SC2086
  (cd "$tree" && OPENBLAS_NUM_THREADS=1 java $flags -Xmx2g -Dcnnspark.kernels=native \
      -cp "driver/target/test-classes:driver/target/classes:$(cat "$work/$name.cp")" "$cls" "$work/$name-runs") \
      > "$work/$name.log" 2>&1 || { tail -40 "$work/$name.log" >&2; exit 1; }
  grep '^pin ' "$work/$name.log" > "$work/$name.pins"
}
pins "$old" old
pins "$new" new
echo "CPU: $(grep -o -w 'avx512f\|avx512_bf16\|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
if diff "$work/old.pins" "$work/new.pins"; then
  echo "same bits: $(wc -l < "$work/new.pins") native runs of $old and $new agree"
else
  echo "the native bits differ between $old and $new (lines above)"
  exit 1
fi
