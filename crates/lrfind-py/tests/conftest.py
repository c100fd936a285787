"""Shared pieces of the tests: a small seeded model and its data, and the Rust CLI to compare with."""

import os
import pathlib
import shutil

import pytest
import torch

#: The repository's root (the tests read the core's recorded curves from it).
ROOT = pathlib.Path(__file__).resolve().parents[3]
#: A curve recorded from a range test (an MLP on digits, Adam), as the core's tests use it.
RECORDED = ROOT / "crates/lrfind/tests/data/suggest/digits_mlp_adam_s0/curve.csv"


class Net(torch.nn.Module):
    """Two layers with batch norm and dropout: state in buffers and in the RNG."""

    def __init__(self, n_in=8, hidden=16, n_out=3):
        super().__init__()
        self.fc1 = torch.nn.Linear(n_in, hidden)
        self.bn = torch.nn.BatchNorm1d(hidden)
        self.drop = torch.nn.Dropout(0.2)
        self.fc2 = torch.nn.Linear(hidden, n_out)

    def forward(self, x):
        return self.fc2(self.drop(torch.relu(self.bn(self.fc1(x)))))


def dataset(n=256, n_in=8, n_out=3, seed=0):
    """A separable classification problem: ``(x, y)`` tensors."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, n_in, generator=g)
    w = torch.randn(n_in, n_out, generator=g)
    y = (x @ w).argmax(dim=1)
    return x, y


def loader(batch_size=16, shuffle=True, seed=0, n=256):
    x, y = dataset(n=n, seed=seed)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y),
                                       batch_size=batch_size, shuffle=shuffle)


def setup(seed=0, opt="adam", lr=1e-3):
    """A fresh model and optimizer from ``seed``."""
    torch.manual_seed(seed)
    model = Net()
    if opt == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return model, optimizer


@pytest.fixture(scope="session")
def cli():
    """The `lrfind` binary: $LRFIND_CLI, else $CARGO_TARGET_DIR/debug/lrfind, else on PATH."""
    candidates = [os.environ.get("LRFIND_CLI")]
    target = os.environ.get("CARGO_TARGET_DIR")
    if target:
        candidates.append(os.path.join(target, "debug", "lrfind"))
    candidates.append(shutil.which("lrfind"))
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    if os.environ.get("CI"):
        pytest.fail("CI needs the lrfind binary: set LRFIND_CLI")
    pytest.skip("the lrfind binary is not built (set LRFIND_CLI)")
