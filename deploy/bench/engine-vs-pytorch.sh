#!/usr/bin/env bash
# Engine throughput beside PyTorch 1.13 on the same machine, measured back to back, ROUNDS times
# (default 2), alternating which goes first. The machines are shared: read the ratios, not the
# absolute figures. Needs: apt-get install -y python3-torch libopenblas0-openmp
# Prints two Markdown tables: wall-clock img/s (median over rounds of each side's median, and the
# ratio), and, at 1 thread, img/s per second of process CPU time (torch_cpu_time.py beside ours),
# which a shared machine disturbs far less.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${OUT:-$root/target/bench}"
rounds="${ROUNDS:-2}"
peer="${PEER:-$root/../shared/peers/torch_cnn_bench.py}"
[ -f "$peer" ] || peer="$root/deploy/bench/torch_cnn_bench.py"
mkdir -p "$out"
torchcpu() {
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_NUM_THREADS=1 \
    /usr/bin/python3 "$root/deploy/bench/torch_cpu_time.py" > "$out/torchcpu-$1.json"
}
torch() {
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_WAIT_POLICY=PASSIVE \
    /usr/bin/python3 "$peer" --sections thru --capacity-probe 0 --target-s 1.0 --json-out "$out/torch-$1.json" > "$out/torch-$1.log"
}
ours() {
  "$root/bin/cnn-spark" bench --json > "$out/ours-$1.json"
}
for r in $(seq 1 "$rounds"); do
  if (( r % 2 )); then ours "$r"; torch "$r"; torchcpu "$r"; else torchcpu "$r"; torch "$r"; ours "$r"; fi
  echo "round $r done" >&2
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
names = {"1x28x28": "fmnist_1x28x28", "3x32x32": "cifar_3x32x32"}
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
    t = json.load(open(f"{out}/torch-{r}.json"))
    for c in t["throughput"]:
        torch.setdefault((c["input"], "infer" if c["kind"] == "infer" else "train", c["threads"]), []).append(c["img_s_median"])
print(f"| input | mode | threads | cnn-spark img/s ({backend}) | PyTorch 1.13 img/s | ratio |")
print("|---|---|---|---|---|---|")
for (shape, mode, thr), v in sorted(ours.items()):
    tv = torch.get((names[shape], mode, thr))
    a = statistics.median(v)
    b = statistics.median(tv) if tv else float("nan")
    print(f"| {shape} | {mode} | {thr} | {a:,.0f} | {b:,.0f} | {a / b:.2f}x |")
print()
print(f"| input | mode | threads | cnn-spark img/CPU-s | PyTorch img/CPU-s | ratio |")
print("|---|---|---|---|---|---|")
for (shape, mode), v in sorted(ourscpu.items()):
    a, b = statistics.median(v), statistics.median(torchcpu[(shape, mode)])
    print(f"| {shape} | {mode} | 1 | {a:,.0f} | {b:,.0f} | {a / b:.2f}x |")
PY
