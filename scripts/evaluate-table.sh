#!/usr/bin/env bash
# Every rule's regret against a grid search (`lrfind evaluate`: 17-point grid 1e-4…1, 4 points per
# decade, the same schedule for the grid and the rules) on each task of TASKS, one row per task.
# TASKS lines are `name|evaluate flags` (`#` comments); a name ending in † is held out (run only
# after the rules were chosen), and the summary rows report chose and held-out tasks apart.
# Usage: scripts/evaluate-table.sh TASKS [SEEDS] [SCHEDULE] [FLAG ...]   (SEEDS 3, SCHEDULE
# constant; FLAGs are added to every evaluate, e.g. `--refine-extend 0 --refine-extrapolate false`
# for the refinement before the run-aware one)
# Needs scripts/install-deps.sh (Fashion-MNIST, the Shakespeare text). Runs `cargo run --release
# -p lrfind-cli --`, or the lrfind command in $LRFIND_BIN; keeps each task's evaluate.json in
# $LRFIND_OUT when set (a task whose evaluate.json is there is not run again).
set -euo pipefail
tasks_file="$1"
seeds="${2:-3}"
schedule="${3:-constant}"
shift $(($# < 3 ? $# : 3))
extra=("$@")
bin="${LRFIND_BIN:-cargo run --release -q -p lrfind-cli --}"
if [ -n "${LRFIND_OUT:-}" ]; then
    out="$LRFIND_OUT"
    mkdir -p "$out"
else
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
fi
grid="--schedule $schedule --grid-start 1e-4 --grid-end 1 --grid-points 17 --seeds $seeds"
names=()
while IFS='|' read -r name flags; do
    case "$name" in '#'* | '') continue ;; esac
    names+=("$name")
    [ -f "$out/$name/evaluate.json" ] && continue
    # shellcheck disable=SC2086
    $bin evaluate $flags $grid "${extra[@]}" --out "$out/$name" --format json >/dev/null 2>&1 ||
        echo "$name: evaluate failed" >&2
done <"$tasks_file"
# shellcheck source=provenance.sh
source "$(dirname "$0")/provenance.sh"
provenance
[ ${#extra[@]} -eq 0 ] || echo "(evaluate flags: ${extra[*]})"
echo
python3 - "$out" "${names[@]}" <<'PY'
import json, os, statistics, sys
out, names = sys.argv[1], sys.argv[2:]
docs = {t: json.load(open(f"{out}/{t}/evaluate.json")) for t in names if os.path.exists(f"{out}/{t}/evaluate.json")}
rules = list(next(iter(docs.values()))["methods"])
default = next(iter(docs.values())).get("default_method", "consensus")
print("| task | best grid lr (loss) | " + " | ".join(rules) + f" | {default}: lr spread (decades) | finder cost / grid | refinement cost / grid |")
print("|---|---|" + "---|" * (len(rules) + 3))
for t in names:
    if t not in docs:
        print(f"| {t} | failed |" + " |" * (len(rules) + 3))
        continue
    d = docs[t]
    cells = []
    for r in rules:
        x = d["methods"].get(r, {}).get("regret")
        cells.append("—" if x is None else f"{100 * x:+.1f}%")
    spread = d["methods"].get(default, {}).get("lr_spread_decades")
    spread = "—" if spread is None else f"{spread:.2f}"
    cost = d.get("finder_cost_ratio")
    cost = "—" if cost is None else f"{100 * cost:.1f}%"
    refine = d.get("refine_cost_ratio")
    refine = "—" if refine is None else f"{100 * refine:.1f}%"
    print(f"| {t} | {d['best']['lr']:.2e} ({d['best']['val_loss']:.4f}) | " + " | ".join(cells) + f" | {spread} | {cost} | {refine} |")
for label, group in (("chose", [t for t in names if not t.endswith("†")]), ("held out †", [t for t in names if t.endswith("†")])):
    group = [t for t in group if t in docs]
    if not group:
        continue
    for stat, f in (("worst", max), ("mean", statistics.mean)):
        cells = []
        for r in rules:
            xs = [docs[t]["methods"].get(r, {}).get("regret") for t in group]
            cells.append("—" if None in xs else f"{100 * f(xs):+.1f}%")
        print(f"| **{stat}, {label}** ({len(group)}) | | " + " | ".join(cells) + " | | | |")
within = {r: sum(1 for t in docs if (docs[t]["methods"].get(r, {}).get("regret") or 1e9) <= 0.10) for r in rules}
print("| **within 10%** | | " + " | ".join(f"{within[r]}/{len(docs)}" for r in rules) + " | | | |")
# The baselines that need no finder: a rule earns its cost where it beats them.
baselines = [b for b in ("prodigy(lr=1)", "schedulefree-adamw(lr=0.0025)") if b in rules]
def loss(m, x):
    return float("inf") if m.get(x, {}).get("val_loss") is None else m[x]["val_loss"]
def beats(r, t, against):
    m = docs[t]["methods"]
    return r in m and all(b in m and loss(m, r) < loss(m, b) for b in against)
for against, label in [([b], b) for b in baselines] + ([(baselines, "both")] if len(baselines) == 2 else []):
    cells = ["—" if r in against else f"{sum(beats(r, t, against) for t in docs)}/{len(docs)}" for r in rules]
    print(f"| **beats {label}** | | " + " | ".join(cells) + " | | | |")
PY
