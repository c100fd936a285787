"""Records schedulefree's AdamWScheduleFree steps on a tiny network, for lrfind-burn's
tests/schedule_free.rs.

Run once, from the repository root, with PyTorch and schedulefree installed (a venv outside the
repository, e.g. scripts/python-env.sh's plus `pip install schedulefree==1.4.1`):

    $VENV/bin/python scripts/record_schedulefree.py crates/lrfind-burn/tests/data/schedulefree_steps.json

Network and batches: those of scripts/record_prodigy.py (Linear 4->3, tanh, Linear 3->2, MSE, two
batches in turn, fixed initial weights; PyTorch's layout weight[out][in]). Cases: schedulefree's
defaults at lr 0.0025; lr 0.05 with weight decay 0.1 and 5 warm-up steps. After every step, in
train mode, every parameter (the point y the gradient is taken at); after the last, in eval mode,
every parameter (the average x a model is evaluated at).
"""
import importlib.metadata
import json
import sys

import schedulefree
import torch

sys.path.insert(0, "scripts")
from record_prodigy import B1, B2, BATCHES, W1, W2  # noqa: E402  (the same network and data)

STEPS = 40


def params(l1, l2):
    return {"l1_weight": l1.weight.tolist(), "l1_bias": l1.bias.tolist(),
            "l2_weight": l2.weight.tolist(), "l2_bias": l2.bias.tolist()}


def run(lr, weight_decay, warmup_steps):
    l1, l2 = torch.nn.Linear(4, 3), torch.nn.Linear(3, 2)
    with torch.no_grad():
        l1.weight.copy_(torch.tensor(W1)); l1.bias.copy_(torch.tensor(B1))
        l2.weight.copy_(torch.tensor(W2)); l2.bias.copy_(torch.tensor(B2))
    opt = schedulefree.AdamWScheduleFree(
        [l1.weight, l1.bias, l2.weight, l2.bias], lr=lr, weight_decay=weight_decay,
        warmup_steps=warmup_steps, foreach=False)
    opt.train()
    steps = []
    for i in range(STEPS):
        x, y = (torch.tensor(t) for t in BATCHES[i % 2])
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(l2(torch.tanh(l1(x))), y)
        loss.backward()
        opt.step()
        steps.append(params(l1, l2))
    opt.eval()
    return {"lr": lr, "weight_decay": weight_decay, "warmup_steps": warmup_steps,
            "steps": steps, "eval": params(l1, l2)}


record = json.dumps({
    "recorded_with": f"torch {torch.__version__}, schedulefree {importlib.metadata.version('schedulefree')}",
    "init": {"l1_weight": W1, "l1_bias": B1, "l2_weight": W2, "l2_bias": B2},
    "batches": BATCHES,
    "cases": [run(0.0025, 0.0, 0), run(0.05, 0.1, 5)],
})
with open(sys.argv[1], "w") as out:
    out.write(record + "\n")
