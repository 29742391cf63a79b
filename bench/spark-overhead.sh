#!/usr/bin/env bash
# Spark overhead: epoch time of `train --master local[2] --workers 2` against the engine alone on
# 2 threads (org.cnnspark.driver.train.EngineAlone, no Spark) over the same data, back to back,
# ROUNDS times (default 2), alternating which goes first. Both time the training epoch itself
# (Spark: the rounds' wall time from metrics.jsonl, i.e. broadcast + tasks + reduction; engine:
# the epoch loop); neither counts JVM or Spark start-up or decoding the data.
# Env: DATA (default /usr/share/datasets/fashion-mnist), PREFIX (train), EPOCHS (1), ROUNDS (2), OUT,
# TRAIN_OPTS (more train options, e.g. "--rounds-per-epoch 1 --split contiguous --lr-scaling none
# --warmup-epochs 0" for per-epoch averaging with the absent values; default: train's defaults).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${DATA:-/usr/share/datasets/fashion-mnist}"
prefix="${PREFIX:-train}"
epochs="${EPOCHS:-1}"
rounds="${ROUNDS:-2}"
out="${OUT:-$root/target/bench/spark-overhead}"
mkdir -p "$out"
images="$data/$prefix-images-idx3-ubyte.gz"
labels="$data/$prefix-labels-idx1-ubyte.gz"
"$root/bin/cnn-spark" --version >/dev/null  # builds the jars if needed
flags="$(sed -n 's:.*<cnn.jvm.flags>\(.*\)</cnn.jvm.flags>.*:\1:p' "$root/pom.xml")"
launch="$root/driver/target/launch"  # the launcher's copies (bin/cnn-spark): safe from rebuilds
cp="$launch/cnn-spark-driver-0.1.0-SNAPSHOT.jar:$(sed "s#$root/worker-engine/target/#$launch/#" "$root/driver/target/launcher-classpath.txt")"
export OPENBLAS_NUM_THREADS=1

spark() {
  rm -rf "$out/model-$1"
  "$root/bin/cnn-spark" train --data "$images" --labels "$labels" --epochs "$epochs" --master 'local[2]' --workers 2 \
    --batch-size 64 --lr 0.01 --momentum 0.9 ${TRAIN_OPTS:-} --out "$out/model-$1" 2> "$out/spark-$1.log"
  cp "$out/model-$1/metrics.jsonl" "$out/spark-$1.jsonl"
}
engine() {
  # shellcheck disable=SC2086
  java $flags -cp "$cp" org.cnnspark.driver.train.EngineAlone "$images" "$labels" "$epochs" 2 64 0.01 > "$out/engine-$1.jsonl"
}
for r in $(seq 1 "$rounds"); do
  echo "round $r: load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt" >&2
  if (( r % 2 )); then spark "$r"; engine "$r"; else engine "$r"; spark "$r"; fi
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
rows = []
for r in range(1, rounds + 1):
    s = [json.loads(l) for l in open(f"{out}/spark-{r}.jsonl")]
    e = [json.loads(l) for l in open(f"{out}/engine-{r}.jsonl")]
    ss = sum(x["seconds"] for x in s) / max(x["epoch"] for x in s)
    es = sum(x["seconds"] for x in e) / len(e)
    rows.append((r, ss, es, ss / es))
print("| round | Spark local[2], 2 workers: s/epoch | engine alone, 2 threads: s/epoch | ratio |")
print("|---|---|---|---|")
for r, ss, es, q in rows:
    print(f"| {r} | {ss:.1f} | {es:.1f} | {q:.3f}x |")
print(f"| median | {statistics.median(x[1] for x in rows):.1f} | {statistics.median(x[2] for x in rows):.1f} "
      f"| {statistics.median(x[3] for x in rows):.3f}x |")
PY
