#!/usr/bin/env bash
# Benchmark for `lrfind train` (README, "find → train → re-find"): final held-out loss after the
# same number of epochs with (1) the suggested lr held constant, (2) one-cycle from the suggestion,
# (3) one-cycle re-found every N epochs — on digits and Fashion-MNIST (MLP, AdamW, seed 0), each
# with the curve's rate (`--refine 0`) and with the refined one (`--refine 5`, the default).
# Usage: scripts/compare-training.sh [EPOCHS] [N]
# Runs `cargo run --release -p lrfind-cli --`, or the lrfind command in $LRFIND_BIN.
set -euo pipefail
epochs="${1:-9}"
every="${2:-3}"
bin="${LRFIND_BIN:-cargo run --release -q -p lrfind-cli --}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
final() {
    python3 - "$1" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["epochs"][-1]
print("%.4f (%.2f%%)" % (e["val_loss"], 100 * e["val_accuracy"]))
PY
}
# shellcheck source=provenance.sh
source "$(dirname "$0")/provenance.sh"
provenance
echo
echo "| dataset | suggested lr, constant | one-cycle from the suggestion | one-cycle, re-found every $every epochs |"
echo "|---|---|---|---|"
for dataset in digits fashion-mnist; do
  for refine in 0 5; do
    row="| $dataset ($epochs epochs), --refine $refine"
    for variant in "--schedule constant" "--schedule one-cycle" "--schedule one-cycle --refind-every $every"; do
        dir="$out/$dataset-$refine-$(echo "$variant" | tr -dc 'a-z0-9')"
        # shellcheck disable=SC2086
        $bin train --dataset "$dataset" --epochs "$epochs" --refine "$refine" $variant --out "$dir" >/dev/null 2>&1
        row="$row | $(final "$dir/history.json")"
    done
    echo "$row |"
  done
done
