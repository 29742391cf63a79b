#!/usr/bin/env python3
"""Writes the PyTorch reference files the engine's GoldenTest compares against. Run by hand:

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 \
        worker-engine/src/test/python/make_golden.py [CASE...]

writes every case, or the named ones (Debian: apt-get install python3-torch libopenblas0-openmp).
Each case is one safetensors file in src/test/resources/golden/ holding: x, labels,
init.<param>, probs, loss, grad.<param>, the running statistics after one training forward
(after.<buffer>, training-mode cases), and the parameters after 3 optimizer steps on the same
batch for each optimizer setting, <opt>.<param> (SGD's and Adam's in the first four cases,
AdamW's in the adamw case). The tutorial files' last bits depend on the CPU PyTorch ran on (its
OpenBLAS kernels), so adamw.safetensors was added with `make_golden.py adamw`, leaving the
others as they were written.
The module names follow the engine's naming (conv1, bn1, fc1, ...), so state_dict keys match.
The tutorial CNN is the repository's one PyTorch definition of it, bench/peers/tutorial_cnn.py;
other architectures are built here from the engine's spec string.

The other direction, a file exported by the engine loading into PyTorch, is checked by
PyTorchInteropTest, which runs this script as

    make_golden.py --check WEIGHTS.safetensors INPUT.safetensors

load_state_dict(strict=True) of WEIGHTS into the model its metadata names, then the eval-mode
probabilities for INPUT's x printed as JSON.
"""
import collections
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "bench", "peers"))
from tutorial_cnn import TutorialCNN  # noqa: E402 (found through the path above)

OUT = os.path.join(HERE, "..", "resources", "golden")
TUTORIAL = "conv(32,3,pad=1) relu maxpool(2) conv(64,3,pad=1) relu maxpool(2) flatten dense(128) relu dense(10)"

RESNET = ("conv(8,3,pad=1,bias=false) batchnorm relu"
          " res(conv(8,3,pad=1,bias=false) batchnorm relu conv(8,3,pad=1,bias=false) batchnorm) relu"
          " res(conv(12,3,stride=2,pad=1,bias=false) batchnorm relu conv(12,3,pad=1,bias=false) batchnorm"
          " | conv(12,1,stride=2,bias=false) batchnorm) relu gap flatten dense(10)")

OPTIMIZERS = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
    "sgd_nesterov_wd": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4),
    "adam": lambda p: torch.optim.Adam(p, lr=1e-3),
    "adam_wd": lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=1e-2),
}

# AdamW has its own file, so that adding it left the files above as they were
ADAMW = {
    "adamw": lambda p: torch.optim.AdamW(p),  # PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, wd 1e-2
    "adamw_settings": lambda p: torch.optim.AdamW(p, lr=3e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
}


def pytorch_model(spec, c, h, w):
    """The PyTorch model of an engine spec: the shared tutorial CNN, or one built from the spec."""
    if spec == TUTORIAL:
        return TutorialCNN(c, h, w)
    return SpecNet(spec, c, h, w) if "res(" in spec or "gap" in spec.split() else build(spec, c, h, w)


def tokens(text):
    """Top-level layer tokens of a compact spec: spaces inside parentheses do not split."""
    out, depth, cur = [], 0, ""
    for ch in text.strip() + " ":
        depth += (ch == "(") - (ch == ")")
        if ch.isspace() and depth == 0:
            if cur:
                out.append(cur)
            cur = ""
        else:
            cur += ch
    return out


def module(tok, shape):
    """(family or None, torch module, output shape) of one plain layer token."""
    name, _, args = tok.partition("(")
    args = [a.strip() for a in args[:-1].split(",") if a.strip()] if args else []
    pos = [a for a in args if "=" not in a]
    kw = dict(a.split("=") for a in args if "=" in a)
    c, h, w = shape
    if name == "conv":
        oc, k = int(pos[0]), int(pos[1])
        s, p = int(kw.get("stride", 1)), int(kw.get("pad", 0))
        conv = nn.Conv2d(c, oc, k, stride=s, padding=p, bias=kw.get("bias", "true") == "true")
        return "conv", conv, (oc, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1)
    if name == "batchnorm":
        return "bn", nn.BatchNorm2d(c), shape
    if name == "relu":
        return None, nn.ReLU(), shape
    if name == "maxpool":
        k = int(pos[0])
        s, p = int(kw.get("stride", k)), int(kw.get("pad", 0))
        return None, nn.MaxPool2d(k, s, p), (c, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1)
    if name == "gap":
        return None, nn.AdaptiveAvgPool2d(1), (c, 1, 1)
    if name == "flatten":
        return None, nn.Flatten(), (c * h * w, 1, 1)
    if name == "dense":
        return "fc", nn.Linear(c, int(pos[0])), (int(pos[0]), 1, 1)
    raise ValueError(tok)


class Block(nn.Module):
    """A res(MAIN | SHORTCUT) block, named as torchvision's BasicBlock and Bottleneck are."""

    def __init__(self, text, shape):
        super().__init__()
        depth, bar = 0, None
        for i, ch in enumerate(text):
            depth += (ch == "(") - (ch == ")")
            if ch == "|" and depth == 0:
                bar = i
        main, short = (text, "") if bar is None else (text[:bar], text[bar + 1:])
        self.steps, counts, cur = [], collections.Counter(), shape
        for i, tok in enumerate(tokens(main)):
            fam, m, cur = module(tok, cur)
            counts[fam] += 1
            self.add_module(f"{fam}{counts[fam]}" if fam else f"step{i}", m)
            self.steps.append(m)
        self.out_shape = cur
        layers, cur = [], shape
        for tok in tokens(short):
            _, m, cur = module(tok, cur)
            layers.append(m)
        self.downsample = nn.Sequential(*layers) if layers else None

    def forward(self, x):
        y = x
        for m in self.steps:
            y = m(y)
        return y + (self.downsample(x) if self.downsample is not None else x)


class SpecNet(nn.Module):
    """A network of plain layers and residual blocks, with the engine's names (layerS.B for blocks)."""

    def __init__(self, spec, c, h, w):
        super().__init__()
        self.steps, counts, shape = [], collections.Counter(), (c, h, w)
        stage, block, params_since_block = 0, 0, True
        for i, tok in enumerate(tokens(spec)):
            if tok.startswith("res("):
                m = Block(tok[4:-1], shape)
                if params_since_block or m.downsample is not None:
                    stage, block = stage + 1, 0
                    self.add_module(f"layer{stage}", nn.Module())
                getattr(self, f"layer{stage}").add_module(str(block), m)
                block, params_since_block, shape = block + 1, False, m.out_shape
            else:
                fam, m, shape = module(tok, shape)
                if fam:
                    counts[fam] += 1
                    params_since_block = True
                self.add_module(f"{fam}{counts[fam]}" if fam else f"step{i}", m)
            self.steps.append(m)

    def forward(self, x):
        for m in self.steps:
            x = m(x)
        return x


def build(spec, c, h, w):
    """nn.Sequential from the engine's compact spec (the subset the golden cases use)."""
    layers, counts, shape = [], collections.Counter(), (c, h, w)
    for tok in spec.split():
        name, _, args = tok.partition("(")
        args = [a for a in args.rstrip(")").split(",") if a]
        pos = [a for a in args if "=" not in a]
        kw = dict(a.split("=") for a in args if "=" in a)
        if name == "conv":
            counts["conv"] += 1
            oc, k = int(pos[0]), int(pos[1])
            pad = int(kw.get("pad", 0))
            bias = kw.get("bias", "true") == "true"
            layers.append((f"conv{counts['conv']}", nn.Conv2d(shape[0], oc, k, padding=pad, bias=bias)))
            shape = (oc, shape[1] + 2 * pad - k + 1, shape[2] + 2 * pad - k + 1)
        elif name == "batchnorm":
            counts["bn"] += 1
            layers.append((f"bn{counts['bn']}", nn.BatchNorm2d(shape[0])))
        elif name == "relu":
            counts["relu"] += 1
            layers.append((f"relu{counts['relu']}", nn.ReLU()))
        elif name == "maxpool":
            counts["pool"] += 1
            k = int(pos[0])
            layers.append((f"pool{counts['pool']}", nn.MaxPool2d(k)))
            shape = (shape[0], shape[1] // k, shape[2] // k)
        elif name == "flatten":
            layers.append(("flatten", nn.Flatten()))
            shape = (shape[0] * shape[1] * shape[2], 1, 1)
        elif name == "dropout":
            counts["drop"] += 1
            layers.append((f"drop{counts['drop']}", nn.Dropout(float(pos[0]) if pos else 0.5)))
        elif name == "dense":
            counts["fc"] += 1
            layers.append((f"fc{counts['fc']}", nn.Linear(shape[0], int(pos[0]))))
            shape = (int(pos[0]), 1, 1)
        else:
            raise ValueError(tok)
    return nn.Sequential(collections.OrderedDict(layers))


def save(path, tensors, meta):
    header, blobs, off = {"__metadata__": meta}, [], 0
    for k, t in tensors.items():
        a = np.array(t.detach().cpu().numpy(), dtype=np.float32, order="C")  # keeps 0-d shapes
        b = a.tobytes()
        header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def load(path):
    """(tensors, metadata) of a safetensors file, each tensor in its stored dtype."""
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for k, v in header.items():
        begin, end = v["data_offsets"]
        a = np.frombuffer(raw[8 + n + begin:8 + n + end], dtype=DTYPES[v["dtype"]]).reshape(v["shape"])
        out[k] = torch.from_numpy(a.copy())
    return out, meta


def check(weights_path, input_path):
    tensors, meta = load(weights_path)
    if "torchvision" in meta:  # a preset: torchvision's own model
        import torchvision
        model = getattr(torchvision.models, meta["torchvision"])(num_classes=int(meta["classes"]))
    else:
        model = pytorch_model(meta["spec"], *map(int, meta["input_shape"].split("x")))
    model.load_state_dict(tensors, strict=True)  # raises on a missing, extra or mis-shaped tensor
    model.eval()
    x = load(input_path)[0]["x"]
    with torch.no_grad():
        probs = torch.softmax(model(x), 1)
    # the file's own dtype: load_state_dict would convert a float counter silently
    counters = {k: str(v.dtype) for k, v in tensors.items() if k.endswith("num_batches_tracked")}
    print(json.dumps({"probs": probs.flatten().tolist(), "counters": counters}))


def case(name, spec, shape, n, train_mode, seed, optimizers=OPTIMIZERS):
    torch.manual_seed(seed)
    model = pytorch_model(spec, *shape)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):  # non-trivial running statistics for the eval case
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    x = torch.rand(n, *shape)
    labels = torch.randint(0, 10, (n,))
    init = {k: v.clone() for k, v in model.state_dict().items()}
    out = {"x": x, "labels": labels.float()}
    out.update({"init." + k: v for k, v in init.items()})
    model.train(train_mode)
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, labels)
    loss.backward()
    out["probs"] = torch.softmax(logits, 1)
    out["loss"] = loss.reshape(1)
    out.update({"grad." + k: p.grad.clone() for k, p in model.named_parameters()})
    if train_mode:  # running statistics after one training forward
        out.update({"after." + k: v.clone() for k, v in model.state_dict().items()
                    if "running" in k or "num_batches" in k})
    # every tensor above is a copy: the optimizer runs below update parameters and grads in place
    for opt_name, make in optimizers.items():
        model.load_state_dict(init)
        opt = make(model.parameters())
        for _ in range(3):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), labels).backward()
            opt.step()
        out.update({opt_name + "." + k: p.detach().clone() for k, p in model.named_parameters()})
    meta = {"spec": spec, "input_shape": "x".join(map(str, shape)), "train_mode": str(train_mode).lower(),
            "torch": torch.__version__}
    save(os.path.join(OUT, name + ".safetensors"), out, meta)
    print("wrote", name, "loss", float(loss))


def java_hash(s):
    """Java's String.hashCode, so both sides derive the same numbers from a tensor's name."""
    h = 0
    for ch in s:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h


def formula(key, n):
    """n numbers in [0, 1) from integer arithmetic both sides do exactly (TorchvisionGoldenTest.formula)."""
    i = np.arange(n, dtype=np.uint64)
    k = np.uint64((key + 1) * 40503 * 65537 % (1 << 64))
    with np.errstate(over="ignore"):
        bits = (i * np.uint64(2654435761) + k) & np.uint64(0xFFFFFFFF)
    return bits.astype(np.float64) / 4294967296.0


def formula_tensor(name, shape, last_bn):
    """A state-dict tensor filled by formula: weights ~ U(-b, b), b = sqrt(3 / fan_in); BN near (1, 0),
    but the gamma of a block's last batch norm (last_bn: bn2 in a basic block, bn3 in a
    bottleneck) near 0.2 (as torchvision's zero_init_residual, not quite zero): with
    gammas near 1 there, a training step of resnet50 (or of resnet18) on 2 images is so ill-conditioned that
    PyTorch's float32 gradients differ from its float64 ones by 30%."""
    n = int(np.prod(shape)) if len(shape) else 1
    u = formula(java_hash(name), n)
    if name.endswith("num_batches_tracked"):
        return torch.zeros(shape, dtype=torch.int64)
    if name.endswith("running_var"):
        v = 0.5 + u
    elif name.endswith("running_mean"):
        v = 0.2 * (2 * u - 1)
    elif name.startswith("layer") and name.endswith("." + last_bn + ".weight"):
        v = 0.2 * (0.5 + u)
    elif len(shape) == 1 and name.endswith("weight"):  # batch-norm gamma
        v = 0.5 + u
    elif len(shape) == 1:  # biases
        v = 0.1 * (2 * u - 1)
    else:
        v = (2 * u - 1) * np.sqrt(3.0 / (n // shape[0]))
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def samples(size):
    """The indices whose gradient is stored: 16 spread over the tensor (all when it is smaller)."""
    step = max(1, size // 16)
    return list(range(0, size, step))[:16]


def torchvision_case(name, arch, shape, n):
    """torchvision's own ResNet, weights and batch by formula: eval probabilities, then one
    training step's loss, per-tensor gradient norms and samples, and running statistics after it."""
    import torchvision
    classes = 10
    model = getattr(torchvision.models, arch)(num_classes=classes)
    last_bn = "bn3" if arch == "resnet50" else "bn2"
    model.load_state_dict({k: formula_tensor(k, tuple(v.shape), last_bn) for k, v in model.state_dict().items()},
                          strict=True)
    x = torch.from_numpy((2 * formula(java_hash("x"), n * int(np.prod(shape))) - 1).astype(np.float32)).reshape(n, *shape)
    labels = torch.tensor([(3 * i) % classes for i in range(n)])
    out = {}
    model.eval()
    with torch.no_grad():
        out["eval.probs"] = torch.softmax(model(x).double(), 1).float()
    model.train()
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, labels)
    loss.backward()
    out["train.probs"] = torch.softmax(logits.detach().double(), 1).float()
    out["train.loss"] = loss.detach().reshape(1)
    for k, p in model.named_parameters():
        g = p.grad.detach().double().flatten()
        out["grad_norm." + k] = g.norm().reshape(1).float()
        out["grad_max." + k] = g.abs().max().reshape(1).float()
        out["grad_sample." + k] = g[samples(g.numel())].float()
    for k, v in model.state_dict().items():
        if "running" in k or "num_batches" in k:
            out["after." + k] = v.float()
    shapes = {k: "x".join(map(str, v.shape)) for k, v in model.state_dict().items()}
    meta = {"arch": arch, "classes": str(classes), "input_shape": "x".join(map(str, shape)), "n": str(n),
            "torch": torch.__version__, "torchvision": torchvision.__version__, "names": json.dumps(shapes)}
    save(os.path.join(OUT, name + ".safetensors"), out, meta)
    print("wrote", name, "loss", float(loss))


TORCHVISION = {
    "torchvision_resnet18": ("resnet18", (3, 64, 64), 4),
    "torchvision_resnet50": ("resnet50", (3, 64, 64), 2),
}

# name -> the arguments of case() after the name
CASES = {
    "tutorial_1x28x28": (TUTORIAL, (1, 28, 28), 5, True, 1),
    "tutorial_3x32x32": (TUTORIAL, (3, 32, 32), 3, True, 2),
    # batch-norm and dropout in eval mode. The convolutions before batch-norm have no bias: its
    # gradient is zero up to rounding noise, which Adam would amplify into noise-sized steps.
    "bn_dropout_eval": ("conv(8,3,pad=1,bias=false) batchnorm relu maxpool(2) flatten dropout(0.5) dense(10)",
                        (2, 12, 10), 4, False, 3),
    # batch-norm in training mode: batch statistics and the running-statistics update
    "bn_train": ("conv(6,3,pad=1,bias=false) batchnorm relu maxpool(2) flatten dense(10)", (1, 10, 14), 6, True, 4),
    # AdamW on a small network with every kind of trainable tensor (conv with and without bias,
    # batch-norm, linear): it decays all of them, as PyTorch's single parameter group does
    "adamw": ("conv(6,3,pad=1) relu maxpool(2) conv(8,3,pad=1,bias=false) batchnorm relu flatten dense(10)",
              (2, 10, 12), 5, True, 5, ADAMW),
    # a small ResNet in training mode: an identity block, a projecting block, global average pooling
    "resnet_train": (RESNET, (3, 12, 10), 4, True, 6),
    "resnet_eval": (RESNET, (3, 12, 10), 3, False, 7),
}

if __name__ == "__main__":
    if sys.argv[1:2] == ["--check"]:
        check(sys.argv[2], sys.argv[3])
        sys.exit(0)
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    for name in sys.argv[1:] or list(CASES) + list(TORCHVISION):
        if name in TORCHVISION:
            torchvision_case(name, *TORCHVISION[name])
        else:
            case(name, *CASES[name])
