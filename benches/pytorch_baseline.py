#!/usr/bin/env python3
"""The PyTorch baseline for benches/train_step.rs: the same two training steps, f32, one thread.

- digits_b32: 64 -> 128 relu -> 10, softmax cross-entropy, batch 32.
- large_b256: 1024 -> 1024 relu -> 1024 relu -> 10, softmax cross-entropy, batch 256.
- lenet_b64: examples/mnist.rs's LeNet-like network (conv 1->8 k5 p2, relu, max-pool 2,
  conv 8->16 k5, relu, max-pool 2, flatten, dense 400->120, relu, dense 120->10) on
  [1, 28, 28] inputs, batch 64; lenet_infer_b1: its forward pass on one input, in eval mode
  without autograd, as typenet's `Network::infer`.

For each it times one step (zero_grad, forward, loss, backward, optimizer step) with plain SGD,
as typenet's benchmark does, and with Adam, plus the matrix products alone. Each layer needs
forward x.W^T, dW = dy^T.x and dx = dy.W; the first layer's dx is not needed (the input needs
no gradient, so neither autograd nor typenet computes it), so "GEMM-only" times the products
a step performs and "all 3/layer" adds the first layer's dx.

Like criterion, it warms up, then takes many samples, each the mean of enough back-to-back
iterations to last a few milliseconds, and reports the median sample in microseconds.
Nothing is downloaded: the data are random tensors.

    python3 benches/pytorch_baseline.py           # about a minute
    python3 benches/pytorch_baseline.py --quick   # a smoke run of a few seconds
"""

import argparse
import os
import platform
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

BATCHES = 8  # each step trains on the next of 8 fixed batches, as the Rust benchmark does
CLASSES = 10
LEARNING_RATE = 1e-3


def measure(fn, seconds, warm_up, sample_seconds):
    """Median, over samples, of the mean time of one call to fn, in microseconds."""
    end = time.perf_counter() + warm_up
    calls = 0
    start = time.perf_counter()
    while time.perf_counter() < end or calls < 3:
        fn()
        calls += 1
    per_call = (time.perf_counter() - start) / calls
    per_sample = max(1, round(sample_seconds / per_call))
    samples = max(10, round(seconds / (per_call * per_sample)))
    times = []
    for _ in range(samples):
        t0 = time.perf_counter_ns()
        for _ in range(per_sample):
            fn()
        times.append((time.perf_counter_ns() - t0) / per_sample / 1e3)
    return statistics.median(times), samples, per_sample


def network(widths):
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(widths, widths[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i + 2 < len(widths):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def lenet():
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 10),
    )


def lenet_infer_fn():
    torch.manual_seed(0)
    model = lenet().eval()
    xs, _ = data([784], 1, 1)
    state = {"step": 0}

    def infer():
        k = state["step"] % BATCHES
        state["step"] += 1
        with torch.no_grad():
            return model(xs[k])

    return infer


def data(widths, batch, seed):
    g = torch.Generator().manual_seed(seed)
    xs = [torch.rand(batch, widths[0], generator=g) for _ in range(BATCHES)]
    ys = [torch.randint(0, CLASSES, (batch,), generator=g) for _ in range(BATCHES)]
    return xs, ys


def train_step_fn(widths, batch, optimizer):
    torch.manual_seed(0)
    model = lenet() if widths == "lenet" else network(widths)
    widths = [784] if widths == "lenet" else widths
    opt = optimizer(model.parameters(), lr=LEARNING_RATE)
    xs, ys = data(widths, batch, 1)
    state = {"step": 0, "loss": None}

    def step():
        k = state["step"] % BATCHES
        state["step"] += 1
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xs[k]), ys[k])
        loss.backward()
        opt.step()
        state["loss"] = loss

    def finite():
        return bool(torch.isfinite(state["loss"]).item()) and all(
            bool(torch.isfinite(p).all()) for p in model.parameters()
        )

    return step, finite


def gemm_only_fn(widths, batch, first_input_grad):
    """The products of one step, on preallocated tensors: x.W^T, dy^T.x, dy.W per layer."""
    g = torch.Generator().manual_seed(2)
    products = []
    for i, (fan_in, fan_out) in enumerate(zip(widths, widths[1:])):
        x = torch.rand(batch, fan_in, generator=g)
        w = torch.rand(fan_out, fan_in, generator=g) - 0.5
        dy = torch.rand(batch, fan_out, generator=g) - 0.5
        y, dw, dx = torch.empty(batch, fan_out), torch.empty(fan_out, fan_in), torch.empty(batch, fan_in)
        products.append((x, w.t(), y))  # forward: y = x.W^T
        products.append((dy.t(), x, dw))  # dW = dy^T.x
        if i > 0 or first_input_grad:
            products.append((dy, w, dx))  # dx = dy.W

    def step():
        for a, b, out in products:
            torch.mm(a, b, out=out)

    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short warm-up and measurement")
    args = parser.parse_args()
    seconds, warm_up, sample_seconds = (0.5, 0.2, 0.005) if args.quick else (5.0, 1.0, 0.01)

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.set_grad_enabled(True)
    torch.set_default_dtype(torch.float32)

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread, "
        f"CPU capability {torch.backends.cpu.get_cpu_capability()}, MKL {torch.backends.mkl.is_available()}, "
        f"python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    nets = [("digits_b32", [64, 128, 10], 32), ("large_b256", [1024, 1024, 1024, 10], 256)]
    columns = ["SGD step", "Adam step", "GEMM-only", "all 3/layer"]
    rows = []
    for name, widths, batch in nets:
        results = []
        for optimizer in (torch.optim.SGD, torch.optim.Adam):
            step, finite = train_step_fn(widths, batch, optimizer)
            results.append(measure(step, seconds, warm_up, sample_seconds))
            assert finite(), f"{name} with {optimizer.__name__}: parameters or loss not finite"
        for first_input_grad in (False, True):
            step = gemm_only_fn(widths, batch, first_input_grad)
            results.append(measure(step, seconds, warm_up, sample_seconds))
        rows.append((name, results))

    lenet_results = []
    for optimizer in (torch.optim.SGD, torch.optim.Adam):
        step, finite = train_step_fn("lenet", 64, optimizer)
        lenet_results.append(measure(step, seconds, warm_up, sample_seconds))
        assert finite(), f"lenet_b64 with {optimizer.__name__}: parameters or loss not finite"
    lenet_results.append(measure(lenet_infer_fn(), seconds, warm_up, sample_seconds))

    print()
    print("median µs per step (samples × iterations per sample)")
    print(f"{'':12}" + "".join(f"{c:>22}" for c in columns))
    for name, results in rows:
        cells = "".join(f"{f'{m:.1f} ({s}×{k})':>22}" for m, s, k in results)
        print(f"{name:12}{cells}")
    print()
    print(f"{'':12}" + "".join(f"{c:>22}" for c in ["SGD step", "Adam step", "inference, batch 1"]))
    cells = "".join(f"{f'{m:.1f} ({s}×{k})':>22}" for m, s, k in lenet_results)
    print(f"{'lenet_b64':12}{cells}")


if __name__ == "__main__":
    main()
