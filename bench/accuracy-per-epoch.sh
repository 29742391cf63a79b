#!/usr/bin/env bash
# Test accuracy per epoch on full Fashion-MNIST: the tutorial CNN, 2 workers on local[2], batch 64,
# lr 0.01, momentum 0.9, 5 epochs, for per-epoch averaging and for --rounds-per-epoch 20; then
# PyTorch in one process on the same settings (bench/peers/torch_peer.py train) when python3-torch
# is installed, on 1 thread by default (OpenMP on 2 threads collapses on a busy machine; accuracy
# does not depend on it). Env: DATA, EPOCHS (5), KS ("1 20"), OUT, TORCH (1 = run PyTorch too),
# TORCH_THREADS (1).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${DATA:-/usr/share/datasets/fashion-mnist}"
epochs="${EPOCHS:-5}"
ks="${KS:-1 20}"
out="${OUT:-$root/target/bench/accuracy}"
mkdir -p "$out"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/load.txt" >&2
for k in $ks; do
  rm -rf "$out/model-k$k"
  /usr/bin/time -v "$root/bin/cnn-spark" train --data "$data/train-images-idx3-ubyte.gz" \
    --test "$data/t10k-images-idx3-ubyte.gz" --epochs "$epochs" --master 'local[2]' --workers 2 \
    --batch-size 64 --lr 0.01 --momentum 0.9 --rounds-per-epoch "$k" --out "$out/model-k$k" \
    2> "$out/train-k$k.log"
  grep -E "Maximum resident set size|Elapsed" "$out/train-k$k.log" >&2 || true
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt" >&2
rm -f "$out/torch.json"
if [ "${TORCH:-1}" = 1 ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 "$root/bench/peers/torch_peer.py" train \
    --data-dir "$data" --epochs "$epochs" --threads-train "${TORCH_THREADS:-1}" > "$out/torch.json" 2> "$out/torch.log" \
    || rm -f "$out/torch.json"
fi
python3 - "$out" "$ks" <<'PY'
import json, os, sys
out, ks = sys.argv[1], sys.argv[2].split()
cols = {}
for k in ks:
    acc = {}
    for line in open(f"{out}/model-k{k}/metrics.jsonl"):
        m = json.loads(line)
        if "test_accuracy" in m:
            acc[m["epoch"]] = m["test_accuracy"]
    cols[f"rounds/epoch {k}"] = acc
if os.path.exists(f"{out}/torch.json"):
    cols["PyTorch, one process"] = {e["epoch"]: e["test_accuracy"] for e in json.load(open(f"{out}/torch.json"))["epochs"]}
print("| epoch | " + " | ".join(cols) + " |")
print("|---" * (len(cols) + 1) + "|")
for e in sorted(next(iter(cols.values()))):
    print(f"| {e} | " + " | ".join(f"{100 * c.get(e, float('nan')):.2f}%" for c in cols.values()) + " |")
PY
