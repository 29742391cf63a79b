#!/usr/bin/env python3
"""Test accuracy per epoch against the number of workers: does adding executors make the model
worse per epoch? Trains a grid of cells, one `bin/cnn-spark train` run each,

    case (a dataset with its epochs, batch size and worker counts)
  x setting (a name + extra CLI flags, from the SETTINGS table below)
  x W workers (`--master local[2] --workers W`: W partitions, as on a W-executor cluster)
  x seed,

plus PyTorch in one process (bench/peers/torch_peer.py train) with the same seeds, epochs and
batch size. Each cell writes its own result file, results/CASE/SETTING/W<W>-seed<S>.json, and a
cell whose file exists with the same command line is skipped: stop the script at any time and run
it again to go on (a cell cut short resumes from its last checkpoint, `train --resume`). Change a
setting's flags and its cells run again. Then it prints a table (mean and min-max test accuracy
after each epoch, rounds per epoch, bytes through the driver per epoch, training seconds per
epoch) into accuracy-vs-workers.txt and draws accuracy-vs-workers.png (one panel per setting,
one curve per W).

Bytes through the driver: each round every partition sends back its parameters and optimizer
state (4 bytes a value) and the driver broadcasts them once, so an epoch moves
rounds x (W + 1) x 4 x (P + S) bytes, P and S read from the model file's header.

Run it through bench/accuracy-vs-workers.sh (--help for the options).
"""
import argparse
import datetime
import gzip
import hashlib
import json
import math
import os
import shlex
import shutil
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FASHION = "/usr/share/datasets/fashion-mnist"
BN_RECIPE = ("conv(32,3,pad=1) bn relu maxpool(2) conv(64,3,pad=1) bn relu maxpool(2) "
             "flatten dense(128) relu dropout(0.3) dense(10)")


@dataclass(frozen=True)
class Setting:
    """A named way to train: `flags` are added to the case's command line, either a string (split
    as a shell would), a tuple of arguments, or a function of W giving a string (for values that
    depend on the number of workers). `workers` and `cases` restrict where it runs (None:
    everywhere). `runner` "pytorch" runs torch_peer.py train instead, once per seed (W = 1), with
    `flags` added to its command line."""
    name: str
    flags: object = ""
    workers: tuple = None
    cases: tuple = None
    runner: str = "cnn-spark"

    def args(self, w):
        flags = self.flags(w) if callable(self.flags) else self.flags
        return list(flags) if isinstance(flags, tuple) else shlex.split(flags)


# The options before issue 11, spelled out since the CLI's defaults changed: contiguous ranges
# of records, one round per epoch, plain averaging, the same learning rate whatever W.
# (`train` refuses an option given twice: a row with other rounds passes them to today().)
def today(rounds=1):
    return (f"--split contiguous --rounds-per-epoch {rounds} --outer average --lr-schedule constant "
            "--lr-scaling none --warmup-epochs 0")


# The table of settings. `defaults` adds nothing, so it, Adam and the BatchNorm recipe follow the
# CLI's defaults when they change; `today` and the rows derived from it give today(). The rows
# tried while choosing the defaults spell out every option they set, so they keep their meaning
# whatever the defaults (docs/performance.md has their figures): mixed(...) is the mixed split with
# linear scaling, the given warm-up, rounds and outer rule.
def mixed(rounds, warmup=0.25, outer="--outer average"):
    return f"--split mixed --lr-scaling linear --warmup-epochs {warmup} --rounds-per-epoch {rounds} {outer}"


M05 = "--outer bmuf --outer-momentum 0.5"  # at W >= 2 the `momentum` rule's settings, bit for bit
SETTINGS = [
    Setting("today", today()),
    Setting("defaults"),
    Setting("linear-lr", lambda w: f"{today()} --lr {0.01 * w:g}"),
    Setting("k10-linear-lr", lambda w: f"{today(10)} --lr {0.01 * w:g}"),
    # the first defaults (mixed, linear, warm-up 0.25, 4 rounds) and the alternatives tried then
    Setting("lin-w025-k4", mixed(4)),
    Setting("lin-k4", mixed(4, 0)),
    Setting("lin-w01-k4", mixed(4, 0.1)),
    Setting("lin-warm-k4", mixed(4, 0.5)),
    Setting("lin-warm-k4-cos", mixed(4, 0.5) + " --lr-schedule cosine"),
    Setting("bmuf-k4", "--split mixed --lr-scaling none --warmup-epochs 0 --outer bmuf --rounds-per-epoch 4"),
    Setting("lin-bmuf-k4", mixed(4, outer="--outer bmuf")),
    Setting("lin-m05-k4", mixed(4, outer=M05)),
    Setting("sqrt-bmuf-k4", mixed(4, outer="--outer bmuf").replace("linear", "sqrt")),
    # then: more averages in epoch 1 (8 or 12, then 3 or 2: 20 rounds in 5 epochs, as 4 per epoch),
    # outer momentum 0.5 (the `momentum` rule) or 0.7, no warm-up; a cap of 16 at W = 16. The rows
    # that lean on the defaults (mixed, linear, warm-up 0.25, average) are written as they ran
    Setting("k8-3", "--rounds-per-epoch 8,3"),
    Setting("k12-2", mixed("12,2")),
    Setting("k8-3-m05", mixed("8,3", outer=M05)),
    Setting("k8-3-m07", mixed("8,3", outer="--outer bmuf --outer-momentum 0.7")),
    Setting("k12-2-m05", mixed("12,2", outer=M05)),
    Setting("k8-3-m05-w0", "--rounds-per-epoch 8,3 --outer bmuf --outer-momentum 0.5 --warmup-epochs 0"),
    Setting("k8-3-cap16", "--rounds-per-epoch 8,3 --max-lr-scale 16", workers=(16,)),
    Setting("k8-3-cap16-w05", "--rounds-per-epoch 8,3 --max-lr-scale 16 --warmup-epochs 0.5", workers=(16,)),
    Setting("adam", "--optimizer adam", workers=(2, 8), cases=("fashion",)),
    Setting("bn-recipe", ("--arch", BN_RECIPE), workers=(4,), cases=("fashion",)),
    Setting("pytorch", runner="pytorch", workers=(1,)),
]


@dataclass(frozen=True)
class Case:
    """A dataset and its schedule: `epochs` (quick mode: `quick_epochs`), `batch` per worker, the
    worker counts it runs at, the data options of `train` and those of torch_peer.py train."""
    name: str
    title: str
    epochs: int
    quick_epochs: int
    batch: int
    workers: tuple
    train_args: tuple
    torch_args: tuple


def cases(data_dir, out):
    folder = os.path.join(out, "data", "fashion-1200")
    return [
        Case("fashion", "full Fashion-MNIST (60,000 images)", 5, 2, 64, (1, 2, 4, 8, 16),
             ("--data", f"{data_dir}/train-images-idx3-ubyte.gz", "--test", f"{data_dir}/t10k-images-idx3-ubyte.gz"),
             ("--data-dir", data_dir)),
        Case("folder-1200", "1,200 images in class folders (120 per class; tested on 2,000)", 10, 10, 32, (1, 2),
             ("--data", f"{folder}/train", "--test", f"{folder}/test-2000", "--format", "images"),
             ("--data-dir", data_dir, "--per-class", "120", "--test-per-class", "200")),
    ]


# ---- the class-folder dataset -------------------------------------------------------------

def read_idx(path):
    """(dims, bytes) of a gzip IDX file of uint8 values. (peers/tutorial_cnn.py reads IDX too, into
    tensors; this script has to run where PyTorch is not installed.)"""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    return struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim]), raw[4 + 4 * ndim:]


def write_png(path, width, height, gray):
    """An 8-bit grayscale PNG: signature, IHDR, one IDAT (each row behind filter byte 0), IEND."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + gray[r * width:(r + 1) * width] for r in range(height))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def write_class_folders(data_dir, prefix, per_class, dest):
    """The first `per_class` images of each class of `prefix`, in file order, as
    dest/<class>/<index>.png; the folder appears only when complete."""
    (n, h, w), pixels = read_idx(f"{data_dir}/{prefix}-images-idx3-ubyte.gz")
    _, labels = read_idx(f"{data_dir}/{prefix}-labels-idx1-ubyte.gz")
    tmp = dest + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    taken = {}
    for i in range(n):
        c = labels[i]
        if taken.get(c, 0) >= per_class:
            continue
        taken[c] = taken.get(c, 0) + 1
        os.makedirs(f"{tmp}/class-{c}", exist_ok=True)
        write_png(f"{tmp}/class-{c}/{i:05d}.png", w, h, pixels[i * h * w:(i + 1) * h * w])
    os.rename(tmp, dest)


def prepare_folder_case(data_dir, out):
    folder = os.path.join(out, "data", "fashion-1200")
    os.makedirs(folder, exist_ok=True)
    if not os.path.isdir(f"{folder}/train"):
        write_class_folders(data_dir, "train", 120, f"{folder}/train")
    # 200 test images per class, not all 10,000: listing a folder costs a process per file
    # through Hadoop's local file system (minutes for 10,000 on a busy machine)
    if not os.path.isdir(f"{folder}/test-2000"):
        write_class_folders(data_dir, "t10k", 200, f"{folder}/test-2000")


# ---- running cells ------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    case: Case
    setting: Setting
    w: int
    seed: int
    epochs: int

    @property
    def label(self):
        return f"{self.case.name} {self.setting.name} W={self.w} seed {self.seed}"

    def result_path(self, out):
        return os.path.join(out, "results", self.case.name, self.setting.name, f"W{self.w}-seed{self.seed}.json")

    def command(self, master):
        """The command line, without the output directory (which names it)."""
        if self.setting.runner == "pytorch":
            return ([sys.executable, os.path.join(ROOT, "bench", "peers", "torch_peer.py"), "train",
                     *self.case.torch_args, "--epochs", str(self.epochs), "--batch-size", str(self.case.batch),
                     "--seed", str(self.seed), "--threads-train", "1", *self.setting.args(self.w)])
        return [os.path.join(ROOT, "bin", "cnn-spark"), "train", *self.case.train_args,
                "--epochs", str(self.epochs), "--batch-size", str(self.case.batch), "--master", master,
                "--workers", str(self.w), "--seed", str(self.seed), *self.setting.args(self.w)]


def grid(args, all_cases):
    settings = [s for s in SETTINGS if args.settings is None or s.name in args.settings]
    for name in args.settings or []:
        if name not in [s.name for s in SETTINGS]:
            sys.exit(f"no setting '{name}'; the table has: {', '.join(s.name for s in SETTINGS)}")
    cells = []
    for seed in args.seeds:
        for case in all_cases:
            if args.cases is not None and case.name not in args.cases:
                continue
            for s in settings:
                if s.cases is not None and case.name not in s.cases:
                    continue
                for w in case.workers:
                    if (s.workers is None or w in s.workers) and (args.workers is None or w in args.workers):
                        cells.append(Cell(case, s, w, seed, case.quick_epochs if args.quick else case.epochs))
    return cells


def model_sizes(model_file):
    """(P, S): parameter and optimizer-state counts from a model file's header (ModelFile's layout:
    magic, version, header length H, H bytes of JSON, P, P floats, S, ...)."""
    with open(model_file, "rb") as f:
        head = f.read(16)
        (h,) = struct.unpack("<i", head[12:16])
        f.seek(16 + h)
        (p,) = struct.unpack("<i", f.read(4))
        f.seek(16 + h + 4 + 4 * p)
        (s,) = struct.unpack("<i", f.read(4))
    return p, s


def per_epoch(metrics):
    """{epoch: (test accuracy after its last scored round, rounds, training seconds)}."""
    out = {}
    for m in metrics:
        acc, rounds, seconds = out.get(m["epoch"], (float("nan"), 0, 0.0))
        out[m["epoch"]] = (m.get("test_accuracy", acc), rounds + 1, seconds + m["seconds"])
    return out


def finished(cell, args):
    """Whether the cell has a result of the same command line."""
    path = cell.result_path(args.out)
    if not os.path.exists(path):
        return False
    with open(path) as f:
        if json.load(f)["command"] == cell.command(args.master):
            return True
    print(f"{cell.label}: the command changed since its result was written; running it again", file=sys.stderr)
    return False


def run_cell(cell, args, stamp):
    cmd = cell.command(args.master)
    path = cell.result_path(args.out)
    key = hashlib.sha1(json.dumps(cmd).encode()).hexdigest()[:10]
    run_dir = os.path.join(args.out, "runs", cell.case.name, cell.setting.name, f"W{cell.w}-seed{cell.seed}-{key}")
    os.makedirs(os.path.dirname(run_dir), exist_ok=True)
    env = dict(os.environ)
    if cell.setting.runner == "pytorch":
        full = cmd
        # torch's reference BLAS is ~3x slower than OpenBLAS (see torch_peer.py)
        env.setdefault("LD_LIBRARY_PATH", "/usr/lib/x86_64-linux-gnu/openblas-openmp")
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    else:
        full = cmd + ["--out", run_dir, "--resume"]
    t0 = time.time()
    with open(run_dir + ".log", "ab") as log:
        stdout = subprocess.PIPE if cell.setting.runner == "pytorch" else log
        proc = subprocess.run(full, stdout=stdout, stderr=log, env=env)
    result = {"case": cell.case.name, "setting": cell.setting.name, "workers": cell.w, "seed": cell.seed,
              "epochs": cell.epochs, "runner": cell.setting.runner, "command": cmd, "exit_code": proc.returncode,
              "wall_seconds": round(time.time() - t0, 1), **stamp}
    if proc.returncode < 0 or proc.returncode in (1, 130, 137, 143):
        # killed or an unexpected failure: leave no result, so the next run tries again
        return f"failed (exit {proc.returncode}, log {run_dir}.log)"
    if proc.returncode == 0 and cell.setting.runner == "pytorch":
        epochs = json.loads(proc.stdout)["epochs"]
        result["epoch_results"] = [{"epoch": e["epoch"], "test_accuracy": e["test_accuracy"], "rounds": 0,
                                    "seconds": e["seconds"]} for e in epochs]
        result["bytes_per_round"] = 0
    elif proc.returncode == 0:
        with open(os.path.join(run_dir, "metrics.jsonl")) as f:
            metrics = [json.loads(line) for line in f if line.strip()]
        p, s = model_sizes(os.path.join(run_dir, "model.cnn"))
        result["params"], result["optimizer_state"] = p, s
        result["bytes_per_round"] = (cell.w + 1) * 4 * (p + s)
        result["epoch_results"] = [{"epoch": e, "test_accuracy": a, "rounds": r, "seconds": sec}
                                   for e, (a, r, sec) in sorted(per_epoch(metrics).items())]
        result["metrics"] = metrics
    # exit 2 (refused options, divergence) is a result too: the table shows it, reruns skip it
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(result, f)
    os.replace(path + ".tmp", path)
    shutil.rmtree(run_dir, ignore_errors=True)
    if proc.returncode:
        return f"exit {proc.returncode} recorded (log {run_dir}.log)"
    last = result["epoch_results"][-1]
    return f"done in {result['wall_seconds']:.0f} s, epoch {last['epoch']}: {100 * last['test_accuracy']:.2f}%"


# ---- the table and the picture ------------------------------------------------------------

def load_results(cells, out):
    """{(case, setting, W): [result, ...]} for the cells of this grid that have a result."""
    rows = {}
    for c in cells:
        path = c.result_path(out)
        if os.path.exists(path):
            with open(path) as f:
                r = json.load(f)
            if r["command"] == c.command(r["master"]):
                rows.setdefault((c.case.name, c.setting.name, c.w), []).append(r)
    return rows


def accuracies(results):
    """{epoch: [test accuracy in %, one per seed]}."""
    acc = {}
    for r in results:
        for e in r.get("epoch_results", []):
            acc.setdefault(e["epoch"], []).append(100 * e["test_accuracy"])
    return acc


def spread(values):
    mean = sum(values) / len(values)
    return f"{mean:.2f}" if len(values) == 1 else f"{mean:.2f} ({min(values):.2f}-{max(values):.2f})"


def table(cells, rows, all_cases):
    lines = []
    for case in all_cases:
        keys = [k for k in dict.fromkeys((c.case.name, c.setting.name, c.w) for c in cells) if k[0] == case.name]
        if not any(k in rows for k in keys):
            continue
        epochs = max(c.epochs for c in cells if c.case.name == case.name)
        lines += [f"{case.title}, {epochs} epochs, batch {case.batch} per worker; test accuracy in %, "
                  "mean (min-max) over seeds", "",
                  "| setting | W | seeds | rounds/epoch | MB/epoch via driver | s/epoch | "
                  + " | ".join(f"epoch {e}" for e in range(1, epochs + 1)) + " |",
                  "|---" * (6 + epochs) + "|"]
        for key in keys:
            results = rows.get(key, [])
            done = [r for r in results if r["exit_code"] == 0]
            failed = ", ".join(f"seed {r['seed']}: exit {r['exit_code']}" for r in results if r["exit_code"])
            if not done:
                if failed:
                    lines.append(f"| {key[1]} | {key[2]} | 0 | | | | {failed} |")
                continue
            ep = [e for r in done for e in r["epoch_results"]]
            rounds = [e["rounds"] for e in done[0]["epoch_results"]]
            mean_rounds = sum(rounds) / len(rounds)
            pytorch = done[0]["runner"] == "pytorch"
            rounds_text = "-" if pytorch else (f"{rounds[0]}" if len(set(rounds)) == 1
                                               else f"{mean_rounds:.1f} ({','.join(map(str, rounds))})")
            mb = "-" if pytorch else f"{mean_rounds * done[0]['bytes_per_round'] / 1e6:.1f}"
            seconds = sum(e["seconds"] for e in ep) / len(ep)
            acc = accuracies(done)
            seeds = f"{len(done)}" + (f" ({failed})" if failed else "")
            lines.append(f"| {key[1]} | {'1 process' if pytorch else key[2]} | {seeds} | {rounds_text} | {mb} | "
                         f"{seconds:.0f} | " + " | ".join(spread(acc[e]) if e in acc else "" for e in range(1, epochs + 1))
                         + " |")
        lines.append("")
    return "\n".join(lines)


def plot(cells, rows, all_cases, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        print("no PNG: matplotlib is missing (apt-get install -y python3-matplotlib)", file=sys.stderr)
        return
    panels = [(case, name) for case in all_cases
              for name in dict.fromkeys(c.setting.name for c in cells
                                        if c.case.name == case.name and c.setting.runner != "pytorch")
              if any(k[0] == case.name and k[1] == name for k in rows)]
    if not panels:
        return
    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    for ax, (case, name) in zip(axes.flat, panels):
        for (cname, sname, w), results in sorted(rows.items(), key=lambda kv: kv[0][2]):
            done = [r for r in results if r["exit_code"] == 0]
            if cname != case.name or not done or (sname != name and done[0]["runner"] != "pytorch"):
                continue
            acc = accuracies(done)
            xs = sorted(acc)
            mean = [sum(acc[e]) / len(acc[e]) for e in xs]
            pytorch = done[0]["runner"] == "pytorch"
            # one colour per W in every panel
            color = "black" if pytorch else f"C{int(math.log2(w)) % 10}"
            ax.plot(xs, mean, "--" if pytorch else "o-", color=color, markersize=3,
                    label="PyTorch, 1 process" if pytorch else f"W={w}")
            if len(done) > 1:
                ax.fill_between(xs, [min(acc[e]) for e in xs], [max(acc[e]) for e in xs], color=color, alpha=0.15)
        ax.set_title(f"{case.name}: {name}", fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel("test accuracy (%)")
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=7)
    # one accuracy scale for all panels of a case, so settings compare at a glance
    for case in all_cases:
        axes_of_case = [ax for ax, (c, _) in zip(axes.flat, panels) if c is case]
        if axes_of_case:
            low = min(ax.get_ylim()[0] for ax in axes_of_case)
            high = max(ax.get_ylim()[1] for ax in axes_of_case)
            for ax in axes_of_case:
                ax.set_ylim(low, high)
    fig.tight_layout()
    fig.savefig(path, dpi=72)
    print(f"picture: {path}", file=sys.stderr)


# ---- main ---------------------------------------------------------------------------------

def stamp():
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    with open("/proc/cpuinfo") as f:
        flags = sorted({w for w in f.read().split() if w in ("avx2", "avx512f", "avx512_bf16")})
    return {"date": datetime.date.today().isoformat(), "commit": commit + ("+changes" if dirty else ""),
            "cpu_flags": " ".join(flags)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="W = 1, 2, 8, seed 1, 2 epochs of full Fashion-MNIST (the folder case keeps its 10)")
    ap.add_argument("--settings", type=lambda s: s.split(","), help="some of: " + ",".join(s.name for s in SETTINGS) + " (default: all)")
    ap.add_argument("--cases", type=lambda s: s.split(","), help="fashion,folder-1200 (default: both)")
    ap.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], help="only these W")
    ap.add_argument("--seeds", type=lambda s: [int(x) for x in s.split(",")], help="default 1,2,3 (quick: 1)")
    ap.add_argument("--master", default="local[2]", help="Spark master of the cnn-spark cells")
    ap.add_argument("--data-dir", default=FASHION, help="Fashion-MNIST IDX .gz files")
    ap.add_argument("--out", help="results, runs, accuracy-vs-workers.txt, PNG (default target/bench/scaling[-quick])")
    ap.add_argument("--list", action="store_true", help="print the cells and their commands, run nothing")
    ap.add_argument("--report", action="store_true", help="table and PNG from the results so far, run nothing")
    args = ap.parse_args()
    if args.quick:
        args.workers = args.workers or [1, 2, 8]
    args.seeds = args.seeds or ([1] if args.quick else [1, 2, 3])
    args.out = os.path.abspath(args.out or os.path.join(ROOT, "target", "bench", "scaling-quick" if args.quick else "scaling"))
    all_cases = cases(args.data_dir, args.out)
    cells = grid(args, all_cases)
    os.makedirs(args.out, exist_ok=True)
    if args.list:
        for c in cells:
            print(f"{c.label}: {shlex.join(c.command(args.master))}")
        return 0
    failures = 0
    if not args.report:
        if any(c.case.name == "folder-1200" for c in cells):
            prepare_folder_case(args.data_dir, args.out)
        have_torch = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0
        info = {**stamp(), "master": args.master}
        print(f"{len(cells)} cells into {args.out}; {info['date']}, commit {info['commit']}, CPU {info['cpu_flags']}, "
              f"load average {open('/proc/loadavg').read().split()[0]}", file=sys.stderr)
        for i, cell in enumerate(cells, 1):
            if cell.setting.runner == "pytorch" and not have_torch:
                print(f"[{i}/{len(cells)}] {cell.label}: no PyTorch (apt-get install -y python3-torch "
                      "libopenblas0-openmp)", file=sys.stderr)
                continue
            if finished(cell, args):
                print(f"[{i}/{len(cells)}] {cell.label}: done before", file=sys.stderr)
                continue
            print(f"[{i}/{len(cells)}] {cell.label} ...", file=sys.stderr, flush=True)
            status = run_cell(cell, args, info)
            failures += status.startswith("failed")
            print(f"[{i}/{len(cells)}] {cell.label}: {status}", file=sys.stderr, flush=True)
    rows = load_results(cells, args.out)
    stamps = sorted({(r["date"], r["commit"], r["cpu_flags"]) for rs in rows.values() for r in rs})
    text = "".join(f"Recorded {d}, commit {c}, CPU flags {f}.\n" for d, c, f in stamps) + "\n" + table(cells, rows, all_cases)
    print(text)
    with open(os.path.join(args.out, "accuracy-vs-workers.txt"), "w") as f:
        f.write(text)
    plot(cells, rows, all_cases, os.path.join(args.out, "accuracy-vs-workers.png"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
