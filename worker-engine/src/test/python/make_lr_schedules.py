#!/usr/bin/env python3
"""Writes the learning rates of PyTorch's schedulers, step by step, that the driver's
LearningRateTest compares cnn-spark's schedules against. Run by hand:

    /usr/bin/python3 worker-engine/src/test/python/make_lr_schedules.py

(Debian: apt-get install python3-torch) writes driver/src/test/resources/golden/lr_schedules.json.
Each case is a train command line's learning-rate options (--lr, --lr-schedule, --lr-milestones,
--lr-gamma, --lr-min, --warmup-epochs, --lr-scaling, --max-lr-scale), a number of workers W and
of steps per epoch B, and the rate of every step of the run as PyTorch gives it: an SGD
optimizer at the peak rate lr * s (s = min(W or sqrt(W), cap)), with the schedulers stepped once
per iteration (not per epoch):

    warm-up X epochs   LinearLR(start_factor=1/s, end_factor=1, total_iters=X*B)
    step               MultiStepLR(milestones=[E*B for E in milestones], gamma)
    cosine             CosineAnnealingLR(T_max=epochs*B, eta_min)
    both               ChainedScheduler([warm-up, main])

The rate of step i is read from the optimizer before that step. X*B and E*B are whole numbers in
every case, as PyTorch counts iterations. Warm-up with cosine is chained only with eta_min = 0:
there PyTorch's chained recursion is the product of the two factors, which is what cnn-spark
computes (with eta_min > 0 the recursion mixes the minimum into the warm-up; docs/learning-rate.md).
"""
import json
import math
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "..", "..", "driver", "src", "test", "resources", "golden", "lr_schedules.json")

CASES = [
    dict(name="step", lr=0.05, workers=1, epochs=4, steps_per_epoch=10, schedule="step", milestones=[1.5, 3.0],
         gamma=0.1),
    dict(name="cosine_min", lr=0.1, workers=1, epochs=3, steps_per_epoch=8, schedule="cosine", min=0.001),
    dict(name="linear_warmup", lr=0.01, workers=4, epochs=3, steps_per_epoch=10, scaling="linear", warmup_epochs=1.0),
    dict(name="sqrt_warmup_cosine", lr=0.02, workers=8, epochs=3, steps_per_epoch=10, schedule="cosine",
         scaling="sqrt", warmup_epochs=0.5),
    dict(name="capped_linear_warmup_step", lr=0.01, workers=16, epochs=5, steps_per_epoch=6, schedule="step",
         milestones=[3.0, 4.5], gamma=0.2, scaling="linear", warmup_epochs=2.0),
    dict(name="cap_2.5_warmup_cosine", lr=0.004, workers=3, epochs=2, steps_per_epoch=12, schedule="cosine",
         scaling="linear", max_scale=2.5, warmup_epochs=0.25),
]

DEFAULTS = dict(schedule="constant", milestones=[], gamma=0.1, min=0.0, warmup_epochs=0.0, scaling="none",
                max_scale=8.0)


def whole(x, what):
    n = round(x)
    assert abs(n - x) < 1e-9, f"{what} = {x} is not a whole number of iterations"
    return n


def rates(c):
    w, b, epochs = c["workers"], c["steps_per_epoch"], c["epochs"]
    s = {"none": 1.0, "linear": float(w), "sqrt": math.sqrt(w)}[c["scaling"]]
    s = min(s, c["max_scale"])
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=c["lr"] * s)
    chain = []
    if c["warmup_epochs"] > 0:
        chain.append(torch.optim.lr_scheduler.LinearLR(opt, start_factor=1 / s, end_factor=1.0,
                                                       total_iters=whole(c["warmup_epochs"] * b, "warm-up")))
    if c["schedule"] == "step":
        chain.append(torch.optim.lr_scheduler.MultiStepLR(
            opt, milestones=[whole(e * b, "milestone") for e in c["milestones"]], gamma=c["gamma"]))
    elif c["schedule"] == "cosine":
        chain.append(torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * b, eta_min=c["min"]))
    sched = chain[0] if len(chain) == 1 else torch.optim.lr_scheduler.ChainedScheduler(chain) if chain else None
    out = []
    for _ in range(epochs * b):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if sched is not None:
            sched.step()
    return out, [type(x).__name__ for x in chain]


def main():
    cases = []
    for case in CASES:
        c = dict(DEFAULTS, **case)
        c["rates"], c["pytorch"] = rates(c)
        cases.append(c)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT)}: {len(cases)} cases")


if __name__ == "__main__":
    main()
