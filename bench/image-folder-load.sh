#!/usr/bin/env bash
# Loading an image folder of many small files: Fashion-MNIST's 60,000 training images as PNGs in
# one folder per class, loaded by `train --master local[2] --workers 2` ROUNDS times (default 3).
# Prints per run the driver's listing (files/s, from its log line), the decoding job, and the
# split job that deals the records out to the workers (Spark's job durations from the log), and
# their sum. The folder is written once (bench/accuracy_vs_workers.py's PNG writer).
# Env: DATA (default /usr/share/datasets/fashion-mnist), PER_CLASS (6000), ROUNDS (3), OUT.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${DATA:-/usr/share/datasets/fashion-mnist}"
per_class="${PER_CLASS:-6000}"
rounds="${ROUNDS:-3}"
out="${OUT:-$root/target/bench/image-folder-load}"
folder="$out/fashion-png-$per_class"
mkdir -p "$out"
if [ ! -d "$folder" ]; then
  python3 -c "import sys; sys.path.insert(0, '$root/bench'); import accuracy_vs_workers as a; \
a.write_class_folders('$data', 'train', $per_class, '$folder')"
fi
"$root/bin/cnn-spark" --version >/dev/null  # builds the jars if needed
export OPENBLAS_NUM_THREADS=1
for r in $(seq 1 "$rounds"); do
  log="$out/load-$r.log"
  rm -rf "$out/model"
  "$root/bin/cnn-spark" train --verbose --data "$folder" --input-shape 1x28x28 --arch "flatten dense(10)" \
    --epochs 1 --workers 2 --master 'local[2]' --out "$out/model" > "$log" 2>&1
  python3 - "$log" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
listed = re.search(r"listed (\d+) images in (\d+) class folders of \S+ in ([\d.]+) s \((\d+) files/s\)", text)
jobs = {}
for m in re.finditer(r"Job \d+ finished: (cnn-spark load [^,]*?: (decode|split)[^,]*), took ([\d.]+) ms", text):
    jobs[m.group(2)] = float(m.group(3)) / 1000
files, folders, list_s = int(listed.group(1)), int(listed.group(2)), float(listed.group(3))
total = list_s + jobs.get("decode", 0) + jobs.get("split", 0)
print(f"{files} files in {folders} folders: listing {list_s:.2f} s ({int(listed.group(4)):,} files/s), "
      f"decoding {jobs.get('decode', 0):.2f} s, split {jobs.get('split', 0):.2f} s; "
      f"listed and decoded in {total:.2f} s ({files / total:,.0f} files/s); load average {sys.argv[2]}")
PY
done
