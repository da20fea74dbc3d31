#!/usr/bin/env python3
"""The PyTorch baseline for benches/workloads.rs and benches/train_step.rs, f32, 1 or 2 threads.

- w1_b1, w1_b16: 16 -> 32 relu -> 4, mean squared error, batch 1 and 16.
- w2_b32 (train_step's digits_b32): 64 -> 128 relu -> 10, softmax cross-entropy, batch 32.
- w3_b128: 784 -> 256 relu -> 256 relu -> 10, softmax cross-entropy, batch 128.
- w4_b256 (train_step's large_b256): 1024 -> 1024 relu -> 1024 relu -> 10, batch 256.
- lenet_b64: examples/mnist.rs's LeNet-like network (conv 1->8 k5 p2, relu, max-pool 2,
  conv 8->16 k5, relu, max-pool 2, flatten, dense 400->120, relu, dense 120->10) on
  [1, 28, 28] inputs, batch 64, with SGD and Adam; lenet_infer_b1: its forward pass on one
  input, in eval mode without autograd, as typenet's `Network::infer`.

For each it times one step (zero_grad, forward, loss, backward, optimizer step) with plain SGD,
SGD with momentum 0.9 and Adam, inference (`torch.inference_mode`) at the workload's batch and
at batch 1, and the matrix products alone. Each layer needs
forward x.W^T, dW = dy^T.x and dx = dy.W; the first layer's dx is not needed (the input needs
no gradient, so neither autograd nor typenet computes it), so "GEMM-only" times the products
a step performs and "all 3/layer" adds the first layer's dx.

Like criterion, it warms up, then takes many samples, each the mean of enough back-to-back
iterations to last a few milliseconds, and reports the median sample in microseconds.
Nothing is downloaded: the data are random tensors.

    python3 benches/pytorch_baseline.py               # a few minutes, one thread
    python3 benches/pytorch_baseline.py --threads 2   # the same with two threads
    python3 benches/pytorch_baseline.py --quick       # a smoke run
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


CLOCK = time.perf_counter_ns


def measure(fn, seconds, warm_up, sample_seconds):
    """Median, over samples, of the mean time of one call to fn, in microseconds."""
    end = time.perf_counter() + warm_up
    calls = 0
    start = CLOCK()
    while time.perf_counter() < end or calls < 3:
        fn()
        calls += 1
    per_call = (CLOCK() - start) / 1e9 / calls
    per_sample = max(1, round(sample_seconds / per_call))
    samples = max(10, round(seconds / (per_call * per_sample)))
    times = []
    for _ in range(samples):
        t0 = CLOCK()
        for _ in range(per_sample):
            fn()
        times.append((CLOCK() - t0) / per_sample / 1e3)
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


def data(widths, batch, seed, classifies=True):
    g = torch.Generator().manual_seed(seed)
    xs = [torch.rand(batch, widths[0], generator=g) for _ in range(BATCHES)]
    if classifies:
        ys = [torch.randint(0, CLASSES, (batch,), generator=g) for _ in range(BATCHES)]
    else:
        ys = [torch.rand(batch, widths[-1], generator=g) for _ in range(BATCHES)]
    return xs, ys


OPTIMIZERS = {
    "SGD": lambda params: torch.optim.SGD(params, lr=LEARNING_RATE),
    "momentum": lambda params: torch.optim.SGD(params, lr=LEARNING_RATE, momentum=0.9),
    "Adam": lambda params: torch.optim.Adam(params, lr=LEARNING_RATE),
}


def train_step_fn(widths, batch, optimizer, classifies=True):
    torch.manual_seed(0)
    model = lenet() if widths == "lenet" else network(widths)
    widths = [784, 10] if widths == "lenet" else widths
    opt = optimizer(model.parameters())
    xs, ys = data(widths, batch, 1, classifies)
    loss_fn = F.cross_entropy if classifies else F.mse_loss
    state = {"step": 0, "loss": None}

    def step():
        k = state["step"] % BATCHES
        state["step"] += 1
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xs[k]), ys[k])
        loss.backward()
        opt.step()
        state["loss"] = loss

    def finite():
        return bool(torch.isfinite(state["loss"]).item()) and all(
            bool(torch.isfinite(p).all()) for p in model.parameters()
        )

    return step, finite


def infer_fn(widths, batch):
    """Inference: the forward pass without autograd."""
    torch.manual_seed(0)
    model = network(widths)
    xs, _ = data(widths, batch, 3)
    state = {"step": 0}

    def infer():
        k = state["step"] % BATCHES
        state["step"] += 1
        with torch.inference_mode():
            return model(xs[k])

    return infer


def infer_products_fn(widths, batch):
    """The forward products alone: x.W^T per layer, into preallocated tensors."""
    g = torch.Generator().manual_seed(2)
    products = []
    for fan_in, fan_out in zip(widths, widths[1:]):
        x = torch.rand(batch, fan_in, generator=g)
        w = torch.rand(fan_out, fan_in, generator=g) - 0.5
        products.append((x, w.t(), torch.empty(batch, fan_out)))

    def step():
        for a, b, out in products:
            torch.mm(a, b, out=out)

    return step


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


WORKLOADS = [
    # name, widths, batch, classifies
    ("w1_b1", [16, 32, 4], 1, False),
    ("w1_b16", [16, 32, 4], 16, False),
    ("w2_b32", [64, 128, 10], 32, True),
    ("w3_b128", [784, 256, 256, 10], 128, True),
    ("w4_b256", [1024, 1024, 1024, 10], 256, True),
]
COLUMNS = ["SGD", "momentum", "Adam", "GEMM-only", "all 3/layer", "infer", "infer GEMM", "infer b1"]


def run_workload(widths, batch, classifies, timing):
    """The median µs of each column for one workload."""
    results = []
    for name, optimizer in OPTIMIZERS.items():
        step, finite = train_step_fn(widths, batch, optimizer, classifies)
        results.append(measure(step, *timing))
        assert finite(), f"{widths} with {name}: parameters or loss not finite"
    for first_input_grad in (False, True):
        results.append(measure(gemm_only_fn(widths, batch, first_input_grad), *timing))
    results.append(measure(infer_fn(widths, batch), *timing))
    results.append(measure(infer_products_fn(widths, batch), *timing))
    results.append(measure(infer_fn(widths, 1), *timing))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short warm-up and measurement")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (1)")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time the thread's CPU time (steadier on a busy machine; one thread only)",
    )
    parser.add_argument("workloads", nargs="*", help="only these workloads (w3_b128 ...)")
    args = parser.parse_args()
    if args.cpu_time:
        global CLOCK
        CLOCK = time.thread_time_ns
    timing = (0.5, 0.2, 0.005) if args.quick else (3.0, 1.0, 0.01)

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.set_grad_enabled(True)
    torch.set_default_dtype(torch.float32)

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
        f"CPU capability {torch.backends.cpu.get_cpu_capability()}, MKL {torch.backends.mkl.is_available()}, "
        f"python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    print("median µs per call (samples × calls per sample)")
    print(f"{'':10}" + "".join(f"{c:>20}" for c in COLUMNS), flush=True)
    for name, widths, batch, classifies in WORKLOADS:
        if args.workloads and name not in args.workloads:
            continue
        results = run_workload(widths, batch, classifies, timing)
        cells = "".join(f"{f'{m:.1f} ({s}×{k})':>20}" for m, s, k in results)
        print(f"{name:10}{cells}", flush=True)
    if not args.workloads or "lenet_b64" in args.workloads:
        lenet_results = []
        for name in ("SGD", "Adam"):
            step, finite = train_step_fn("lenet", 64, OPTIMIZERS[name])
            lenet_results.append(measure(step, *timing))
            assert finite(), f"lenet_b64 with {name}: parameters or loss not finite"
        lenet_results.append(measure(lenet_infer_fn(), *timing))
        print()
        print(f"{'':10}" + "".join(f"{c:>20}" for c in ["SGD step", "Adam step", "infer b1"]))
        cells = "".join(f"{f'{m:.1f} ({s}×{k})':>20}" for m, s, k in lenet_results)
        print(f"{'lenet_b64':10}{cells}", flush=True)


if __name__ == "__main__":
    main()
