"""lrfind: Leslie Smith's learning-rate range test on lrfind's Rust core.

- ``RangeTest``: the ask/tell range test any training loop drives (``next_lr()``, ``record(loss)``).
- ``analyze(lrs, losses)``: every suggestion rule (fastai's valley, slide, minimum, steep,
  pytorch-lr-finder's gradient, the sma rate of change, consensus, lightning, descent, the
  cyclical bounds), the recommended rate, confidence and warnings, ``plot(path)``, ``to_json()``.
- ``schedule(kind, steps, ...)``: lr (and momentum) arrays equal to PyTorch's schedulers'.
- ``lrfind.torch.lr_find``: the range test for a PyTorch model, which puts everything back.
"""

import json as _json
import math as _math

from ._core import (
    DEFAULT_METHOD,
    METHODS,
    SCHEDULES,
    Analysis,
    LrfindError,
    NoRecommendation,
    RangeTest,
    read_curve,
)
from . import _core

__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "SCHEDULES",
    "Analysis",
    "LrfindError",
    "NoRecommendation",
    "RangeTest",
    "analyze",
    "read_curve",
    "schedule",
]


def _floats(name, values):
    """``values`` (a list, tuple, numpy array or 1-D tensor) as a list of floats."""
    if values is None:
        return None
    if hasattr(values, "tolist"):
        values = values.tolist()
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError) as e:
        raise TypeError(f"{name} must be a sequence of numbers: {e}") from None


def analyze(lrs, losses, *, raw_losses=None, method=None, methods=None, skip_start=None,
            skip_end=None, num_iter=None, sma_window=5, stopped=None):
    """Suggestions for a recorded curve, as ``lrfind analyze`` makes them.

    ``lrs`` increase; ``losses`` as recorded (smoothed, or raw). ``method`` is the rule whose
    rate ``Analysis.lr`` recommends (default ``DEFAULT_METHOD``); ``methods`` the rules to run
    (default all). fastai's skipping: ``num_iter // 10`` points at the start (``num_iter``:
    the sweep's configured length, default the curve's) and 5 at the end. ``stopped``: how the
    sweep ended, when known (``"completed"``, ``"diverged"``, ``"non_finite"``, ``"interrupted"``).
    """
    if isinstance(methods, str):
        methods = [methods]
    return _core.analyze(
        _floats("lrs", lrs),
        _floats("losses", losses),
        raw_losses=_floats("raw_losses", raw_losses),
        method=method,
        methods=None if methods is None else list(methods),
        skip_start=skip_start,
        skip_end=skip_end,
        num_iter=num_iter,
        sma_window=sma_window,
        stopped=stopped,
    )


def schedule(kind, steps, lr=None, *, metrics=None, **settings):
    """The lr of each of ``steps`` steps under schedule ``kind`` (one of ``SCHEDULES``) from base
    rate ``lr``, the first before any step, as PyTorch's scheduler of that kind sets them:
    ``{"lr": [...], "momentum": [...] or None}`` (momentum for the kinds that cycle it).

    ``settings`` are the kind's, by PyTorch's names and with its defaults (``max_lr``,
    ``pct_start``, ``t_max``, ``eta_min``, ``base_lr``, ``step_size_up``, ``gamma``, …);
    ``metrics[t]`` is what step ``t + 1`` of ``plateau`` monitors.
    """
    for name, value in settings.items():
        if isinstance(value, float) and not _math.isfinite(value):
            raise LrfindError(f"the {kind} schedule's {name} must be a finite number, got {value}")
    try:
        text = _json.dumps(settings, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError(f"schedule settings must be numbers, strings or booleans: {e}") from None
    return _core.schedule(kind, steps, lr, text, _floats("metrics", metrics))
