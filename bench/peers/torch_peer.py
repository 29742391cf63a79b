#!/usr/bin/env python3
"""PyTorch on the tutorial CNN (or, with --arch, torchvision's resnet18/34/50 with 10 classes),
measured the way cnn-spark measures itself, so the benchmark
scripts in bench/ can set the two side by side in the same minute. One measurement per run:

  throughput  img/s of training steps (forward + backward + SGD-momentum step, batch 64) and of
              inference (forward, batch 256) on random images, for each input shape and thread
              count; the median of --repeats timed runs of about --seconds each, the runs of all
              cells interleaved so that a neighbour on the host slows every cell alike.
  cputime     the same cells at 1 thread, in images per second of process CPU time (the
              counterpart of `cnn-spark bench`'s img_per_cpu_s), which a shared machine disturbs
              far less than wall time. Run it with OMP_NUM_THREADS=1.
  train       Fashion-MNIST: SGD with momentum on [0, 1] pixels, test accuracy after each epoch;
              --per-class N and --test-per-class N keep the first N training and test images
              of each class (file order), the images bench/accuracy_vs_workers.py writes into
              its class folders.

Writes one JSON object to stdout; throughput and cputime use the field names of
`cnn-spark bench --json` ("results": [{"mode", "input_shape", "threads", "batch", ...}]).

Needs Debian's python3-torch and libopenblas0-openmp; select OpenBLAS (python3-torch alone links
the reference BLAS, ~3x slower) and keep idle OpenMP threads from spinning:

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_WAIT_POLICY=PASSIVE \\
        /usr/bin/python3 bench/peers/torch_peer.py throughput
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

from tutorial_cnn import TutorialCNN, fashion_mnist

TRAIN_BATCH, INFER_BATCH = 64, 256


def train_step(model, opt, x, y):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


class Cell:
    """One (mode, input shape, threads) cell: model, optimizer and batches built once, then timed
    runs on demand."""

    def __init__(self, mode, shape, threads, seconds, arch="tutorial-cnn", warmup=20, seed=0, batch=None):
        self.mode, self.shape, self.threads = mode, shape, threads
        self.batch = batch or (TRAIN_BATCH if mode == "train" else INFER_BATCH)
        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        if arch == "tutorial-cnn":
            self.model = TutorialCNN(*shape)
        else:
            import torchvision
            self.model = getattr(torchvision.models, arch)(num_classes=10)
        self.model.train(mode == "train")
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        g = torch.Generator().manual_seed(seed)
        xs = torch.rand(self.batch * 8, *shape, generator=g)
        ys = torch.randint(0, 10, (xs.shape[0],), generator=g)
        self.batches = [(xs[i:i + self.batch], ys[i:i + self.batch]) for i in range(0, xs.shape[0], self.batch)]
        for i in range(warmup):  # oneDNN primitive creation, allocator warm-up
            self.step(i)
        t0 = time.perf_counter()
        for i in range(5):
            self.step(i)
        self.steps_per_run = max(10, int(seconds / max((time.perf_counter() - t0) / 5, 1e-6)))
        self.runs = []

    def step(self, i):
        x, y = self.batches[i % len(self.batches)]
        if self.mode == "train":
            train_step(self.model, self.opt, x, y)
        else:
            with torch.no_grad():
                torch.softmax(self.model(x), 1)

    def run(self, clock):
        """One timed run: images per second of `clock` (perf_counter or process_time)."""
        torch.set_num_threads(self.threads)
        for i in range(3):  # re-warm after another cell's thread count
            self.step(i)
        t0 = clock()
        for i in range(self.steps_per_run):
            self.step(i)
        self.runs.append(self.steps_per_run * self.batch / (clock() - t0))

    def result(self, field):
        return {"mode": self.mode, "input_shape": "x".join(map(str, self.shape)), "threads": self.threads,
                "batch": self.batch, field: statistics.median(self.runs), "runs": self.runs}


def measure(args, threads, clock, field):
    shapes = [tuple(int(d) for d in s.split("x")) for s in args.input_shape.split(",")]
    cells = [Cell(mode, shape, t, args.seconds, args.arch, warmup=args.warmup, batch=args.batch)
             for shape in shapes for mode in ("train", "infer") for t in threads]
    for _ in range(args.repeats):
        for cell in cells:
            cell.run(clock)
    return [cell.result(field) for cell in cells]


def first_per_class(x, y, n):
    """The first n examples of each class, in file order (all when n is 0)."""
    if not n:
        return x, y
    keep = torch.cat([(y == c).nonzero().flatten()[:n] for c in range(int(y.max()) + 1)]).sort().values
    return x[keep], y[keep]


def train(args):
    torch.set_num_threads(args.threads_train)
    xtr, ytr = first_per_class(*fashion_mnist(args.data_dir, "train"), args.per_class)
    xte, yte = first_per_class(*fashion_mnist(args.data_dir, "t10k"), args.test_per_class)
    torch.manual_seed(args.seed)
    model = TutorialCNN(1, 28, 28)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    g = torch.Generator().manual_seed(args.seed)
    steps_per_epoch = -(-xtr.shape[0] // args.batch_size)
    # stepped every iteration, as cnn-spark applies its schedule per step
    sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs * steps_per_epoch)
             if args.lr_schedule == "cosine" else None)
    epochs = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0, loss_sum, steps = time.perf_counter(), 0.0, 0
        for idx in torch.randperm(xtr.shape[0], generator=g).split(args.batch_size):
            loss_sum += train_step(model, opt, xtr[idx], ytr[idx]).item()
            steps += 1
            if sched:
                sched.step()
        seconds = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            correct = sum((model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item()
                          for i in range(0, xte.shape[0], 1000))
        epochs.append({"epoch": epoch, "train_loss": loss_sum / steps, "test_accuracy": correct / xte.shape[0],
                       "seconds": seconds})
    return epochs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("measurement", choices=["throughput", "cputime", "train"])
    ap.add_argument("--input-shape", default="1x28x28,3x32x32", help="CxHxW[,...] (throughput, cputime)")
    ap.add_argument("--arch", default="tutorial-cnn", choices=["tutorial-cnn", "resnet18", "resnet34", "resnet50"],
                    help="model (throughput, cputime): the tutorial CNN or torchvision's, 10 classes")
    ap.add_argument("--threads", default="1,2", help="thread counts (throughput)")
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per cell, median reported")
    ap.add_argument("--seconds", type=float, default=1.0, help="length of one timed run")
    ap.add_argument("--batch", type=int, default=0, help="batch of both modes (throughput, cputime; 0: 64 train, 256 infer)")
    ap.add_argument("--warmup", type=int, default=20, help="untimed steps per cell first (throughput, cputime)")
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist", help="Fashion-MNIST IDX .gz files (train)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads-train", type=int, default=1, help="threads for train")
    ap.add_argument("--batch-size", type=int, default=TRAIN_BATCH, help="minibatch size for train")
    ap.add_argument("--per-class", type=int, default=0, help="train on the first N images of each class (0: all)")
    ap.add_argument("--test-per-class", type=int, default=0, help="test on the first N images of each class (0: all)")
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--lr-schedule", choices=["constant", "cosine"], default="constant",
                    help="train: cosine = CosineAnnealingLR over all steps of the run, stepped per iteration")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    out = {"torch": torch.__version__, "measurement": args.measurement}
    if args.measurement == "throughput":
        out["results"] = measure(args, [int(t) for t in args.threads.split(",")], time.perf_counter, "img_per_s")
    elif args.measurement == "cputime":
        out["results"] = measure(args, [1], time.process_time, "img_per_cpu_s")
    else:
        out["epochs"] = train(args)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
