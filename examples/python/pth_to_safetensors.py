#!/usr/bin/env python3
"""Turns a PyTorch state dict (.pth, .pt) into a safetensors file that `cnn-spark train --init`
loads, e.g. torchvision's pretrained ResNet weights for `--arch resnet18`:

    /usr/bin/python3 examples/python/pth_to_safetensors.py resnet18-f37072fd.pth resnet18.safetensors
    bin/cnn-spark train --arch "resnet18(classes=10)" --init resnet18.safetensors --init-skip fc \\
        --normalize imagenet ...

The file is read with torch.load(..., weights_only=True): tensors and plain containers only, never
arbitrary pickled objects. A checkpoint that wraps the state dict ({"state_dict": ...} or
{"model": ...}) is unwrapped; --strip-prefix removes a prefix such as "module." (nn.DataParallel)
from every name. Floating tensors are written as F32 and integer ones (num_batches_tracked) as I64.
Needs torch and numpy only (Debian: python3-torch).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch


def state_dict(obj, path):
    if isinstance(obj, dict):
        for key in ("state_dict", "model", "model_state_dict"):
            if key in obj and isinstance(obj[key], dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        sys.exit(f"error: {path} holds no state dict (a mapping of names to tensors); save one with "
                 "torch.save(model.state_dict(), path)")
    return obj


def write(path, tensors, meta):
    header, blobs, off = {"__metadata__": meta}, [], 0
    for name, t in tensors.items():
        t = t.detach().cpu()
        if t.is_floating_point():
            a, dtype = t.float().numpy().astype(np.float32), "F32"
        else:
            a, dtype = t.long().numpy().astype(np.int64), "I64"
        b = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:  # whole or nothing: a half-written file would fail --init later, far from here
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="PyTorch state dict (.pth) -> safetensors for cnn-spark --init")
    ap.add_argument("pth")
    ap.add_argument("out")
    ap.add_argument("--strip-prefix", default="", help="remove this prefix from every name, e.g. module.")
    args = ap.parse_args()
    try:
        obj = torch.load(args.pth, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 (any failure: say which file and why)
        sys.exit(f"error: {args.pth} does not load as plain tensors ({e}); only state dicts are converted")
    sd = state_dict(obj, args.pth)
    if args.strip_prefix:
        sd = {k[len(args.strip_prefix):] if k.startswith(args.strip_prefix) else k: v for k, v in sd.items()}
    write(args.out, sd, {"source": args.pth.rsplit("/", 1)[-1]})
    print(f"wrote {args.out}: {len(sd)} tensors")


if __name__ == "__main__":
    main()
