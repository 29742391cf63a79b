#!/usr/bin/env python3
"""Loads weights exported by cnn-spark (safetensors, PyTorch names) into the PyTorch tutorial CNN
and prints its Fashion-MNIST test accuracy, which should equal the one cnn-spark reported.

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 \
        examples/python/evaluate_in_pytorch.py tutorial-cnn.safetensors [/usr/share/datasets/fashion-mnist]

Needs torch and numpy only (Debian: python3-torch); the safetensors file is parsed here directly.
The model and the data loader are the repository's one Python definition of the tutorial CNN,
bench/peers/tutorial_cnn.py.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "peers"))
from tutorial_cnn import TutorialCNN, fashion_mnist  # noqa: E402 (found through the path above)


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


def main():
    weights = sys.argv[1]
    root = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    model = TutorialCNN()
    model.load_state_dict(load_safetensors(weights), strict=True)
    model.eval()
    x, y = fashion_mnist(root, "t10k")
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean().item()
    print(f"PyTorch test accuracy with {weights}: {100 * accuracy:.2f}%")


if __name__ == "__main__":
    main()
