#!/usr/bin/env python3
"""The PyTorch counterpart of examples/mnist.rs: the same networks, data and recipe, one thread.

- lenet: conv 1->8 k5 p2, relu, max-pool 2, conv 8->16 k5, relu, max-pool 2, flatten,
  dense 400->120, relu, dense 120->10.
- mlp: 784 -> 256 relu -> 256 relu -> 10.

The recipe, as typenet's example: the first 8,000 of the 10,000 digits in data/ train and the
last 2,000 test; pixels scaled to [0, 1]; weights drawn as typenet draws them (He normal,
std sqrt(2 / fan_in), for a layer followed by a ReLU; LeCun normal, std sqrt(1 / fan_in), for
the last), biases zero; Adam with learning rate 1e-3 (PyTorch's defaults otherwise); batch 64,
a fresh order each epoch, full batches only (8,000 rows make 125 of them); softmax
cross-entropy. After each epoch it prints the mean training loss, the test accuracy, and the
epoch's time (the test evaluation included, as the example's trainer times it).

    python3 benches/pytorch_mnist.py [--network lenet|mlp] [--epochs 5] [--seed 0]
"""

import argparse
import gzip
import math
import os
import platform
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
BATCH = 64
LEARNING_RATE = 1e-3
TRAIN_ROWS = 8000


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    magic, count = struct.unpack(">II", raw[:8])
    if magic == 0x803:
        rows, columns = struct.unpack(">II", raw[8:16])
        pixels = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, rows * columns)
        return torch.from_numpy(pixels.astype(np.float32) / 255.0)
    assert magic == 0x801, hex(magic)
    return torch.from_numpy(np.frombuffer(raw, dtype=np.uint8, offset=8).astype(np.int64))


def lenet():
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 10),
    )


def mlp():
    return nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(),
        nn.Linear(256, 256), nn.ReLU(),
        nn.Linear(256, 10),
    )


def initialize(model):
    """He normal before a ReLU, LeCun normal for the last layer; zero biases."""
    layers = [m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
    for i, layer in enumerate(layers):
        fan_in = layer.weight[0].numel()
        gain = 1.0 if i == len(layers) - 1 else 2.0
        with torch.no_grad():
            layer.weight.normal_(0.0, math.sqrt(gain / fan_in))
            layer.bias.zero_()


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        correct = sum(
            int((model(x[i:i + 500]).argmax(1) == y[i:i + 500]).sum()) for i in range(0, len(x), 500)
        )
    model.train()
    return correct / len(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--network", choices=["lenet", "mlp"], default="lenet")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)

    images = read_idx("mnist10k-images-idx3-ubyte.gz")
    labels = read_idx("mnist10k-labels-idx1-ubyte.gz")
    x_train, y_train = images[:TRAIN_ROWS], labels[:TRAIN_ROWS]
    x_test, y_test = images[TRAIN_ROWS:], labels[TRAIN_ROWS:]
    model = lenet() if args.network == "lenet" else mlp()
    initialize(model)
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    parameters = sum(p.numel() for p in model.parameters())
    print(
        f"{args.network}: {parameters} parameters, {len(x_train)} training rows, {len(x_test)} test rows, "
        f"batch {BATCH}, Adam lr {LEARNING_RATE}; torch {torch.__version__}, 1 thread, "
        f"python {platform.python_version()}"
    )
    times = []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(len(x_train))
        total, batches = 0.0, len(x_train) // BATCH
        for b in range(batches):
            rows = order[b * BATCH:(b + 1) * BATCH]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x_train[rows]), y_train[rows])
            loss.backward()
            opt.step()
            total += loss.item()
        test = accuracy(model, x_test, y_test)
        times.append(time.perf_counter() - start)
        print(
            f"  epoch {epoch:>2}  training loss {total / batches:.4f}  test accuracy {100 * test:.2f}%"
            f"  {times[-1]:.2f} s"
        )
    print(
        f"{args.network}: test accuracy {100 * test:.2f}% after {args.epochs} epochs, "
        f"{sum(times) / len(times):.2f} s per epoch"
    )


if __name__ == "__main__":
    main()
