#!/usr/bin/env bash
# Evidence for what `train --lr auto --schedule one-cycle` should hand one-cycle as max_lr: every rule's
# regret against a one-cycle grid search (the oracle trains one-cycle too, momentum cycled as `train`
# does), per task. Prints a Markdown table, one column per task, and each rule's worst and mean regret.
# Usage: scripts/evaluate-one-cycle.sh [SEEDS]   (needs scripts/install-deps.sh for Fashion-MNIST)
# Runs `cargo run --release -p lrfind-cli --`, or the lrfind command in $LRFIND_BIN.
set -euo pipefail
seeds="${1:-3}"
bin="${LRFIND_BIN:-cargo run --release -q -p lrfind-cli --}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
grid="--schedule one-cycle --grid-start 1e-4 --grid-end 1 --grid-points 17 --seeds $seeds"
tasks=(
    "digits-adamw|--epochs 5"
    "digits-adam|--epochs 5 --optimizer adam"
    "digits-sgd|--epochs 5 --optimizer sgd"
    "fashion-mlp|--dataset fashion-mnist --limit 5000 --epochs 3"
    "fashion-cnn|--dataset fashion-mnist --model cnn --limit 2000 --epochs 2"
)
for t in "${tasks[@]}"; do
    name="${t%%|*}"
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
