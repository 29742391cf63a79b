#!/usr/bin/env bash
# Transfer learning on Fashion-MNIST (issue 12): pretrain a ResNet on classes 0-4, then learn
# classes 5-9 from 1,000 labelled images (the first 200 training images of each class, file order)
# three ways, each for SEEDS: from scratch, full fine-tuning (everything but the head from the
# pretrained weights) and head-only (the same, all but fc frozen). Test accuracy on the 5,000 test
# images of classes 5-9 after the last epoch; prints mean (min-max) per way.
#   bench/transfer-learning.sh            # ARCH=resnet20 PRE_EPOCHS=5 FT_EPOCHS=20 SEEDS="1 2 3"
# Files go to OUT (default target/bench/transfer); finished runs are kept and skipped on a rerun.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/target/bench/transfer}"
arch="${ARCH:-resnet20}"
pre_epochs="${PRE_EPOCHS:-5}"
ft_epochs="${FT_EPOCHS:-20}"
seeds="${SEEDS:-1 2 3}"
fashion="${FASHION:-/usr/share/datasets/fashion-mnist}"
[ -f "$fashion/train-images-idx3-ubyte.gz" ] || { echo "no Fashion-MNIST in $fashion: apt-get install -y dataset-fashion-mnist" >&2; exit 2; }
mkdir -p "$out/data"
common=(--arch "$arch" --workers 2 --weight-decay 5e-4 --lr-schedule cosine --normalize mean=0.286,std=0.353)

# (the pretrained model is scored on classes 5-9 too, in its test.json: near 0, it knows only 0-4)
# the three subsets, as uncompressed IDX files (labels keep their values 0-9)
python3 - "$fashion" "$out/data" <<'PY'
import gzip, os, struct, sys
import numpy as np
src, dst = sys.argv[1], sys.argv[2]
def read(name):
    raw = gzip.open(os.path.join(src, name)).read()
    if "images" in name:
        n, h, w = struct.unpack(">III", raw[4:16])
        return np.frombuffer(raw[16:], np.uint8).reshape(n, h, w)
    return np.frombuffer(raw[8:], np.uint8)
def write(prefix, x, y):
    with open(os.path.join(dst, prefix + "-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 2051, *x.shape)); f.write(x.tobytes())
    with open(os.path.join(dst, prefix + "-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 2049, len(y))); f.write(y.tobytes())
x, y = read("train-images-idx3-ubyte.gz"), read("train-labels-idx1-ubyte.gz")
tx, ty = read("t10k-images-idx3-ubyte.gz"), read("t10k-labels-idx1-ubyte.gz")
pre = y < 5
write("pretrain", x[pre], y[pre])
few = np.concatenate([np.flatnonzero(y == c)[:200] for c in range(5, 10)])
few.sort()
write("few", x[few], y[few])
write("test59", tx[ty >= 5], ty[ty >= 5])
PY

train() { # DIR ARGS...: one run, then its test accuracy on classes 5-9; skipped when done
  local dir="$1"; shift
  [ -f "$dir/test.json" ] && return 0
  rm -rf "$dir"
  "$root/bin/cnn-spark" train "${common[@]}" "$@" --out "$dir" > "$dir.log" 2>&1 \
    || { echo "failed: $dir (see $dir.log)" >&2; exit 1; }
  # scored once at the end: scoring 5,000 images every epoch would cost more than the training
  "$root/bin/cnn-spark" evaluate --model "$dir" --data "$out/data/test59-images-idx3-ubyte" --workers 2 \
    > "$dir/test.json.tmp" 2>> "$dir.log" && mv "$dir/test.json.tmp" "$dir/test.json"
  echo "$(basename "$dir"): $(cat "$dir/test.json")" >&2
}

train "$out/pretrain" --data "$out/data/pretrain-images-idx3-ubyte" --epochs "$pre_epochs" --lr 0.05
"$root/bin/cnn-spark" export --model "$out/pretrain" --out "$out/pretrain.safetensors" >/dev/null 2>&1
# the head: the last tensor's owner (fc for the presets); everything else is frozen in head-only runs
read -r head frozen < <(python3 - "$out/pretrain.safetensors" <<'PY'
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
names = sorted((v["data_offsets"][0], k) for k, v in header.items() if k != "__metadata__")
def owner(k):
    return k.rsplit(".", 1)[0]
head = owner(max(names)[1])
tops = []
for _, k in names:
    if "running" in k or "num_batches" in k or owner(k) == head:
        continue
    top = k.split(".")[0]
    if top not in tops:
        tops.append(top)
print(head, ",".join(tops))
PY
)
for s in $seeds; do
  few=(--data "$out/data/few-images-idx3-ubyte" --epochs "$ft_epochs" --seed "$s" --lr 0.02)
  train "$out/scratch-$s" "${few[@]}"
  train "$out/full-$s" "${few[@]}" --init "$out/pretrain.safetensors" --init-skip "$head"
  train "$out/head-$s" "${few[@]}" --init "$out/pretrain.safetensors" --init-skip "$head" --freeze "$frozen"
done

python3 - "$out" "$seeds" "$arch" "$pre_epochs" "$ft_epochs" <<'PY'
import json, statistics, sys
out, seeds, arch, pre, ft = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4], sys.argv[5]
def last_test(d):
    return 100 * json.loads(open(f"{out}/{d}/test.json").read().strip().splitlines()[-1])["accuracy"]
print(f"{arch}: pretrained {pre} epochs on classes 0-4 (30,000 images); then {ft} epochs on 1,000 images of classes 5-9;")
print("test accuracy on the 5,000 test images of classes 5-9, %, mean (min-max) over seeds " + " ".join(seeds))
print()
print("| way | mean | min-max |")
print("|---|---|---|")
for way, name in (("scratch", "from scratch"), ("full", "full fine-tuning"), ("head", "head only (all but the last layer frozen)")):
    a = [last_test(f"{way}-{s}") for s in seeds]
    print(f"| {name} | {statistics.mean(a):.2f} | {min(a):.2f}-{max(a):.2f} |")
PY
