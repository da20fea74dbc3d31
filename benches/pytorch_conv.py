#!/usr/bin/env python3
"""Times in PyTorch (float32, one thread) what `cargo bench --bench conv` times in typenet: the
LeNet-like network's convolutions and first pooling as layers alone.

- conv1: nn.Conv2d(1, 8, 5, padding=2) on 1×28×28; conv2: nn.Conv2d(8, 16, 5) on 8×14×14;
  pool1: nn.MaxPool2d(2) on 8×28×28.
- `_train_b64`: forward and backward (dL/dparams, and dL/dX except for conv1, the first
  layer) on a batch of 64, the upstream gradient given; `_infer_b1`: forward on one input
  under `torch.inference_mode()`.

Run by hand: `python3 benches/pytorch_conv.py`. Prints the median of 7 repeats of each.
"""

import statistics
import time

import torch
from torch import nn

torch.set_num_threads(1)


def median_time(f, seconds=0.5):
    f()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < 0.1:
        f()
        count += 1
    runs = max(1, int(count * seconds / 0.1))
    samples = []
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(runs):
            f()
        samples.append((time.perf_counter() - start) / runs)
    return statistics.median(samples)


def bench(name, layer, shape, input_gradient):
    torch.manual_seed(1)
    x = torch.rand(64, *shape) * 2 - 1
    x.requires_grad_(input_gradient)
    dy = torch.rand_like(layer(x)) * 2 - 1

    def train():
        for p in layer.parameters():
            p.grad = None
        if x.grad is not None:
            x.grad = None
        layer(x).backward(dy)

    x1 = torch.rand(1, *shape)

    def infer():
        with torch.inference_mode():
            layer(x1)

    for what, f in (("train_b64", train), ("infer_b1", infer)):
        print(f"{name}_{what}: {median_time(f) * 1e6:.1f} µs")


def main():
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread")
    bench("conv1", nn.Conv2d(1, 8, 5, padding=2), (1, 28, 28), False)
    bench("conv2", nn.Conv2d(8, 16, 5), (8, 14, 14), True)
    bench("pool1", nn.MaxPool2d(2), (8, 28, 28), True)


if __name__ == "__main__":
    main()
