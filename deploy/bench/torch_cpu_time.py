#!/usr/bin/env python3
"""PyTorch's tutorial CNN at 1 thread, measured in images per second of *process CPU time*, the
counterpart of cnn-spark bench's img_per_cpu_s: on a machine shared with other jobs, CPU time
moves far less than wall time. Same model, batch sizes and data shapes as shared/peers.
Prints one JSON object. Run with /usr/bin/python3 and
LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp (Debian python3-torch)."""
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self, c, h, w):
        super().__init__()
        self.conv1 = nn.Conv2d(c, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * (h // 4) * (w // 4), 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


def measure(shape, mode, seconds=5.0):
    torch.manual_seed(0)
    model = Net(*shape)
    opt = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    batch = 64 if mode == "train" else 256
    x = torch.rand(batch, *shape)
    y = torch.randint(0, 10, (batch,))

    def step():
        if mode == "train":
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
        else:
            with torch.no_grad():
                torch.softmax(model(x), 1)

    for _ in range(20):
        step()
    c0, images = time.process_time(), 0
    while time.process_time() - c0 < seconds:
        step()
        images += batch
    return images / (time.process_time() - c0)


if __name__ == "__main__":
    torch.set_num_threads(1)
    out = []
    for shape in [(1, 28, 28), (3, 32, 32)]:
        for mode in ["train", "infer"]:
            out.append({"input_shape": "x".join(map(str, shape)), "mode": mode, "threads": 1,
                        "img_per_cpu_s": measure(shape, mode)})
    print(json.dumps({"torch": torch.__version__, "results": out}))
