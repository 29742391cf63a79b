#!/usr/bin/env python3
"""Writes the reference the driver's outer update is checked against (OuterSgdTest). Run by hand:

    /usr/bin/python3 worker-engine/src/test/python/make_outer_golden.py

(Debian: apt-get install python3-torch). It writes driver/src/test/resources/golden/outer_sgd.safetensors.

The outer update treats a round's change as a gradient: with x the parameters a round started from
and a the workers' average, d = x - a, and torch.optim.SGD (dampening 0) takes one step on d. Here
that runs in float64 for a few rounds per setting on a vector of TRAINABLE values followed by
BUFFERS values that stand for BatchNorm running statistics: those take no step, the next
parameters hold the workers' average of them. Each round's average is x - d for a random d
(about 0.05 per value, the size of a round's change), rounded to float32 as the driver sees it.

Tensors: x0 (the start), and per case and round r (0-based): <case>.avg.<r> (the workers' average
the round gives), <case>.params.<r> (the parameters after the outer step) and, with momentum,
<case>.buf.<r> (the momentum buffer after it). The metadata gives each case's settings.
"""
import os

import numpy as np
import torch

from make_golden import save  # the golden files' one safetensors writer (this folder)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "..", "..", "driver", "src", "test", "resources", "golden", "outer_sgd.safetensors")
TRAINABLE = 37
BUFFERS = 5
ROUNDS = 4

# name -> torch.optim.SGD settings: no momentum with lr != 1, momentum, Nesterov (diloco), bmuf at W = 4
CASES = {
    "plain": dict(lr=0.7, momentum=0.0, nesterov=False),
    "momentum": dict(lr=1.0, momentum=0.75, nesterov=False),
    "diloco": dict(lr=0.7, momentum=0.9, nesterov=True),
    "bmuf_w4": dict(lr=1.0, momentum=0.75, nesterov=True),
}


def run(name, settings, x0, rng, out):
    x = torch.tensor(x0[:TRAINABLE], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([x], dampening=0, **settings)
    for r in range(ROUNDS):
        d = 0.05 * rng.standard_normal(TRAINABLE)
        avg = np.empty(TRAINABLE + BUFFERS, dtype=np.float32)
        avg[:TRAINABLE] = (x.detach().numpy() - d).astype(np.float32)
        avg[TRAINABLE:] = rng.uniform(0.5, 2.0, BUFFERS).astype(np.float32)  # running variances: positive
        # the pseudo-gradient, from the float32 average the driver sees
        x.grad = x.detach() - torch.from_numpy(avg[:TRAINABLE].astype(np.float64))
        opt.step()
        out[f"{name}.avg.{r}"] = torch.from_numpy(avg)
        out[f"{name}.params.{r}"] = torch.cat([x.detach(), torch.from_numpy(avg[TRAINABLE:].astype(np.float64))])
        if settings["momentum"] > 0:
            out[f"{name}.buf.{r}"] = opt.state[x]["momentum_buffer"].clone()


def main():
    rng = np.random.default_rng(11)
    x0 = rng.uniform(-1, 1, TRAINABLE + BUFFERS).astype(np.float32)
    out = {"x0": torch.from_numpy(x0)}
    for name, settings in CASES.items():
        run(name, settings, x0, rng, out)
    meta = {name: " ".join(f"{k}={v}" for k, v in s.items()) for name, s in CASES.items()}
    meta.update({"trainable": str(TRAINABLE), "rounds": str(ROUNDS), "torch": torch.__version__})
    save(OUT, out, meta)
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
