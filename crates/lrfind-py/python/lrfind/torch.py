"""The LR range test for PyTorch, on lrfind's Rust core.

``lr_find(model, optimizer, criterion, train_loader)`` trains one optimizer step per learning
rate, from ``start_lr`` up to ``end_lr`` on an exponential ramp, until the smoothed loss exceeds
``stop_div`` × its best, and returns a :class:`Result` (``.lr``, ``.suggestions``, ``.curve``,
``.warnings``, ``.plot()``, ``.to_json()``). Everything the test touched comes back as it was,
also when it raises or is interrupted: weights and buffers, the optimizer's state and every param
group's lr, the GradScaler, the RNG states (torch, CUDA, numpy, Python) and each module's
train/eval mode.

The Rust side holds the ramp, the smoothing, the stop rule and every suggestion rule; this module
trains the steps and hands it one float per step.
"""

import contextlib
import copy
import math
import os
import random
import tempfile
import warnings as _warnings

import torch

from . import _core
from ._core import LrfindError, NoRecommendation

__all__ = ["lr_find", "LRFinder", "Result", "LrfindError", "NoRecommendation"]

#: Keys a dict batch's target is looked up under, first found wins.
LABEL_KEYS = ("labels", "label", "targets", "target", "y")


def _of_analysis(name, doc, convert=None):
    """A read-only attribute of :class:`Result` that is its analysis's ``name``."""
    if convert is None:
        return property(lambda self: getattr(self.analysis, name), doc=doc)
    return property(lambda self: convert(getattr(self.analysis, name)), doc=doc)


class Result:
    """What a range test found: the curve, every rule's suggestion and the recommended rate."""

    def __init__(self, analysis, skipped_steps=0):
        #: The core's ``lrfind.Analysis`` (rules, confidence, plot, JSON).
        self.analysis = analysis
        #: Optimizer steps the GradScaler skipped (inf/NaN gradients): trained, not recorded.
        self.skipped_steps = skipped_steps

    lr = _of_analysis("lr", "The recommended rate; raises ``NoRecommendation`` saying why when "
                      "there is none.")
    method = _of_analysis("method", "The rule the recommended rate comes from, or ``None``.")
    reason = _of_analysis("reason", "Why there is no recommended rate, or ``None``.")
    suggestions = _of_analysis("suggestions", "Every single-rate rule's suggested lr, by rule "
                               "name.", dict)
    failures = _of_analysis("failures", "Why each rule that made no suggestion made none, by "
                            "rule name.", dict)
    bounds = _of_analysis("bounds", "``(base_lr, max_lr)`` for a cyclical schedule, or ``None``.")
    curve = _of_analysis("curve", '``{"lr": [...], "loss": [...], "raw_loss": [...]}``: the '
                         "rates, smoothed and raw losses.")
    warnings = _of_analysis("warnings", 'Reasons to distrust the curve: ``[{"code", "message", '
                            '"advice"}]``.')
    confidence = _of_analysis("confidence", '``"high"`` without warnings, else ``"low"``.')
    stopped = _of_analysis("stopped", "How the test ended: ``completed``, ``diverged``, "
                           "``non_finite`` or ``interrupted``.")

    def to_json(self, path=None):
        """The JSON document ``lrfind analyze`` reads back; written to ``path`` when given."""
        text = self.analysis.to_json()
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        return text

    def plot(self, path=None, ax=None, *, title=None):
        """Draws the curve with its suggestions, never showing a window.

        ``path`` alone (.png or .svg): lrfind's own plot, written without matplotlib; returns
        ``path``. With ``ax`` (or neither): draws on that matplotlib axes (or a new figure's),
        saves it to ``path`` if given, and returns the axes.
        """
        if path is not None and ax is None:
            self.analysis.plot(os.fspath(path), title)
            return path
        try:
            from matplotlib.figure import Figure
        except ImportError:
            raise ImportError(
                "Result.plot(ax=...) draws with matplotlib, which is not installed; "
                "Result.plot(path) writes a PNG or SVG without it"
            ) from None
        if ax is None:
            ax = Figure().subplots()
        curve = self.curve
        ax.plot(curve["lr"], curve["loss"], label="loss")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        lrs, losses = curve["lr"], curve["loss"]
        logs = [math.log(x) for x in lrs]
        for name, lr in self.suggestions.items():
            loss = _interp(math.log(lr), logs, losses)
            ring = name == self.method
            ax.plot([lr], [loss], "o", fillstyle="none" if ring else "full",
                    markersize=12 if ring else 6, label=f"{name} {lr:.2e}")
        if title:
            ax.set_title(title)
        ax.legend(fontsize="small")
        if path is not None:
            ax.figure.savefig(path)
        return ax

    def __repr__(self):
        return repr(self.analysis).replace("lrfind.Analysis", "lrfind.torch.Result")


def _interp(x, xs, ys):
    """``ys`` interpolated linearly at ``x`` (``xs`` increasing), the end values outside."""
    if x <= xs[0]:
        return ys[0]
    for i in range(1, len(xs)):
        if x <= xs[i]:
            t = (x - xs[i - 1]) / (xs[i] - xs[i - 1])
            return ys[i - 1] + t * (ys[i] - ys[i - 1])
    return ys[-1]


def lr_find(model, optimizer, criterion=None, train_loader=None, *, val_loader=None,
            start_lr=1e-7, end_lr=10.0, num_iter=100, accumulation_steps=1, step_fn=None,
            grad_scaler=None, device=None, method=None, beta=0.98, stop_div=4.0, ramp="exp",
            snapshot="memory"):
    """Runs the LR range test on ``model`` and puts everything back; returns a :class:`Result`.

    - ``criterion(output, target) -> loss``, or ``step_fn(model, batch) -> loss`` for any batch
      structure (then ``criterion`` may be ``None``). The default step takes ``(x, y)`` (or
      ``(x1, …, y)``) batches and dicts (the target under one of ``LABEL_KEYS``, the rest passed
      as keywords; without a criterion the model's output ``loss`` is used, as Hugging Face
      models return it).
    - One point per optimizer step: with ``accumulation_steps`` = k, k batches are accumulated
      and the point's loss is their mean. With ``grad_scaler`` (a ``torch.amp.GradScaler``) a
      step the scaler skips is not a point: the same lr is tried again on the next batches.
    - Param groups keep their ratios: group 0 ramps from ``start_lr`` to ``end_lr``, every other
      group by the same factor from ``start_lr`` × its lr / group 0's lr.
    - ``val_loader``: each point's loss is the loss on it (sample-weighted mean) instead of the
      training batch's.
    - Under ``torch.distributed``, every rank records the all-reduced mean loss, so every rank
      takes the same decisions and returns the same rate.
    - ``beta``: fastai's debiased EMA smoothing (``None``: raw losses); ``stop_div``: stop once
      the smoothed loss exceeds it × the best (``None``: never); ``ramp``: ``"exp"`` or
      ``"linear"``; ``method``: the rule ``Result.lr`` recommends (default ``consensus``).
    - ``snapshot``: ``"memory"`` (default) or ``"disk"`` (a temporary file, for models too large
      to copy in memory).
    - Ctrl-C stops the test at the current step: the state is restored and the result holds the
      points so far (stopped ``interrupted``, so ``.lr`` raises ``NoRecommendation``).
    """
    if train_loader is None:
        raise LrfindError("train_loader is required: the batches the range test trains on")
    finder = LRFinder(model, optimizer, criterion, device=device, grad_scaler=grad_scaler,
                      step_fn=step_fn, snapshot=snapshot)
    return finder.range_test(train_loader, val_loader=val_loader, start_lr=start_lr,
                             end_lr=end_lr, num_iter=num_iter,
                             accumulation_steps=accumulation_steps, method=method, beta=beta,
                             stop_div=stop_div, ramp=ramp)


class LRFinder:
    """pytorch-lr-finder's form: ``LRFinder(model, optimizer, criterion).range_test(loader)``.

    ``range_test`` restores the model, optimizer, scaler, RNGs and modes itself, so there is no
    ``reset()`` to forget; ``plot`` draws the last result.
    """

    def __init__(self, model, optimizer, criterion=None, device=None, *, grad_scaler=None,
                 step_fn=None, snapshot="memory"):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
        if criterion is not None and not callable(criterion):
            raise TypeError(f"criterion must be callable, got {type(criterion).__name__}")
        if step_fn is not None and not callable(step_fn):
            raise TypeError(f"step_fn must be callable, got {type(step_fn).__name__}")
        if snapshot not in ("memory", "disk"):
            raise LrfindError(f'snapshot must be "memory" or "disk", got {snapshot!r}')
        self.model = model
        self.optimizer = optimizer
        self.criterion = criterion
        self.device = None if device is None else torch.device(device)
        self.grad_scaler = grad_scaler
        self.step_fn = step_fn
        self.snapshot = snapshot
        self.result = None

    def range_test(self, train_loader, val_loader=None, start_lr=1e-7, end_lr=10.0,
                   num_iter=100, accumulation_steps=1, method=None, beta=0.98, stop_div=4.0,
                   ramp="exp"):
        """The range test (see :func:`lr_find`); returns its :class:`Result`."""
        if not isinstance(accumulation_steps, int) or accumulation_steps < 1:
            raise LrfindError(f"accumulation_steps must be an integer ≥ 1, got {accumulation_steps!r}")
        if method is not None and method not in _core.METHODS:
            raise LrfindError(f"method must be one of {', '.join(_core.METHODS)}, got {method!r}")
        test = _core.RangeTest(start_lr=float(start_lr), end_lr=float(end_lr),
                               num_iter=_count("num_iter", num_iter), ramp=ramp, beta=beta,
                               stop_div=stop_div)
        groups = self.optimizer.param_groups
        base = [_lr_of(g, i) for i, g in enumerate(groups)]
        ratios = [b / base[0] for b in base]
        params = list(self.model.parameters())
        if not params:
            raise LrfindError("model has no parameters to train")
        home = params[0].device
        device = self.device or home
        saved = _Snapshot(self.model, self.optimizer, self.grad_scaler, self.snapshot)
        skipped = 0
        try:
            if device != home:
                self.model.to(device)
            self.model.train()
            batches = _Batches(train_loader, "train_loader")
            ctrl_c = False
            while (lr := test.next_lr()) is not None:
                for group, ratio in zip(groups, ratios):
                    _set_lr(group, lr * ratio)
                try:
                    loss = self._step(batches, accumulation_steps, device)
                    # Every rank skips the step when any rank's scaler skipped it.
                    if _all_ranks_max(1.0 if loss is None else 0.0, device) > 0:
                        skipped += 1
                        if skipped > 10 * num_iter:
                            raise LrfindError(
                                f"the GradScaler skipped {skipped} steps: the gradients are "
                                f"not finite at lr {lr:.3e} whatever the scale")
                        continue
                    if val_loader is not None:
                        loss = self._validate(val_loader, device)
                    else:
                        loss = _all_ranks_mean(loss, device)
                except _RanOut as e:
                    _warnings.warn(f"{e}: the range test stops at {test.iteration} points",
                                   stacklevel=3)
                    test.interrupt()
                    break
                except KeyboardInterrupt:
                    test.interrupt()
                    ctrl_c = True
                    break
                test.record(loss)
            if test.iteration < 2:
                if ctrl_c:
                    raise KeyboardInterrupt
                if test.stopped == "non_finite":
                    raise LrfindError(
                        f"the loss at lr {start_lr:.3e} is not finite (after {test.iteration} "
                        "point(s)): the model, the data or the criterion fail before any "
                        "learning rate matters")
                raise LrfindError(
                    f"the range test recorded {test.iteration} point(s) before it stopped "
                    f"({test.stopped}); a curve needs at least 2")
            result = Result(test.analyze(method=method), skipped_steps=skipped)
        finally:
            # Back home first: the optimizer's restored state follows the parameters' device.
            if device != home:
                self.model.to(home)
            saved.restore()
        self.result = result
        return result

    def plot(self, path=None, ax=None, **kwargs):
        """Draws the last result (:meth:`Result.plot`)."""
        if self.result is None:
            raise LrfindError("run range_test before plot")
        return self.result.plot(path, ax, **kwargs)

    def _step(self, batches, accumulation_steps, device):
        """One optimizer step over ``accumulation_steps`` batches; its mean loss, or ``None``
        when the GradScaler skipped it."""
        self.optimizer.zero_grad(set_to_none=True)
        scaler = self.grad_scaler
        total = 0.0
        for _ in range(accumulation_steps):
            batch = _to(batches.next(device), device)
            loss = self._loss(batch)
            part = loss / accumulation_steps
            (scaler.scale(part) if scaler is not None else part).backward()
            total += float(loss.detach())
        if scaler is None:
            self.optimizer.step()
            return total / accumulation_steps
        before = scaler.get_scale()
        scaler.step(self.optimizer)
        scaler.update()
        # The scaler lowers its scale exactly when it found inf/NaN gradients and skipped.
        if scaler.is_enabled() and scaler.get_scale() < before:
            return None
        return total / accumulation_steps

    def _loss(self, batch):
        """The step's loss tensor, checked to be a scalar."""
        if self.step_fn is not None:
            loss = self.step_fn(self.model, batch)
            source = "step_fn"
        else:
            loss = _default_loss(self.model, self.criterion, batch)
            source = "criterion"
        if not isinstance(loss, torch.Tensor):
            raise LrfindError(
                f"{source} must return a loss tensor, got {type(loss).__name__}")
        if loss.numel() != 1:
            raise LrfindError(
                f"{source} must return a scalar loss, got a tensor of shape {tuple(loss.shape)} "
                "(reduce it, e.g. with .mean())")
        return loss.reshape(())

    @torch.no_grad()
    def _validate(self, loader, device):
        """The sample-weighted mean loss on ``loader`` in eval mode (over every rank's loader
        under ``torch.distributed``)."""
        self.model.eval()
        try:
            total, count = 0.0, 0
            for batch in loader:
                batch = _to(batch, device)
                n = _batch_size(batch)
                total += float(self._loss(batch)) * n
                count += n
        finally:
            self.model.train()
        total = _all_ranks(total, device, "sum")
        count = _all_ranks(float(count), device, "sum")
        if count == 0:
            raise LrfindError("val_loader yielded no batch")
        return total / count


def _count(name, value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    return value


def _lr_of(group, index):
    """A param group's lr, which the ramp scales: a finite number > 0."""
    lr = group.get("lr")
    lr = float(lr) if isinstance(lr, (int, float, torch.Tensor)) else float("nan")
    if not (lr > 0 and math.isfinite(lr)):
        raise LrfindError(
            f"optimizer param group {index} has lr {group.get('lr')!r}: each group ramps by the "
            "same factor from its own lr, so every group needs an lr > 0")
    return lr


def _set_lr(group, lr):
    if isinstance(group["lr"], torch.Tensor):
        group["lr"].fill_(lr)
    else:
        group["lr"] = lr


def _default_loss(model, criterion, batch):
    """``criterion(model(x), y)`` for ``(x, y)``/``(x1, …, y)``; for a dict, the target under a
    ``LABEL_KEYS`` key and the rest as keywords (no criterion: the output's ``loss``)."""
    if isinstance(batch, dict):
        if criterion is None:
            out = model(**batch)
            loss = out.get("loss") if isinstance(out, dict) else getattr(out, "loss", None)
            if loss is None:
                raise LrfindError(
                    "without a criterion the model's output must carry a loss (out.loss or "
                    "out['loss']); give a criterion or a step_fn(model, batch)")
            return loss
        key = next((k for k in LABEL_KEYS if k in batch), None)
        if key is None:
            raise LrfindError(
                f"a dict batch needs its target under one of {', '.join(LABEL_KEYS)} (keys: "
                f"{', '.join(map(str, batch))}); or give a step_fn(model, batch)")
        inputs = {k: v for k, v in batch.items() if k != key}
        return criterion(model(**inputs), batch[key])
    if isinstance(batch, (tuple, list)) and len(batch) >= 2:
        if criterion is None:
            raise LrfindError("a tuple batch needs a criterion, or a step_fn(model, batch)")
        *inputs, target = batch
        return criterion(model(*inputs), target)
    raise LrfindError(
        f"the default step takes (x, y) tuples or dicts, got a {type(batch).__name__}; "
        "give a step_fn(model, batch) -> loss")


def _to(batch, device):
    """``batch`` with every tensor in it (tuples, lists, dicts) on ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return type(batch)((k, _to(v, device)) for k, v in batch.items())
    if isinstance(batch, (tuple, list)):
        return type(batch)(_to(v, device) for v in batch)
    return batch


def _batch_size(batch):
    """The first dimension of the batch's first tensor (1 when it has none)."""
    if isinstance(batch, torch.Tensor):
        return batch.shape[0] if batch.dim() else 1
    values = batch.values() if isinstance(batch, dict) else batch
    if isinstance(values, (tuple, list)) or isinstance(batch, dict):
        for v in values:
            if isinstance(v, torch.Tensor):
                return _batch_size(v)
    return 1


class _RanOut(Exception):
    """A loader that cannot be started again ran out."""


#: What a rank found when it asked its loader for a batch, agreed on by the largest code.
_OK, _RAN_OUT, _EMPTY = 0.0, 1.0, 2.0


class _Batches:
    """Batches of a loader, started again when it runs out (as pytorch-lr-finder does). Under
    ``torch.distributed`` the ranks agree on each batch: a rank whose loader yields nothing, or
    ran out and cannot be started again, makes every rank stop the same way, instead of leaving
    the others waiting in a collective."""

    def __init__(self, loader, name):
        self.loader, self.name = loader, name
        self.it = iter(loader)
        self.seen = 0

    def _next(self):
        """``(batch, code, problem)``: a batch and ``_OK``, or ``None`` and what went wrong."""
        try:
            batch = next(self.it)
        except StopIteration:
            if self.seen == 0:
                return None, _EMPTY, f"{self.name} yielded no batch"
            self.it = iter(self.loader)
            if self.it is self.loader:
                return None, _RAN_OUT, (
                    f"{self.name} ran out after {self.seen} batches and cannot be started "
                    "again (pass a DataLoader or a list, not an iterator)")
            try:
                batch = next(self.it)
            except StopIteration:
                return None, _EMPTY, f"{self.name} yielded no batch when started again"
        self.seen += 1
        return batch, _OK, None

    def next(self, device):
        batch, code, problem = self._next()
        agreed = _all_ranks_max(code, device)
        if agreed == _EMPTY:
            raise LrfindError(problem if code == _EMPTY else
                              f"{self.name} yielded no batch on another rank")
        if agreed == _RAN_OUT:
            raise _RanOut(problem if code == _RAN_OUT else
                          f"{self.name} ran out on another rank")
        return batch


def _distributed():
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def _all_ranks(value, device, op):
    """``value`` reduced over the ranks by ``op`` (``"sum"`` or ``"max"``); ``value`` itself
    outside ``torch.distributed``."""
    if not _distributed():
        return value
    dist = torch.distributed
    on = device if dist.get_backend() != "gloo" else torch.device("cpu")
    t = torch.tensor([value], dtype=torch.float64, device=on)
    dist.all_reduce(t, op=dist.ReduceOp.SUM if op == "sum" else dist.ReduceOp.MAX)
    return float(t.item())


def _all_ranks_max(value, device):
    """The largest ``value`` of any rank."""
    return _all_ranks(value, device, "max")


def _all_ranks_mean(loss, device):
    """The loss averaged over the ranks: every rank feeds the range test the same number."""
    if not _distributed():
        return loss
    return _all_ranks(float(loss), device, "sum") / torch.distributed.get_world_size()


class _Snapshot:
    """Everything a range test changes, taken before it and put back after, bit for bit."""

    def __init__(self, model, optimizer, scaler, where):
        self.model, self.optimizer, self.scaler = model, optimizer, scaler
        self.modes = [m.training for m in model.modules()]
        persistent = set(model.state_dict().keys())
        # Buffers outside state_dict (registered with persistent=False) are kept by name.
        self.extra = {n: b.detach().clone() for n, b in model.named_buffers()
                      if n not in persistent}
        self.scaler_state = copy.deepcopy(scaler.state_dict()) if scaler is not None else None
        self.rng = _rng_state()
        self.file = None
        if where == "disk":
            fd, self.file = tempfile.mkstemp(prefix="lrfind-", suffix=".pt")
            os.close(fd)
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()},
                       self.file)
            self.weights = self.optim = None
        else:
            self.weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
            self.optim = copy.deepcopy(optimizer.state_dict())

    def restore(self):
        try:
            if self.file is not None:
                # The file was written by this snapshot a moment ago: every object in it is ours.
                state = torch.load(self.file, map_location="cpu", weights_only=False)
                weights, optim = state["model"], state["optimizer"]
            else:
                weights, optim = self.weights, self.optim
            self.model.load_state_dict(weights)
            self.optimizer.load_state_dict(optim)
            with torch.no_grad():
                for n, b in self.model.named_buffers():
                    if n in self.extra:
                        b.copy_(self.extra[n])
            for m, mode in zip(self.model.modules(), self.modes):
                m.training = mode
            if self.scaler is not None:
                self.scaler.load_state_dict(self.scaler_state)
            _set_rng_state(self.rng)
        finally:
            if self.file is not None:
                with contextlib.suppress(OSError):
                    os.remove(self.file)


def _rng_state():
    state = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    try:
        import numpy
    except ImportError:
        pass
    else:
        state["numpy"] = numpy.random.get_state()
    return state


def _set_rng_state(state):
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    if "cuda" in state:
        torch.cuda.set_rng_state_all(state["cuda"])
    if "numpy" in state:
        import numpy

        numpy.random.set_state(state["numpy"])
