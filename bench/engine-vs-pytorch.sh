#!/usr/bin/env bash
# Engine throughput beside PyTorch 1.13 on the same machine, measured back to back, ROUNDS times
# (default 2), alternating which goes first. The machines are shared: read the ratios, not the
# absolute figures. Needs: apt-get install -y python3-torch libopenblas0-openmp
# Prints two Markdown tables: wall-clock img/s (median over rounds of each side's median, and the
# ratio), and, at 1 thread, img/s per second of process CPU time (the peer's cputime beside ours),
# which a shared machine disturbs far less. PyTorch's side is bench/peers/torch_peer.py.
# ARCH=resnet18 (resnet34, resnet50) sets ours resnet18(classes=10) beside torchvision's; SHAPES
# (default 1x28x28,3x32x32) and THREADS (default 1,2) choose the cells, BATCH the batch of both
# modes on both sides (default 64 train, 256 infer) and WARMUP PyTorch's untimed steps (20), e.g.
#   ARCH=resnet18 SHAPES=3x32x32 THREADS=1 ROUNDS=3 bench/engine-vs-pytorch.sh
#   ARCH=resnet50 SHAPES=3x224x224 BATCH=16 WARMUP=3 THREADS=1 bench/engine-vs-pytorch.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/target/bench}"
rounds="${ROUNDS:-2}"
peer="$root/bench/peers/torch_peer.py"
arch="${ARCH:-tutorial-cnn}"
shapes="${SHAPES:-1x28x28,3x32x32}"
threads="${THREADS:-1,2}"
batch=()
[ -z "${BATCH:-}" ] || batch=(--batch "$BATCH")
warmup="${WARMUP:-20}"
ourarch="$arch"
[ "$arch" = tutorial-cnn ] || ourarch="$arch(classes=10)"
mkdir -p "$out"
torchcpu() {
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_NUM_THREADS=1 \
    /usr/bin/python3 "$peer" cputime --arch "$arch" --input-shape "$shapes" "${batch[@]}" --warmup "$warmup" \
    > "$out/torchcpu-$1.json"
}
torch() {
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_WAIT_POLICY=PASSIVE \
    /usr/bin/python3 "$peer" throughput --arch "$arch" --input-shape "$shapes" --threads "$threads" "${batch[@]}" \
    --warmup "$warmup" > "$out/torch-$1.json"
}
ours() {
  "$root/bin/cnn-spark" bench --json --arch "$ourarch" --input-shape "$shapes" --threads "$threads" "${batch[@]}" \
    > "$out/ours-$1.json"
}
for r in $(seq 1 "$rounds"); do
  if (( r % 2 )); then ours "$r"; torch "$r"; torchcpu "$r"; else torchcpu "$r"; torch "$r"; ours "$r"; fi
  echo "round $r done" >&2
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
ours, torch, backend = {}, {}, "?"
ourscpu, torchcpu = {}, {}
for r in range(1, rounds + 1):
    o = json.load(open(f"{out}/ours-{r}.json"))
    backend = o["backend"]
    for c in o["results"]:
        ours.setdefault((c["input_shape"], c["mode"], c["threads"]), []).append(c["img_per_s"])
        if c["threads"] == 1:
            ourscpu.setdefault((c["input_shape"], c["mode"]), []).append(c["img_per_cpu_s"])
    for c in json.load(open(f"{out}/torchcpu-{r}.json"))["results"]:
        torchcpu.setdefault((c["input_shape"], c["mode"]), []).append(c["img_per_cpu_s"])
    for c in json.load(open(f"{out}/torch-{r}.json"))["results"]:
        torch.setdefault((c["input_shape"], c["mode"], c["threads"]), []).append(c["img_per_s"])
print(f"| input | mode | threads | cnn-spark img/s ({backend}) | PyTorch 1.13 img/s | ratio |")
print("|---|---|---|---|---|---|")
for key, v in sorted(ours.items()):
    shape, mode, thr = key
    a, b = statistics.median(v), statistics.median(torch[key])
    print(f"| {shape} | {mode} | {thr} | {a:,.0f} | {b:,.0f} | {a / b:.2f}x |")
print()
print(f"| input | mode | threads | cnn-spark img/CPU-s | PyTorch img/CPU-s | ratio |")
print("|---|---|---|---|---|---|")
for (shape, mode), v in sorted(ourscpu.items()):
    a, b = statistics.median(v), statistics.median(torchcpu[(shape, mode)])
    print(f"| {shape} | {mode} | 1 | {a:,.0f} | {b:,.0f} | {a / b:.2f}x |")
PY
