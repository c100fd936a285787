#!/usr/bin/env bash
# Evidence for what `train --lr auto --schedule one-cycle` should hand one-cycle as max_lr: every rule's
# regret against a one-cycle grid search (the oracle trains one-cycle too, momentum cycled as `train`
# does), per task. Prints a Markdown table, one column per task, and each rule's worst and mean regret.
# Usage: scripts/evaluate-one-cycle.sh [SEEDS] [SCHEDULE]   (needs scripts/install-deps.sh for
# Fashion-MNIST; SCHEDULE: one-cycle by default, or cosine, constant)
# Runs `cargo run --release -p lrfind-cli --`, or the lrfind command in $LRFIND_BIN; keeps each
# task's evaluate.json in $LRFIND_OUT when set (a task whose evaluate.json is there is not rerun).
set -euo pipefail
seeds="${1:-3}"
schedule="${2:-one-cycle}"
bin="${LRFIND_BIN:-cargo run --release -q -p lrfind-cli --}"
if [ -n "${LRFIND_OUT:-}" ]; then
    out="$LRFIND_OUT"
    mkdir -p "$out"
else
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
fi
grid="--schedule $schedule --grid-start 1e-4 --grid-end 1 --grid-points 17 --seeds $seeds"
# The tasks that chose the rules (`descent` was written after `gradient` failed on fashion-mlp-10k) ...
tasks=(
    "digits-adamw|--epochs 5"
    "digits-adam|--epochs 5 --optimizer adam"
    "digits-sgd|--epochs 5 --optimizer sgd"
    "fashion-mlp|--dataset fashion-mnist --limit 5000 --epochs 3"
    "fashion-mlp-10k|--dataset fashion-mnist --limit 10000 --epochs 3"
    "fashion-cnn|--dataset fashion-mnist --model cnn --limit 2000 --epochs 2"
)
# ... and tasks held out: run only after the choice, marked † in the table.
held_out=(
    "digits-rmsprop†|--epochs 5 --optimizer rmsprop"
    "digits-adagrad†|--epochs 5 --optimizer adagrad"
    "digits-deep†|--epochs 5 --hidden 256,256,256"
    "digits-batch16†|--epochs 5 --batch-size 16"
    "fashion-cnn-sgd†|--dataset fashion-mnist --model cnn --optimizer sgd --limit 2000 --epochs 2"
)
if [ "${HELD_OUT:-1}" = 1 ]; then
    tasks+=("${held_out[@]}")
fi
for t in "${tasks[@]}"; do
    name="${t%%|*}"
    [ -f "$out/$name/evaluate.json" ] && continue
    # shellcheck disable=SC2086
    $bin evaluate ${t#*|} $grid --out "$out/$name" --format json >/dev/null 2>&1
done
python3 - "$out" "${tasks[@]}" <<'PY'
import json, sys, statistics
out, tasks = sys.argv[1], [t.split("|")[0] for t in sys.argv[2:]]
docs = {t: json.load(open(f"{out}/{t}/evaluate.json")) for t in tasks}
rules = list(next(iter(docs.values()))["methods"])
print("| rule | " + " | ".join(tasks) + " | worst | mean |")
print("|---|" + "---|" * (len(tasks) + 2))
for r in rules:
    regrets = [docs[t]["methods"].get(r, {}).get("regret") for t in tasks]
    cells = ["—" if x is None else f"{100 * x:+.1f}%" for x in regrets]
    ok = [x for x in regrets if x is not None]
    worst = f"{100 * max(ok):+.1f}%" if len(ok) == len(tasks) else "—"
    mean = f"{100 * statistics.mean(ok):+.1f}%" if len(ok) == len(tasks) else "—"
    print(f"| {r} | " + " | ".join(cells) + f" | {worst} | {mean} |")
best = [f"{docs[t]['best']['lr']:.2e} ({docs[t]['best']['val_loss']:.4f})" for t in tasks]
print("| best grid max_lr (loss) | " + " | ".join(best) + " | | |")
PY
