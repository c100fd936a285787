"""The Rust core as Python sees it: the ask/tell range test, analyze against the CLI, the JSON
the CLI reads back, the schedules against PyTorch's, and bad input as exceptions."""

import json
import math
import subprocess

import pytest
import torch

import lrfind
from conftest import RECORDED


def cli_analyze(cli, path, *args):
    out = subprocess.run([cli, "analyze", str(path), "--format", "json", *args],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def test_suggestions_equal_the_cli_to_the_float(cli):
    curve = lrfind.read_curve(RECORDED)
    ours = lrfind.analyze(curve["lr"], curve["loss"])
    theirs = cli_analyze(cli, RECORDED)
    rates = {name: s["lr"] for name, s in theirs["suggestions"].items() if "lr" in s}
    assert len(rates) >= 8
    assert ours.suggestions == list(rates.items())
    bounds = theirs["suggestions"]["bounds"]
    assert ours.bounds == (bounds["base_lr"], bounds["max_lr"])
    assert ours.skipped == (theirs["skip_start"], theirs["skip_end"])
    assert ours.stopped == theirs["stopped"]
    assert ours.method == lrfind.DEFAULT_METHOD
    assert ours.lr == rates[lrfind.DEFAULT_METHOD]


def test_methods_and_skipping_are_the_clis(cli):
    curve = lrfind.read_curve(RECORDED)
    ours = lrfind.analyze(curve["lr"], curve["loss"], methods=["sma", "valley"], skip_start=3,
                          skip_end=2, method="sma")
    theirs = cli_analyze(cli, RECORDED, "--methods", "sma,valley", "--skip-start", "3",
                         "--skip-end", "2")
    assert dict(ours.suggestions) == {n: s["lr"] for n, s in theirs["suggestions"].items()}
    assert ours.lr == theirs["suggestions"]["sma"]["lr"]


def test_to_json_reads_back_in_the_cli(cli, tmp_path):
    test = lrfind.RangeTest(start_lr=1e-5, end_lr=1.0, num_iter=60, beta=0.9)
    i = 0
    while (lr := test.next_lr()) is not None:
        # A bowl in log lr with its bottom near 1e-2: the loss rises past 4x its best.
        test.record(1.0 + 0.3 * (math.log10(lr) + 2) ** 2 + 0.01 * math.sin(i))
        i += 1
    analysis = test.analyze()
    path = tmp_path / "lr_find.json"
    path.write_text(analysis.to_json())
    doc = json.loads(path.read_text())
    assert doc["num_iter"] == doc["config"]["num_iter"] == 60
    assert doc["curve"]["raw_loss"] == analysis.curve["raw_loss"]
    back = cli_analyze(cli, path)
    assert back["stopped"] == analysis.stopped
    assert [(n, s["lr"]) for n, s in back["suggestions"].items() if "lr" in s] \
        == analysis.suggestions
    assert lrfind.read_curve(path)["lr"] == analysis.curve["lr"]


def test_ask_tell_ramps_and_stops_on_divergence():
    test = lrfind.RangeTest(start_lr=1e-4, end_lr=1e2, num_iter=7, beta=None, stop_div=4.0)
    lrs, reasons = [], []
    for loss in [1.0, 0.5, 0.4, 0.45, 1.7]:
        lrs.append(test.next_lr())
        reasons.append(test.record(loss))
    assert lrs == [1e-4 * 1e6 ** (k / 6) if 0 < k else 1e-4 for k in range(5)]
    # 1.7 > 4 x 0.4: the point is recorded and the test stops.
    assert reasons == [None, None, None, None, "diverged"]
    assert test.next_lr() is None and test.stopped == "diverged" and test.iteration == 5


def test_a_non_finite_loss_stops_without_a_point():
    test = lrfind.RangeTest(num_iter=10)
    test.record(1.0)
    assert test.record(float("nan")) == "non_finite"
    assert test.iteration == 1 and test.next_lr() is None


def test_an_interrupted_sweep_has_no_recommendation_and_says_why():
    test = lrfind.RangeTest(num_iter=50)
    for k in range(20):
        test.next_lr()
        test.record(2.0 - 0.01 * k)
    test.interrupt()
    analysis = test.analyze()
    assert analysis.stopped == "interrupted"
    assert analysis.method is None and "interrupted" in analysis.reason
    with pytest.raises(lrfind.NoRecommendation, match="interrupted"):
        analysis.lr


def test_warnings_speak_in_settings_not_flags():
    test = lrfind.RangeTest(start_lr=1e-2, end_lr=10.0, num_iter=12)
    while (lr := test.next_lr()) is not None:
        test.record(1.0 / (1.0 + lr))
    analysis = test.analyze()
    assert analysis.confidence == "low"
    assert analysis.warnings, "a 12-point sweep that never diverges is not to be trusted"
    for w in analysis.warnings:
        assert set(w) == {"code", "message", "advice"}
        assert "--" not in w["message"] + w["advice"], w


def test_plot_writes_png_and_svg(tmp_path):
    curve = lrfind.read_curve(RECORDED)
    analysis = lrfind.analyze(curve["lr"], curve["loss"])
    analysis.plot(str(tmp_path / "a.png"), title="digits")
    analysis.plot(tmp_path / "a.svg")
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "a.svg").read_bytes()[:400]
    with pytest.raises(lrfind.LrfindError):
        analysis.plot(tmp_path / "a.gif")


@pytest.mark.parametrize("settings, error", [
    (dict(start_lr=0.0), "start_lr"),
    (dict(start_lr=1.0, end_lr=0.1), "end_lr"),
    (dict(num_iter=1), "num_iter"),
    (dict(beta=1.5), "beta"),
    (dict(stop_div=0.5), "stop_div"),
    (dict(ramp="cos"), "ramp"),
    (dict(end_lr=float("inf")), "end_lr"),
])
def test_bad_settings_raise_naming_the_setting(settings, error):
    with pytest.raises(lrfind.LrfindError, match=error):
        lrfind.RangeTest(**settings)


def test_bad_curves_raise_naming_the_problem():
    with pytest.raises(lrfind.LrfindError, match="length|loss"):
        lrfind.analyze([1e-3, 1e-2, 1e-1], [1.0, 0.9])
    with pytest.raises(lrfind.LrfindError, match="increas"):
        lrfind.analyze([1e-3, 1e-2, 1e-2], [1.0, 0.9, 0.8])
    with pytest.raises(lrfind.LrfindError):
        lrfind.analyze([1e-3], [1.0])
    with pytest.raises(lrfind.LrfindError, match="method"):
        lrfind.analyze([1e-3, 1e-2, 1e-1], [1.0, 0.9, 0.8], method="best")
    with pytest.raises(lrfind.LrfindError, match="stopped"):
        lrfind.analyze([1e-3, 1e-2, 1e-1], [1.0, 0.9, 0.8], stopped="maybe")
    with pytest.raises(TypeError, match="lrs"):
        lrfind.analyze(["a", "b"], [1.0, 0.9])
    with pytest.raises(TypeError):
        lrfind.RangeTest(num_iter="100")
    with pytest.raises(lrfind.LrfindError, match="nope.csv"):
        lrfind.read_curve("nope.csv")


def torch_lrs(scheduler_of, steps, lr=0.1, momentum=None):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = (torch.optim.SGD([p], lr=lr, momentum=momentum) if momentum is not None
           else torch.optim.SGD([p], lr=lr))
    sched = scheduler_of(opt)
    lrs, moms = [], []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0].get("momentum"))
        opt.step()
        sched.step()
    return lrs, moms


def test_one_cycle_equals_pytorch():
    ours = lrfind.schedule("one-cycle", 100, max_lr=0.5, pct_start=0.3)
    lrs, moms = torch_lrs(lambda o: torch.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.5, total_steps=100, pct_start=0.3), 100, momentum=0.9)
    assert ours["lr"] == pytest.approx(lrs, rel=1e-12, abs=1e-15)
    assert ours["momentum"] == pytest.approx(moms, rel=1e-12)


def test_cosine_equals_pytorch():
    ours = lrfind.schedule("cosine", 50, lr=0.1, t_max=50, eta_min=1e-4)
    lrs, _ = torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(
        o, T_max=50, eta_min=1e-4), 50)
    assert ours["lr"] == pytest.approx(lrs, rel=1e-12)
    assert ours["momentum"] is None


def test_cyclic_exp_range_equals_pytorch():
    ours = lrfind.schedule("cyclic", 60, base_lr=1e-3, max_lr=1e-1, step_size_up=10,
                           mode="exp_range", gamma=0.99)
    lrs, _ = torch_lrs(lambda o: torch.optim.lr_scheduler.CyclicLR(
        o, base_lr=1e-3, max_lr=1e-1, step_size_up=10, mode="exp_range", gamma=0.99,
        cycle_momentum=False), 60)
    assert ours["lr"] == pytest.approx(lrs, rel=1e-12)


def test_schedule_errors_name_the_setting():
    with pytest.raises(lrfind.LrfindError, match="kind must be one of"):
        lrfind.schedule("zigzag", 10, lr=0.1)
    with pytest.raises(lrfind.LrfindError, match="warp"):
        lrfind.schedule("cosine", 10, lr=0.1, warp=3)
    with pytest.raises(lrfind.LrfindError, match="max_lr"):
        lrfind.schedule("one-cycle", 10, max_lr=-1.0)
    with pytest.raises(lrfind.LrfindError, match="t_max"):
        lrfind.schedule("cosine", 10, lr=0.1, t_max=float("nan"))
