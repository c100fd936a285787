"""Records prodigyopt's Prodigy steps on a tiny network, for lrfind-burn's tests/prodigy.rs.

Run once, from the repository root, with PyTorch and prodigyopt installed (a venv outside the
repository: `python3 -m venv /tmp/v && /tmp/v/bin/pip install torch prodigyopt`):

    /tmp/v/bin/python scripts/record_prodigy.py crates/lrfind-burn/tests/data/prodigy_steps.json

Network: x(4) -> Linear(4, 3) -> tanh -> Linear(3, 2), MSE loss, two batches of 3 rows used in
turn, fixed initial weights (PyTorch's layout: weight[out][in]). Cases: prodigyopt's defaults at
lr 1; and weight decay 0.1 at lr 0.5 with beta1 changed every step (as OneCycleLR cycles it).
After every step: Prodigy's d and every parameter.
"""
import json
import sys

import torch

W1 = [[0.3, -0.2, 0.1, 0.5], [-0.4, 0.25, 0.6, -0.1], [0.2, 0.35, -0.3, 0.15]]
B1 = [0.05, -0.1, 0.2]
W2 = [[0.4, -0.6, 0.3], [-0.2, 0.5, 0.45]]
B2 = [0.1, -0.05]
BATCHES = [
    ([[1.0, -0.5, 0.25, 2.0], [0.5, 1.5, -1.0, 0.0], [-1.0, 0.25, 0.75, -0.5]],
     [[1.0, 0.0], [0.0, 1.0], [0.5, -0.5]]),
    ([[0.0, 1.0, 2.0, -1.0], [1.5, -0.25, 0.5, 1.0], [-0.5, -1.0, 0.0, 0.5]],
     [[-1.0, 0.5], [0.25, 0.25], [1.0, -1.0]]),
]
STEPS = 60


def run(lr, weight_decay, beta1s):
    import prodigyopt

    torch.manual_seed(0)
    l1, l2 = torch.nn.Linear(4, 3), torch.nn.Linear(3, 2)
    with torch.no_grad():
        l1.weight.copy_(torch.tensor(W1)); l1.bias.copy_(torch.tensor(B1))
        l2.weight.copy_(torch.tensor(W2)); l2.bias.copy_(torch.tensor(B2))
    params = [l1.weight, l1.bias, l2.weight, l2.bias]
    opt = prodigyopt.Prodigy(params, lr=lr, weight_decay=weight_decay)
    steps = []
    for i in range(STEPS):
        group = opt.param_groups[0]
        group["betas"] = (beta1s[i], group["betas"][1])
        x, y = (torch.tensor(t) for t in BATCHES[i % 2])
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(l2(torch.tanh(l1(x))), y)
        loss.backward()
        opt.step()
        steps.append({
            "d": group["d"],
            "l1_weight": l1.weight.tolist(), "l1_bias": l1.bias.tolist(),
            "l2_weight": l2.weight.tolist(), "l2_bias": l2.bias.tolist(),
        })
    return {"lr": lr, "weight_decay": weight_decay, "beta1": beta1s, "steps": steps}


if __name__ == "__main__":
    cycled = [0.95 - 0.01 * i for i in range(STEPS)]
    record = json.dumps({
        "recorded_with": f"torch {torch.__version__}, prodigyopt 1.1.2",
        "init": {"l1_weight": W1, "l1_bias": B1, "l2_weight": W2, "l2_bias": B2},
        "batches": BATCHES,
        "cases": [run(1.0, 0.0, [0.9] * STEPS), run(0.5, 0.1, cycled)],
    })
    with open(sys.argv[1], "w") as out:  # prodigyopt prints to stdout
        out.write(record + "\n")
