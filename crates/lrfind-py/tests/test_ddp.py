"""lrfind.torch under torch.distributed: two CPU processes (gloo) take the same decisions and end
with the same curve and rate, also when their loaders differ in length or one yields nothing."""

import datetime
import json
import os
import time
import warnings

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

import lrfind
from lrfind.torch import lr_find
from conftest import Net, loader

WORLD = 2


def worker(rank, init_file, out_dir, case):
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=WORLD, timeout=datetime.timedelta(seconds=60))
    try:
        torch.manual_seed(0)  # the same initial weights on every rank
        model = torch.nn.parallel.DistributedDataParallel(Net())
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        # Each rank its own data; rank 1 has fewer batches (16 against 10).
        data = loader(seed=rank, n=256 if rank == 0 else 160)
        own = []

        def step_fn(model, batch):
            x, y = batch
            loss = F.cross_entropy(model(x), y)
            own.append(float(loss.detach()))
            return loss

        if case == "empty" and rank == 1:
            data = []
        if case == "ran_out":
            data = iter(list(data))  # cannot restart: rank 1 runs out after 10 batches
        weights = {k: v.clone() for k, v in model.state_dict().items()}
        doc = {"rank": rank}
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = lr_find(model, optimizer, train_loader=data, step_fn=step_fn,
                                 num_iter=40, beta=None)
            doc.update(curve=result.curve, suggestions=result.suggestions,
                       stopped=result.stopped, own=own,
                       warnings=[str(w.message) for w in caught])
            try:
                doc["lr"] = result.lr
            except lrfind.NoRecommendation as e:
                doc["no_lr"] = str(e)
        except lrfind.LrfindError as e:
            doc["error"] = str(e)
        doc["restored"] = all(torch.equal(v, model.state_dict()[k]) for k, v in weights.items())
        with open(os.path.join(out_dir, f"{rank}.json"), "w") as f:
            json.dump(doc, f)
    finally:
        dist.barrier()  # neither rank tears the group down while the other still uses it
        dist.destroy_process_group()


def run(tmp_path, case, limit=180):
    """Runs ``case`` on two processes; fails (instead of hanging) past ``limit`` seconds."""
    ctx = mp.start_processes(worker, args=(str(tmp_path / "init"), str(tmp_path), case),
                             nprocs=WORLD, join=False, start_method="spawn")
    deadline = time.monotonic() + limit
    while not ctx.join(timeout=5):
        if time.monotonic() > deadline:
            for p in ctx.processes:
                p.kill()
            pytest.fail(f"the {case} case did not finish in {limit} s: a rank is waiting")
    return [json.loads((tmp_path / f"{r}.json").read_text()) for r in range(WORLD)]


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not built")
def test_both_ranks_record_the_mean_loss_and_agree(tmp_path):
    a, b = run(tmp_path, "uneven")
    assert a["restored"] and b["restored"]
    assert a["curve"] == b["curve"]
    assert a["suggestions"] == b["suggestions"] and a["lr"] == b["lr"]
    assert a["stopped"] == b["stopped"]
    # Each point is the mean of the two ranks' own losses (the ranks' data differ).
    n = len(a["curve"]["raw_loss"])
    assert a["own"][:n] != b["own"][:n]
    means = [(x + y) / 2 for x, y in zip(a["own"], b["own"])][:n]
    assert a["curve"]["raw_loss"] == pytest.approx(means, rel=1e-12)


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not built")
def test_an_empty_loader_on_one_rank_raises_on_both(tmp_path):
    a, b = run(tmp_path, "empty")
    assert "another rank" in a["error"]
    assert b["error"] == "train_loader yielded no batch"
    assert a["restored"] and b["restored"]


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not built")
def test_a_loader_running_out_on_one_rank_stops_both_at_the_same_point(tmp_path):
    a, b = run(tmp_path, "ran_out")
    assert len(a["curve"]["lr"]) == len(b["curve"]["lr"]) == 10
    assert a["curve"] == b["curve"]
    assert a["stopped"] == b["stopped"] == "interrupted"
    assert any("another rank" in w for w in a["warnings"])
    assert any("ran out after 10 batches" in w for w in b["warnings"])
