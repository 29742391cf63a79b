#!/usr/bin/env bash
# Engine throughput beside PyTorch 1.13 on the same machine, measured back to back, ROUNDS times
# (default 2), alternating which goes first. The machines are shared: read the ratios, not the
# absolute figures. Needs: apt-get install -y python3-torch libopenblas0-openmp
# Prints a Markdown table (median over rounds of each side's median img/s, and the ratio).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${OUT:-$root/target/bench}"
rounds="${ROUNDS:-2}"
peer="${PEER:-$root/../shared/peers/torch_cnn_bench.py}"
[ -f "$peer" ] || peer="$root/deploy/bench/torch_cnn_bench.py"
mkdir -p "$out"
torch() {
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_WAIT_POLICY=PASSIVE \
    /usr/bin/python3 "$peer" --sections thru --capacity-probe 0 --target-s 1.0 --json-out "$out/torch-$1.json" > "$out/torch-$1.log"
}
ours() {
  "$root/bin/cnn-spark" bench --json > "$out/ours-$1.json"
}
for r in $(seq 1 "$rounds"); do
  if (( r % 2 )); then ours "$r"; torch "$r"; else torch "$r"; ours "$r"; fi
  echo "round $r done" >&2
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
names = {"1x28x28": "fmnist_1x28x28", "3x32x32": "cifar_3x32x32"}
ours, torch, backend = {}, {}, "?"
for r in range(1, rounds + 1):
    o = json.load(open(f"{out}/ours-{r}.json"))
    backend = o["backend"]
    for c in o["results"]:
        ours.setdefault((c["input_shape"], c["mode"], c["threads"]), []).append(c["img_per_s"])
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
PY
