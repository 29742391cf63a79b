#!/usr/bin/env python3
"""Writes golden/resized_crop.safetensors, what AugmentationTest compares the engine's resized crop
against: torchvision's own `resized_crop` (bilinear, antialias=False: what RandomResizedCrop does to
a uint8 tensor in torchvision 0.14) of one 3x13x17 uint8 image made by a formula, for a list of
boxes, each resized back to 13x17. Run by hand:

    /usr/bin/python3 worker-engine/src/test/python/make_resized_crop_golden.py

Tensors (float32 holding uint8 values, as the engine's safetensors reader takes them): `image`,
`boxes` (top, left, height, width per row) and `out.K` for box K.
"""
import os

import torch
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode

from make_golden import OUT, save

C, H, W = 3, 13, 17
BOXES = [
    (0, 0, 13, 17),  # the whole image: the identity
    (2, 3, 5, 7),    # a small box: upscaled
    (0, 0, 1, 1),    # one pixel
    (4, 1, 9, 16),   # wide, touching the bottom
    (0, 10, 13, 7),  # tall, touching the right edge
    (6, 5, 6, 11),
    (1, 2, 12, 4),
    (3, 4, 8, 8),
]


def main():
    idx = torch.arange(C * H * W, dtype=torch.int64)
    image = ((idx * 37 + (idx // W) * 11 + (idx // (H * W)) * 101) % 256).to(torch.uint8).reshape(C, H, W)
    tensors = {"image": image.float(), "boxes": torch.tensor(BOXES, dtype=torch.float32)}
    for k, (top, left, h, w) in enumerate(BOXES):
        out = F.resized_crop(image, top, left, h, w, [H, W], interpolation=InterpolationMode.BILINEAR, antialias=False)
        assert out.dtype == torch.uint8
        tensors[f"out.{k}"] = out.float()
    save(os.path.join(OUT, "resized_crop.safetensors"), tensors, {"torchvision": "resized_crop"})


if __name__ == "__main__":
    main()
