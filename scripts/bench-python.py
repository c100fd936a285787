"""Speed of lrfind.torch, in one run timing every side on the same model and batches.

1. Per-step cost of a range test: `lrfind.torch.lr_find` against a plain PyTorch loop that sets
   the lr and trains the same steps, and against pytorch-lr-finder's `LRFinder.range_test`
   (+ `reset()`), each run whole (snapshot, steps, restore), repeated and interleaved; the
   median is reported.
2. Snapshot + restore of a ~10M-parameter model with Adam state: lrfind.torch's (memory and disk)
   against pytorch-lr-finder's state cache (its `LRFinder(...)` constructor, which caches, and
   `reset()`).

Run: `$(bash scripts/python-env.sh)/bin/python scripts/bench-python.py` after
`bash scripts/test-python.sh` (which installs the package). Prints a Markdown table.
"""

import contextlib
import importlib.metadata
import io
import os
import platform
import statistics
import subprocess
import time

import torch
import torch.nn.functional as F
import torch_lr_finder

from lrfind.torch import _Snapshot, lr_find

STEPS = 100
REPEATS = 12


def mlp(sizes, seed=0):
    torch.manual_seed(seed)
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def batches(n, size=64, n_in=784, n_out=10):
    """A DataLoader of ``n`` batches (pytorch-lr-finder takes nothing else), in a fixed order."""
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n * size, n_in, generator=g)
    y = torch.randint(0, n_out, (n * size,), generator=g)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=size)


def plain(model, optimizer, data):
    for k, (x, y) in enumerate(data):
        lr = 1e-7 * (10 / 1e-7) ** (k / (len(data) - 1))
        for g in optimizer.param_groups:
            g["lr"] = lr
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        float(loss.detach())


def ours(model, optimizer, data):
    lr_find(model, optimizer, F.cross_entropy, data, num_iter=len(data), stop_div=None)


def theirs(model, optimizer, data):
    finder = torch_lr_finder.LRFinder(model, optimizer, F.cross_entropy, device="cpu")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        finder.range_test(data, end_lr=10, num_iter=len(data), diverge_th=1e30)
    finder.reset()


def rounds(sides):
    """``REPEATS`` rounds of every side, each round starting one side later: no side always
    runs first after the previous round's largest frees."""
    items = list(sides.items())
    for r in range(REPEATS):
        yield from items[r % len(items):] + items[:r % len(items)]


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def step_costs():
    data = batches(STEPS)
    model = mlp([784, 256, 256, 10])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    sides = {"plain loop": plain, "lrfind.torch": ours, "pytorch-lr-finder": theirs}
    times = {name: [] for name in sides}
    plain(model, optimizer, data)  # warm-up: allocations, Adam's state
    for name, fn in rounds(sides):
        times[name].append(timed(lambda: fn(model, optimizer, data)))
    return {name: statistics.median(t) / STEPS for name, t in times.items()}, \
        sum(p.numel() for p in model.parameters())


def snapshot_costs():
    model = mlp([784, 2048, 2048, 2048, 10])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = next(iter(batches(1)))
    F.cross_entropy(model(x), y).backward()
    optimizer.step()  # Adam's moments exist: the optimizer state is twice the weights

    def lrfind_memory():
        _Snapshot(model, optimizer, None, "memory").restore()

    def lrfind_disk():
        _Snapshot(model, optimizer, None, "disk").restore()

    def theirs_memory():
        torch_lr_finder.LRFinder(model, optimizer, F.cross_entropy, device="cpu",
                                 memory_cache=True).reset()

    def theirs_disk():
        torch_lr_finder.LRFinder(model, optimizer, F.cross_entropy, device="cpu",
                                 memory_cache=False).reset()

    sides = {"lrfind.torch, memory": lrfind_memory, "pytorch-lr-finder, memory": theirs_memory,
             "lrfind.torch, disk": lrfind_disk, "pytorch-lr-finder, disk": theirs_disk}
    times = {name: [] for name in sides}
    for name, fn in rounds(sides):
        times[name].append(timed(fn))
    return {name: statistics.median(t) for name, t in times.items()}, \
        sum(p.numel() for p in model.parameters())


def cpu():
    with contextlib.suppress(OSError):
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def main():
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    print(f"commit {commit or '?'}, {cpu()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, torch-lr-finder "
          f"{importlib.metadata.version('torch-lr-finder')}; median of {REPEATS}\n")
    steps, n = step_costs()
    base = steps["plain loop"]
    print(f"Range test of {STEPS} steps, MLP 784-256-256-10 ({n / 1e3:.0f}k parameters), Adam, "
          "batches of 64 (snapshot and restore included):\n")
    print("| side | ms / step | / plain loop |")
    print("|---|---|---|")
    for name, t in steps.items():
        print(f"| {name} | {t * 1e3:.3f} | {t / base:.2f} |")
    snaps, n = snapshot_costs()
    print(f"\nSnapshot + restore, MLP 784-2048-2048-2048-10 ({n / 1e6:.1f}M parameters) with Adam "
          "state:\n")
    print("| side | ms | / pytorch-lr-finder's, same medium |")
    print("|---|---|---|")
    for name, t in snaps.items():
        medium = name.split(", ")[1]
        ref = snaps[f"pytorch-lr-finder, {medium}"]
        print(f"| {name} | {t * 1e3:.1f} | {t / ref:.2f} |")


if __name__ == "__main__":
    main()
