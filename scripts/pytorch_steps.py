"""Milliseconds per training step of a plain PyTorch loop on the shapes of lrfind's three reference
tasks (AdamW with PyTorch's defaults, the loss read back every step as lrfind's range test does).
Random data: speed does not depend on the values.

Usage: python pytorch_steps.py TASK STEPS THREADS   (TASK: digits | cnn | charlm)
Prints one number: the median over 3 repeats of STEPS steps, after 3 warm-up steps.
       python pytorch_steps.py kernels THREADS
Prints `name ms` for the layers `cargo run --release -p lrfind-zoo --example flex_kernels` times
(forward + backward of one layer, a sum as the loss; median of 5 repeats of 20 calls).
Run by scripts/compare-pytorch.sh; needs torch (a venv outside the repository).
"""
import statistics
import sys
import time

import torch
from torch import nn


class Cnn(nn.Module):
    """lrfind_zoo::model::Cnn: conv 1→16 3×3, ReLU, max-pool 2, conv 16→32 3×3, ReLU, max-pool 2, linear 800→10."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 5 * 5, 10),
        )

    def forward(self, x):
        return self.body(x.reshape(-1, 1, 28, 28))


class CharLm(nn.Module):
    """lrfind_zoo::model::CharLm: token + position embeddings, pre-norm encoder (ReLU, no dropout), causal mask, layer norm, linear head."""

    def __init__(self, vocab=65, d=128, heads=4, layers=2, seq=64):
        super().__init__()
        self.tokens = nn.Embedding(vocab, d)
        self.positions = nn.Embedding(seq, d)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, activation="relu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)

    def forward(self, x):
        t = x.shape[1]
        h = self.tokens(x) + self.positions(torch.arange(t))
        mask = nn.Transformer.generate_square_subsequent_mask(t)
        return self.head(self.norm(self.encoder(h, mask=mask, is_causal=True)))


def task(name):
    g = torch.Generator().manual_seed(0)
    if name == "digits":
        model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
        x, y = torch.rand(64, 64, generator=g), torch.randint(0, 10, (64,), generator=g)
        return model, lambda: nn.functional.cross_entropy(model(x), y)
    if name == "cnn":
        model = Cnn()
        x, y = torch.rand(64, 784, generator=g), torch.randint(0, 10, (64,), generator=g)
        return model, lambda: nn.functional.cross_entropy(model(x), y)
    if name == "charlm":
        model = CharLm()
        x, y = torch.randint(0, 65, (32, 64), generator=g), torch.randint(0, 65, (32, 64), generator=g)
        return model, lambda: nn.functional.cross_entropy(model(x).reshape(-1, 65), y.reshape(-1))
    raise SystemExit(f"unknown task {name!r} (digits, cnn, charlm)")


def time_ms(f):
    for _ in range(3):
        f()
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(20):
            f()
        runs.append((time.perf_counter() - start) / 20 * 1000)
    return statistics.median(runs)


def kernels(threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    conv1, conv2 = nn.Conv2d(1, 16, 3), nn.Conv2d(16, 32, 3)
    pool, ff = nn.MaxPool2d(2), nn.Linear(128, 512)
    x1 = torch.rand(64, 1, 28, 28)
    x2 = torch.rand(64, 16, 13, 13, requires_grad=True)
    x3 = torch.rand(64, 16, 26, 26, requires_grad=True)
    x4 = torch.rand(32 * 64, 128, requires_grad=True)
    q = torch.rand(128, 64, 32, requires_grad=True)
    k = torch.rand(128, 32, 64, requires_grad=True)
    for name, f in [
        ("conv1_1x28x28_to_16", lambda: conv1(x1).sum().backward()),
        ("conv2_16x13x13_to_32", lambda: conv2(x2).sum().backward()),
        ("maxpool_16x26x26", lambda: pool(x3).sum().backward()),
        ("linear_2048x128_to_512", lambda: ff(x4).sum().backward()),
        ("attention_128x64x64_softmax", lambda: torch.softmax(q @ k, 2).sum().backward()),
    ]:
        print(f"{name} {time_ms(f):.3f}")


def main():
    if sys.argv[1] == "kernels":
        return kernels(int(sys.argv[2]))
    name, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, loss_fn = task(name)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(3):
        step()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        times.append((time.perf_counter() - start) / steps * 1000)
    print(f"{statistics.median(times):.3f}")


if __name__ == "__main__":
    main()
