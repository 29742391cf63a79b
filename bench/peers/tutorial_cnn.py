"""The PyTorch tutorial CNN that cnn-spark grew from (its `tutorial-cnn`) and the Fashion-MNIST
files it trains on, written once for every Python script in the repository that needs them: the
benchmark peer beside it and examples/python/evaluate_in_pytorch.py. fc1's input is inferred from the input size (the tutorial
hard-codes 64 * 5 * 5, wrong for 32x32 inputs). Module names match the engine's, so state_dict
keys are conv1.weight, conv1.bias, conv2.*, fc1.*, fc2.*."""
import gzip
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class TutorialCNN(nn.Module):
    def __init__(self, c=1, h=28, w=28, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(c, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * (h // 4) * (w // 4), 128)
        self.fc2 = nn.Linear(128, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


def fashion_mnist(root, prefix):
    """(x, y) of `prefix` ("train" or "t10k"): x float32 (N, 1, 28, 28) with pixels scaled to [0, 1]
    (torchvision's ToTensor, the engine's default normalisation), y int64 class indices."""
    x = _idx(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz")).astype(np.float32) / 255
    y = _idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64)
    return torch.from_numpy(x).unsqueeze(1).contiguous(), torch.from_numpy(y)


def _idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)
