#!/usr/bin/env bash
# Test accuracy per epoch against the number of workers (W = 1, 2, 4, 8, 16 on local[2]) for each
# setting of the table in bench/accuracy_vs_workers.py, 3 seeds, on full Fashion-MNIST and on 1,200
# images in class folders, with PyTorch in one process beside them; prints the table, writes
# accuracy-vs-workers.txt and .png under target/bench/scaling. Hours on 2 cores: finished cells are
# skipped, so stop and rerun at will. --quick: W = 1, 2, 8, one seed, 2 epochs. --help: options.
# Debian's python: PyTorch and matplotlib come as python3-torch and python3-matplotlib.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec /usr/bin/python3 "$root/bench/accuracy_vs_workers.py" "$@"
