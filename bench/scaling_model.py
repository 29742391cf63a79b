#!/usr/bin/env python3
"""Scaling model (issue 13 item 5): fitted on bench/scaling.sh's measurements, checked against the
standalone-cluster runs of this machine, used to predict time per epoch and speed-up on E
executors of one core each (W = E partitions) on a 10 Gb/s network, for the tutorial CNN on
Fashion-MNIST and for a resnet50-sized vector on ImageNet-1k.

A round: W partitions of n/W images each, a vector of B = 4 (P + S) bytes, `slots` tasks at once
(local[2]: 2; a cluster: E) on `cpus` cores (this machine: 2; a cluster: E), waves = ceil(W/slots),
share = max(1, slots/cpus) (executor JVMs sharing cores), bw the network's bandwidth per node:

  fixed     r0 + r_t (W + shards)                      per round, per task (train and reduce tasks)
  compute   t0 + c (n/W) waves share                   the engine; c is a core's time per image
  broadcast (b0 + k_b B) share + B/bw + log2(E) min(B, 4 MB)/bw   executors only (local: 0)
  collect   r_c W B + W B/bw                           results serialised, sent to the driver, read
            d_c W B                                    and summed there (part of the driver's work)
  shuffle   r_s B waves share + 2 B (E-1)/E / bw       each training task writes its B to the shuffle;
                                                       each executor sends and receives B (E-1)/E
            ceil(shards/slots) share (p0 + p W shard)  the reduce tasks
            + B/bw                                     the averaged shards to the driver
  driver    d0 + d_b B (+ d_c W B when collecting)     creating the broadcast, summing or assembling

Fits (least squares, a term that fits negative is left out): c, t0 on the longest task of the
local[2] runs with W >= 2 (both cores busy); d0, d_b, d_c on driver_seconds of the local runs;
p0, p on reduce_seconds of the local shuffle runs; r0, r_t, r_c, r_s on what the local rounds
have left after compute, reduce tasks and driver; b0, k_b on broadcast_seconds of the standalone
runs with one executor per core (local tasks read the broadcast from their own JVM). The check
predicts each standalone run from the local fits plus the broadcast fit, with the loopback at
--loopback-gbps, and compares the median round and the epochs after a job's first (whose first
round JIT-compiles the engine on new JVMs). The predictions print the speed-up twice: with the
per-task cost r_t paid by the driver once per task, and paid by the executors once per wave.

Usage: bench/scaling_model.py [RESULTS.jsonl ...] [--gbps 10] [--loopback-gbps 40] [--rounds-per-epoch 4]
(several results files: the runs of one name are pooled, as more epochs)
"""
import argparse
import json
import math
import statistics as st

import numpy as np

AUTO_BYTES = 64 << 20                       # spark.cnnspark.reduce=auto: shuffle above W x B of this
MIN_FLOATS, MAX_FLOATS = 1 << 16, 1 << 20   # ShardLayout
BLOCK = 4 << 20                             # spark.broadcast.blockSize
TUTORIAL_P, RESNET50_P = 421642, 25557032
TUTORIAL_MACS, RESNET50_MACS = 4.24e6, 4.1e9  # forward multiply-adds per image (28x28; 224x224)


def shards(floats, w):
    """ShardLayout.of: (shards, floats per shard)."""
    per = -(-floats // max(1, w))
    size = max(MIN_FLOATS, min(MAX_FLOATS, per))
    return max(1, -(-floats // size)), size


def used_mode(r):
    if r["reduce"] != "auto":
        return r["reduce"]
    return "shuffle" if r["workers"] * r["bytes"] > AUTO_BYTES else "collect"


def medians(r):
    rs = r["rounds"]
    m = {k: st.median(x[k] for x in rs) for k in
         ("seconds", "task_seconds", "broadcast_seconds", "reduce_seconds", "driver_seconds", "examples")}
    epochs = r.get("epochs", 1)
    m["epoch_seconds"] = sum(x["seconds"] for x in rs) / epochs
    m["rounds_per_epoch"] = len(rs) / epochs
    # steady state: the epochs after a job's first (whose first round JIT-compiles the engine)
    later = [x for x in rs if x.get("job_epoch", x["epoch"]) > 1] or rs
    m["steady_epoch_seconds"] = sum(x["seconds"] for x in later) / len({(x.get("job", 0), x["epoch"]) for x in later})
    firsts = [x["seconds"] for x in rs if x.get("job_epoch", x["epoch"]) == 1 and x["round"] == 1]
    m["first_extra"] = st.median(firsts) - m["seconds"]
    return m


def lstsq(rows, ys):
    """Least squares with every coefficient >= 0: a term that fits negative is left out (0)."""
    a, y = np.array(rows, dtype=float), np.array(ys, dtype=float)
    keep = [j for j in range(a.shape[1]) if np.any(a[:, j])]
    while True:
        coef = np.zeros(a.shape[1])
        if keep:
            coef[keep], *_ = np.linalg.lstsq(a[:, keep], y, rcond=None)
        neg = [j for j in keep if coef[j] < 0]
        if not neg:
            return coef
        keep.remove(min(neg, key=lambda j: coef[j]))


def layout(r):
    """(slots, cpus, executors) of a run."""
    if r["kind"] == "local":
        return r["cores"], r["cores"], 0
    return r["workers"], r["cores"], r["workers"]


def fit(runs):
    local = [r for r in runs if r["kind"] == "local"]
    k = {"c": {}, "c1": {}}
    for model in sorted({r["model"] for r in local}):
        rs = [r for r in local if r["model"] == model and r["workers"] >= 2]
        t0, c = lstsq([[1, medians(r)["examples"] / r["workers"]] for r in rs], [medians(r)["task_seconds"] for r in rs])
        k["c"][model] = (t0, c)
        one = [r for r in local if r["model"] == model and r["workers"] == 1]
        if one:
            k["c1"][model] = medians(one[0])["task_seconds"] / medians(one[0])["examples"]
    d = lstsq([[1, r["bytes"], r["workers"] * r["bytes"] * (used_mode(r) == "collect")] for r in local],
              [medians(r)["driver_seconds"] for r in local])
    k.update(d0=d[0], d_b=d[1], d_c=d[2])
    rows, ys = [], []
    for r in local:
        if used_mode(r) == "shuffle":
            _, size = shards(r["bytes"] // 4, r["workers"])
            rows.append([1, r["workers"] * size * 4])
            ys.append(medians(r)["reduce_seconds"])
    p = lstsq(rows, ys) if rows else [0.0, 0.0]
    k.update(p0=p[0], p=p[1])
    rows, ys = [], []
    for r in local:
        if r["workers"] < 2:
            continue  # one busy core runs faster than c: its rest would come out negative
        m, w, b = medians(r), r["workers"], r["bytes"]
        slots, cpus, _ = layout(r)
        mode = used_mode(r)
        n_sh = shards(b // 4, w)[0] if mode == "shuffle" else 0
        t0, c = k["c"][r["model"]]
        waves = math.ceil(w / slots)
        rest = (m["seconds"] - m["driver_seconds"] - t0 - c * m["examples"] / w * waves
                - math.ceil(n_sh / slots) * m["reduce_seconds"])
        rows.append([1, w + n_sh, w * b * (mode == "collect"), b * waves * (mode == "shuffle")])
        ys.append(rest)
    rr = lstsq(rows, ys)
    k.update(r0=rr[0], r_t=rr[1], r_c=rr[2], r_s=rr[3])
    return k


def fit_broadcast(runs, loopback):
    cl = [r for r in runs if r["kind"] == "cluster" and r["workers"] <= r["cores"]]
    if not cl:
        return 0.0, 0.0
    b0, kb = lstsq([[1, r["bytes"]] for r in cl],
                   [medians(r)["broadcast_seconds"] - r["bytes"] / loopback
                    - math.log2(r["workers"]) * min(r["bytes"], BLOCK) / loopback for r in cl])
    return b0, kb


def predict(k, *, w, e, slots, cpus, b, n, t0, c, bw, b0, kb, mode=None, serial_tasks=True):
    """Seconds of one round, by part. e = executors (0: local mode, tasks in the driver's JVM).
    serial_tasks: the per-task cost r_t is the driver's, paid once per task (else the executors',
    paid once per wave of tasks)."""
    mode = mode or ("shuffle" if w * b > AUTO_BYTES else "collect")
    n_sh, size = shards(b // 4, w) if mode == "shuffle" else (0, 0)
    share = max(1.0, slots / cpus)
    waves = math.ceil(w / slots)
    net = e > 0
    tasks = w + n_sh if serial_tasks else waves + math.ceil(n_sh / slots)
    p = {"fixed": k["r0"] + k["r_t"] * tasks,
         "compute": t0 + c * n / w * waves * share,
         "broadcast": ((b0 + kb * b) * share + b / bw + math.log2(e) * min(b, BLOCK) / bw) if net else 0.0}
    if mode == "collect":
        p["results"] = k["r_c"] * w * b + (w * b / bw if net else 0)
        p["reduce"] = 0.0
        p["driver"] = k["d0"] + k["d_b"] * b + k["d_c"] * w * b
    else:
        p["results"] = k["r_s"] * b * waves * share + (b / bw if net else 0)
        p["reduce"] = (math.ceil(n_sh / slots) * share * (k["p0"] + k["p"] * w * size * 4)
                       + (2 * b * (e - 1) / e / bw if net else 0))
        p["driver"] = k["d0"] + k["d_b"] * b
    p["total"] = sum(p.values())
    p["mode"] = mode
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", nargs="*", default=["target/bench/scaling/results.jsonl"],
                    help="results.jsonl of bench/scaling.sh; runs of the same name in several files are pooled")
    ap.add_argument("--gbps", type=float, default=10.0, help="network bandwidth of every node (10)")
    ap.add_argument("--loopback-gbps", type=float, default=40.0, help="between JVMs on this machine (40)")
    ap.add_argument("--rounds-per-epoch", type=int, default=4)
    ap.add_argument("--resnet50-img-s", type=float, default=3.0,
                    help="resnet50 training images/s on one core (3: measured, docs/performance.md#resnets-issue-12)")
    args = ap.parse_args()
    pooled = {}
    for path in args.results:
        for line in open(path):
            if line.strip():
                r = json.loads(line)
                job = len(args.results) and args.results.index(path)
                r["rounds"] = [dict(x, job=job, job_epoch=x["epoch"]) for x in r["rounds"]]
                if r["name"] in pooled:  # another pass: its rounds join the first's, as further epochs
                    p = pooled[r["name"]]
                    shift = p.get("epochs", 1)
                    p["rounds"] += [dict(x, epoch=x["epoch"] + shift) for x in r["rounds"]]
                    p["epochs"] = shift + r.get("epochs", 1)
                else:
                    pooled[r["name"]] = r
    runs = list(pooled.values())
    print(f"## Measured: medians per round over {', '.join(sorted({str(r.get('epochs', 1)) for r in runs}))} epochs "
          f"of 4 rounds (CPU flags: {runs[0]['cpu_flags']}; commit {runs[0]['commit']})")
    print("| model | where | W | reduce | round s | task s | broadcast s | reduce s | driver s | rest s | img/s "
          "| s/epoch | s/epoch after the first |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in sorted(runs, key=lambda r: (r["model"] != "cnn", r["kind"] != "local", used_mode(r), r["workers"])):
        m, rs = medians(r), r["rounds"]
        rest = st.median(x["seconds"] - x["task_seconds"] - x["broadcast_seconds"] - x["reduce_seconds"]
                         - x["driver_seconds"] for x in rs)
        where = "local[2]" if r["kind"] == "local" else "standalone"
        mode = used_mode(r) if r["reduce"] == used_mode(r) else f"auto: {used_mode(r)}"
        print(f"| {'tutorial CNN' if r['model'] == 'cnn' else 'dense(20000)'} | {where} | {r['workers']} | {mode} "
              f"| {m['seconds']:.2f} | {m['task_seconds']:.2f} | {m['broadcast_seconds']:.3f} | {m['reduce_seconds']:.3f} "
              f"| {m['driver_seconds']:.3f} | {rest:.2f} | {sum(x['examples'] for x in rs) / sum(x['seconds'] for x in rs):,.0f} "
              f"| {m['epoch_seconds']:.1f} | {m['steady_epoch_seconds']:.1f} |")
    print()
    k = fit(runs)
    loop = args.loopback_gbps * 1e9 / 8
    b0, kb = fit_broadcast(runs, loop)
    print("## Fitted constants")
    for m, (t0, c) in k["c"].items():
        one = f"; one busy core: {k['c1'][m] * 1e3:.3f} ms/image" if m in k["c1"] else ""
        print(f"- compute, {m}: c = {c * 1e3:.3f} ms/image per core ({1 / c:,.0f} images/s), t0 = {t0 * 1e3:.0f} ms{one}")
    print(f"- driver: d0 = {k['d0'] * 1e3:.1f} ms, d_b = {k['d_b'] * 1e9:.2f} s/GB of B, "
          f"d_c = {k['d_c'] * 1e9:.2f} s/GB of W B (collect)")
    print(f"- reduce task: p0 = {k['p0'] * 1e3:.1f} ms, p = {k['p'] * 1e9:.2f} s/GB of its input (W shards)")
    print(f"- fixed: r0 = {k['r0'] * 1e3:.1f} ms/round, r_t = {k['r_t'] * 1e3:.2f} ms/task; "
          f"r_c = {k['r_c'] * 1e9:.2f} s/GB of collected results, r_s = {k['r_s'] * 1e9:.2f} s/GB of shuffle write")
    print(f"- broadcast (standalone runs, one executor per core): b0 = {b0 * 1e3:.1f} ms, k_b = {kb * 1e9:.2f} s/GB")

    print(f"\n## Check: the standalone runs (W executor JVMs of 1 core on 2 cores, loopback {args.loopback_gbps:g} Gb/s)")
    print("| model | W | reduce | predicted s/round | measured (median) | error | predicted s/epoch "
          "| measured (epochs after the first) | error | first round's extra s |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in sorted((r for r in runs if r["kind"] == "cluster"), key=lambda r: (r["model"], used_mode(r), r["workers"])):
        m = medians(r)
        slots, cpus, e = layout(r)
        t0, c = k["c"][r["model"]]
        p = predict(k, w=r["workers"], e=e, slots=slots, cpus=cpus, b=r["bytes"], n=m["examples"], t0=t0, c=c,
                    bw=loop, b0=b0, kb=kb, mode=used_mode(r))
        pe = p["total"] * m["rounds_per_epoch"]
        print(f"| {r['model']} | {r['workers']} | {used_mode(r)} | {p['total']:.2f} | {m['seconds']:.2f} "
              f"| {p['total'] / m['seconds'] - 1:+.1%} | {pe:.1f} | {m['steady_epoch_seconds']:.1f} "
              f"| {pe / m['steady_epoch_seconds'] - 1:+.1%} | {m['first_extra']:.1f} |")

    bw = args.gbps * 1e9 / 8
    K = args.rounds_per_epoch
    t0, c = k["c"]["cnn"]
    cases = [("tutorial CNN, Fashion-MNIST (60,000)", 8 * TUTORIAL_P, 60000, t0, c),
             ("resnet50-sized, ImageNet-1k (1,281,167), 3 img/s/core", 8 * RESNET50_P, 1281167, 0.0,
              1 / args.resnet50_img_s),
             (f"resnet50-sized, ImageNet-1k, FLOP ratio ({c * RESNET50_MACS / TUTORIAL_MACS:.2f} s/image)",
              8 * RESNET50_P, 1281167, 0.0, c * RESNET50_MACS / TUTORIAL_MACS)]
    print(f"\n## Predictions: E executors x 1 core, W = E, {args.gbps:g} Gb/s, {K} rounds per epoch, "
          f"b0 = {b0 * 1e3:.0f} ms")
    print("| model | E | reduce | s/round | compute | broadcast | results + reduce | driver | fixed | s/epoch "
          "| speed-up | speed-up, per-task cost on the executors |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, b, images, t0_, c_ in cases:
        base = base_par = None
        for e in (1, 8, 16, 64):
            p = predict(k, w=e, e=e, slots=e, cpus=e, b=b, n=images / K, t0=t0_, c=c_, bw=bw, b0=b0, kb=kb)
            q = predict(k, w=e, e=e, slots=e, cpus=e, b=b, n=images / K, t0=t0_, c=c_, bw=bw, b0=b0, kb=kb,
                        serial_tasks=False)
            ep, eq = K * p["total"], K * q["total"]
            base, base_par = base or ep, base_par or eq
            print(f"| {name} | {e} | {p['mode']} | {p['total']:,.2f} | {p['compute']:,.2f} | {p['broadcast']:.3f} "
                  f"| {p['results'] + p['reduce']:.3f} | {p['driver']:.3f} | {p['fixed']:.3f} | {ep:,.1f} "
                  f"| {base / ep:.1f}x | {base_par / eq:.1f}x |")
    print("\nWhat-ifs at E = 64:")
    for name, b, images, t0_, c_ in cases[:2]:
        for mode in ("collect", "shuffle"):
            p = predict(k, w=64, e=64, slots=64, cpus=64, b=b, n=images / K, t0=t0_, c=c_, bw=bw, b0=b0, kb=kb, mode=mode)
            print(f"- {name}, {mode}: {p['total']:,.2f} s/round (results + reduce {p['results'] + p['reduce']:.2f} s, "
                  f"driver {p['driver']:.2f} s, broadcast {p['broadcast']:.2f} s; driver receives "
                  f"{(64 if mode == 'collect' else 1) * b / 1e9:.2f} GB)")
        p = predict(k, w=64, e=64, slots=64, cpus=64, b=b, n=images / K, t0=t0_, c=c_, bw=bw, b0=b0, kb=kb)
        comm = p["total"] - p["compute"]
        # rounds per epoch at which everything but compute takes as long as compute
        print(f"  everything but compute {comm:.2f} s/round: as long as compute at "
              f"{images * c_ / 64 / comm:,.1f} rounds per epoch; broadcast B log2(E)/bw (no pipelining) "
              f"would be {b * 6 / bw:.2f} s instead of {p['broadcast']:.2f} s")


if __name__ == "__main__":
    main()
