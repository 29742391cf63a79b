#!/usr/bin/env python3
"""Loads weights exported by cnn-spark (safetensors, PyTorch names) into the PyTorch tutorial CNN
and prints its Fashion-MNIST test accuracy, which should equal the one cnn-spark reported.

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 \
        examples/python/evaluate_in_pytorch.py tutorial-cnn.safetensors [/usr/share/datasets/fashion-mnist]

Needs torch and numpy only (Debian: python3-torch); the safetensors file is parsed here directly.
"""
import gzip
import json
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    """The tutorial model, with fc1's input inferred from the input size."""

    def __init__(self, c=1, h=28, w=28):
        super().__init__()
        self.conv1 = nn.Conv2d(c, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * (h // 4) * (w // 4), 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


def load_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    types = {"F32": np.float32, "I64": np.int64}
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        begin, end = t["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[begin:end], dtype=types[t["dtype"]]).reshape(t["shape"]).copy())
    return out


def load_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    weights = sys.argv[1]
    root = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    model = Net()
    model.load_state_dict(load_safetensors(weights), strict=True)
    model.eval()
    x = torch.from_numpy(load_idx(f"{root}/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(load_idx(f"{root}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean().item()
    print(f"PyTorch test accuracy with {weights}: {100 * accuracy:.2f}%")


if __name__ == "__main__":
    main()
