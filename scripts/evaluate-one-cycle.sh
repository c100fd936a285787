#!/usr/bin/env bash
# Evidence for what `train --lr auto --schedule one-cycle` should hand one-cycle as max_lr: every
# rule's regret against a one-cycle grid search (the oracle trains one-cycle too, momentum cycled
# as `train` does) on the tasks of scripts/tasks/one-cycle.txt (README, "The max_lr of a one-cycle
# run"). Usage: scripts/evaluate-one-cycle.sh [SEEDS]; see scripts/evaluate-table.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec "$here/evaluate-table.sh" "$here/tasks/one-cycle.txt" "${1:-3}" one-cycle
