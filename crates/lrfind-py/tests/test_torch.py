"""lrfind.torch: exact restore, pytorch-lr-finder's ramp and stop, accumulation, AMP skips,
param-group ratios, custom batches, plots, and bad input as exceptions."""

import copy
import glob
import math
import os
import random
import tempfile

import numpy
import pytest
import torch
import torch.nn.functional as F
import torch_lr_finder

import lrfind
from lrfind.torch import LRFinder, lr_find
from conftest import Net, dataset, loader, setup


def train(model, optimizer, data, steps):
    """Plain training: ``steps`` steps over a fresh pass of ``data`` (shuffled by torch's RNG)."""
    batches = iter(data)
    for _ in range(steps):
        x, y = next(batches)
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()


def assert_same_state(model, optimizer, weights, optim):
    now = model.state_dict()
    assert now.keys() == weights.keys()
    for k, v in weights.items():
        assert now[k].dtype == v.dtype and torch.equal(now[k], v), k
    saved = optimizer.state_dict()
    assert saved["param_groups"] == optim["param_groups"]
    for i, state in optim["state"].items():
        for k, v in state.items():
            assert torch.equal(torch.as_tensor(saved["state"][i][k]), torch.as_tensor(v)), (i, k)


def snapshot(model, optimizer):
    return ({k: v.clone() for k, v in model.state_dict().items()},
            copy.deepcopy(optimizer.state_dict()))


def run(finder, snapshot_to="memory"):
    """Trains 3 steps, optionally runs the range test, trains 5 more; returns the final weights
    and draws from every RNG."""
    model, optimizer = setup(seed=1)
    data = loader()
    train(model, optimizer, data, 3)
    model.drop.eval()  # a mixed mode the test must put back
    if finder:
        weights, optim = snapshot(model, optimizer)
        modes = [m.training for m in model.modules()]
        result = lr_find(model, optimizer, F.cross_entropy, data, num_iter=30,
                         snapshot=snapshot_to)
        assert len(result.curve["lr"]) >= 2
        assert_same_state(model, optimizer, weights, optim)
        assert [m.training for m in model.modules()] == modes
    model.drop.train()
    train(model, optimizer, data, 5)
    draws = (torch.rand(3).tolist(), random.random(), numpy.random.rand())
    return model.state_dict(), draws


@pytest.mark.parametrize("snapshot_to", ["memory", "disk"])
def test_training_after_the_test_equals_training_without_it_to_the_bit(snapshot_to):
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "lrfind-*.pt")))
    torch.manual_seed(7), random.seed(7), numpy.random.seed(7)
    plain, plain_draws = run(finder=False)
    torch.manual_seed(7), random.seed(7), numpy.random.seed(7)
    tested, tested_draws = run(finder=True, snapshot_to=snapshot_to)
    for k, v in plain.items():
        assert torch.equal(tested[k], v), k
    assert tested_draws == plain_draws
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "lrfind-*.pt"))) == before


def raising_at(call, error):
    """A step_fn that trains on ``(x, y)`` batches and raises ``error`` at its ``call``-th call."""
    calls = []

    def step_fn(model, batch):
        calls.append(1)
        if len(calls) == call:
            raise error
        x, y = batch
        return F.cross_entropy(model(x), y)

    return step_fn


def test_an_exception_in_the_step_restores_everything():
    model, optimizer = setup()
    weights, optim = snapshot(model, optimizer)
    with pytest.raises(RuntimeError, match="simulated"):
        lr_find(model, optimizer, train_loader=loader(), num_iter=50,
                step_fn=raising_at(12, RuntimeError("CUDA out of memory (simulated)")))
    assert_same_state(model, optimizer, weights, optim)
    assert model.training


def test_ctrl_c_restores_and_keeps_the_points_so_far():
    model, optimizer = setup()
    weights, optim = snapshot(model, optimizer)
    result = lr_find(model, optimizer, train_loader=loader(), num_iter=50,
                     step_fn=raising_at(15, KeyboardInterrupt))
    assert result.stopped == "interrupted"
    assert len(result.curve["lr"]) == 14
    with pytest.raises(lrfind.NoRecommendation, match="interrupted"):
        result.lr
    assert_same_state(model, optimizer, weights, optim)


def test_ctrl_c_before_two_points_raises_keyboard_interrupt_after_restoring():
    model, optimizer = setup()
    weights, optim = snapshot(model, optimizer)
    with pytest.raises(KeyboardInterrupt):
        lr_find(model, optimizer, train_loader=loader(), num_iter=50,
                step_fn=raising_at(2, KeyboardInterrupt))
    assert_same_state(model, optimizer, weights, optim)


def test_ramp_and_divergence_stop_agree_with_pytorch_lr_finder():
    data = loader(shuffle=False)
    model, optimizer = setup(seed=3, opt="sgd")
    reference = torch_lr_finder.LRFinder(model, optimizer, F.cross_entropy, device="cpu")
    reference.range_test(data, start_lr=1e-4, end_lr=100.0, num_iter=100, step_mode="exp",
                         smooth_f=0.0, diverge_th=5)
    # The same weights and the same RNG state for the dropout masks as pytorch-lr-finder's run.
    model, optimizer = setup(seed=3, opt="sgd")
    result = lr_find(model, optimizer, F.cross_entropy, data, start_lr=1e-4, end_lr=100.0,
                     num_iter=100, beta=None, stop_div=5.0)
    assert result.stopped == "diverged"
    n = len(reference.history["lr"])
    assert 10 < n < 100
    assert result.curve["lr"] == reference.history["lr"]
    assert result.curve["raw_loss"] == reference.history["loss"]


def test_accumulation_is_one_point_per_optimizer_step_with_the_mean_loss():
    model, optimizer = setup()
    seen, steps = [], []
    hook = optimizer.register_step_post_hook(lambda *a: steps.append(1))

    def step_fn(model, batch):
        x, y = batch
        loss = F.cross_entropy(model(x), y)
        seen.append(float(loss.detach()))
        return loss

    try:
        result = lr_find(model, optimizer, train_loader=loader(), step_fn=step_fn,
                         num_iter=20, accumulation_steps=3, beta=None, stop_div=None)
    finally:
        hook.remove()
    assert len(result.curve["lr"]) == 20 and len(steps) == 20 and len(seen) == 60
    means = [(seen[i] + seen[i + 1] + seen[i + 2]) / 3 for i in range(0, 60, 3)]
    assert result.curve["raw_loss"] == means


def ramp(start_lr, end_lr, num_iter):
    test = lrfind.RangeTest(start_lr=start_lr, end_lr=end_lr, num_iter=num_iter, beta=None,
                            stop_div=None)
    lrs = []
    while (lr := test.next_lr()) is not None:
        lrs.append(lr)
        test.record(1.0)
    return lrs


def test_a_step_the_grad_scaler_skips_is_not_a_point():
    model, optimizer = setup()
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 16)
    scale = scaler.get_scale()
    calls, steps = [], []
    hook = optimizer.register_step_post_hook(lambda *a: steps.append(1))

    def step_fn(model, batch):
        calls.append(1)
        x, y = batch
        loss = F.cross_entropy(model(x), y)
        # Call 5's gradients overflow once scaled: the scaler skips that step.
        return loss * 1e36 if len(calls) == 5 else loss

    try:
        result = lr_find(model, optimizer, train_loader=loader(), step_fn=step_fn,
                         grad_scaler=scaler, start_lr=1e-5, end_lr=1e-1, num_iter=20,
                         beta=None, stop_div=None)
    finally:
        hook.remove()
    assert result.skipped_steps == 1
    assert len(calls) == 21 and len(steps) == 20
    assert result.curve["lr"] == ramp(1e-5, 1e-1, 20)
    assert all(loss < 10 for loss in result.curve["raw_loss"])
    assert scaler.get_scale() == scale


def test_param_groups_keep_their_ratios():
    torch.manual_seed(0)
    model = Net()
    optimizer = torch.optim.SGD([
        {"params": model.fc1.parameters(), "lr": 1e-3},
        {"params": list(model.bn.parameters()) + list(model.fc2.parameters()), "lr": 4e-3},
    ], lr=1e-3, momentum=0.9)
    seen = []

    def step_fn(model, batch):
        seen.append([g["lr"] for g in optimizer.param_groups])
        x, y = batch
        return F.cross_entropy(model(x), y)

    result = lr_find(model, optimizer, train_loader=loader(), step_fn=step_fn, start_lr=1e-6,
                     end_lr=1.0, num_iter=25, beta=None, stop_div=None)
    assert [s[0] for s in seen] == result.curve["lr"] == ramp(1e-6, 1.0, 25)
    for first, second in seen:
        assert second == pytest.approx(4 * first, rel=1e-14)
    assert [g["lr"] for g in optimizer.param_groups] == [1e-3, 4e-3]


class DictNet(torch.nn.Module):
    """Keyword inputs, as Hugging Face models take them; returns its loss when given labels."""

    def __init__(self):
        super().__init__()
        self.net = Net()

    def forward(self, features, mask=None, labels=None):
        logits = self.net(features * mask if mask is not None else features)
        if labels is None:
            return logits
        return {"logits": logits, "loss": F.cross_entropy(logits, labels)}


def dict_batches(n=8):
    x, y = dataset(n=16 * n)
    return [{"features": x[i:i + 16], "mask": torch.ones(16, 8), "labels": y[i:i + 16]}
            for i in range(0, 16 * n, 16)]


def test_dict_batches_with_a_step_fn_a_criterion_or_the_models_own_loss():
    batches = dict_batches()

    def step_fn(model, batch):
        return F.cross_entropy(model(batch["features"], batch["mask"]), batch["labels"])

    curves = []
    # A step_fn; a criterion (the target under "labels", the rest as keywords); no criterion:
    # the model's own loss.
    for kwargs in [dict(step_fn=step_fn), dict(criterion=F.cross_entropy), dict()]:
        torch.manual_seed(0)
        model = DictNet()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        result = lr_find(model, optimizer, train_loader=batches, num_iter=16, **kwargs)
        curves.append(result.curve["raw_loss"])
    assert curves[0] == curves[1] == curves[2]


def test_plots_are_saved_never_shown(tmp_path):
    model, optimizer = setup()
    result = lr_find(model, optimizer, F.cross_entropy, loader(), num_iter=40)
    assert result.plot(tmp_path / "lr.png") == tmp_path / "lr.png"
    assert (tmp_path / "lr.png").stat().st_size > 1000
    ax = result.plot(title="range test")
    assert ax.get_xscale() == "log" and ax.get_title() == "range test"
    result.plot(tmp_path / "mpl.png", ax=ax)
    assert (tmp_path / "mpl.png").stat().st_size > 1000
    assert "lrfind.torch.Result" in repr(result)


def test_result_json_and_suggestions_are_the_cores():
    model, optimizer = setup()
    result = lr_find(model, optimizer, F.cross_entropy, loader(), num_iter=60)
    curve = result.curve
    again = lrfind.analyze(curve["lr"], curve["loss"], raw_losses=curve["raw_loss"],
                           num_iter=60, stopped=result.stopped)
    assert dict(again.suggestions) == result.suggestions
    assert '"recommended"' in result.to_json()


def test_a_loader_that_cannot_restart_stops_the_test_with_a_warning():
    model, optimizer = setup()
    batches = iter(list(loader()))  # 16 batches, once
    with pytest.warns(UserWarning, match="ran out after 16 batches"):
        result = lr_find(model, optimizer, F.cross_entropy, batches, num_iter=40)
    assert len(result.curve["lr"]) == 16 and result.stopped == "interrupted"


def check_raises(error, match, model=None, optimizer=None, **kwargs):
    model, optimizer = (model, optimizer) if model is not None else setup()
    weights, optim = snapshot(model, optimizer)
    args = dict(criterion=F.cross_entropy, train_loader=loader(), num_iter=20)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        lr_find(model, optimizer, **args)
    assert_same_state(model, optimizer, weights, optim)


def test_an_empty_loader_raises():
    check_raises(lrfind.LrfindError, "train_loader yielded no batch", train_loader=[])


def test_a_nan_loss_at_once_raises():
    check_raises(lrfind.LrfindError, "not finite",
                 criterion=lambda out, y: F.cross_entropy(out, y) * float("nan"))


def test_a_non_scalar_loss_raises():
    check_raises(lrfind.LrfindError, r"scalar loss.*\(16,\)",
                 criterion=torch.nn.CrossEntropyLoss(reduction="none"))


def test_a_criterion_returning_a_float_raises():
    check_raises(lrfind.LrfindError, "loss tensor, got float",
                 criterion=lambda out, y: 1.0)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(num_iter="100"), TypeError, "num_iter must be an integer"),
    (dict(num_iter=1), lrfind.LrfindError, "num_iter"),
    (dict(start_lr=-1.0), lrfind.LrfindError, "start_lr"),
    (dict(end_lr=float("nan")), lrfind.LrfindError, "end_lr"),
    (dict(accumulation_steps=0), lrfind.LrfindError, "accumulation_steps"),
    (dict(method="best"), lrfind.LrfindError, "method must be one of"),
    (dict(beta=2.0), lrfind.LrfindError, "beta"),
    (dict(snapshot="gpu"), lrfind.LrfindError, "snapshot"),
    (dict(criterion=None), lrfind.LrfindError, "criterion"),
    (dict(criterion="mse"), TypeError, "criterion must be callable"),
    (dict(train_loader=[(torch.zeros(2, 8),)]), lrfind.LrfindError, "tuple batch|default step"),
    (dict(train_loader=[{"x": torch.zeros(2, 8)}]), lrfind.LrfindError, "labels"),
])
def test_bad_settings_raise_naming_them(kwargs, error, match):
    check_raises(error, match, **kwargs)


def test_wrong_model_and_optimizer_types_raise():
    model, optimizer = setup()
    with pytest.raises(TypeError, match="torch.nn.Module"):
        lr_find(lambda x: x, optimizer, F.cross_entropy, loader())
    with pytest.raises(TypeError, match="torch.optim.Optimizer"):
        lr_find(model, "adam", F.cross_entropy, loader())
    optimizer.param_groups[0]["lr"] = 0.0
    with pytest.raises(lrfind.LrfindError, match="param group 0 has lr 0.0"):
        lr_find(model, optimizer, F.cross_entropy, loader())


def test_validation_loss_is_the_sample_weighted_mean_in_eval_mode():
    model, optimizer = setup()
    val = loader(batch_size=100, n=250, seed=5, shuffle=False)  # batches of 100, 100, 50
    evals = []

    def step_fn(model, batch):
        x, y = batch
        if not model.training:
            evals.append((F.cross_entropy(model(x), y, reduction="sum").item(), len(y)))
        return F.cross_entropy(model(x), y)

    result = lr_find(model, optimizer, train_loader=loader(), val_loader=val, step_fn=step_fn,
                     num_iter=10, beta=None, stop_div=None)
    assert len(evals) == 30
    first = sum(s for s, _ in evals[:3]) / 250
    assert result.curve["raw_loss"][0] == pytest.approx(first, rel=1e-6)
    assert model.training
