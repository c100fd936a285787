#!/usr/bin/env bash
# lrfind's range test against a plain PyTorch loop on the same shapes, timed in one run on this
# machine (issue #16): per task, ms per training step of `lrfind find` (its `timing` in
# lr_find.json) and of scripts/pytorch_steps.py (AdamW, the loss read back every step), taken in
# alternating rounds; prints a Markdown table of the medians and the ratio PyTorch time / lrfind
# time (above 1: lrfind is faster).
# Usage: PYTHON=/path/to/venv/bin/python scripts/compare-pytorch.sh [ROUNDS]
#   PYTHON: a Python with torch (python3 -m venv /tmp/torch && /tmp/torch/bin/pip install torch);
#   lrfind: `cargo run --release -p lrfind-cli --`, or the command in $LRFIND_BIN, with the extra
#   flags in $LRFIND_FLAGS (e.g. `--backend libtorch` for a build with `--features tch`);
#   needs scripts/install-deps.sh (Fashion-MNIST and the Shakespeare text). Both sides use every
#   core (`nproc`) and random or real data of the same shapes: speed does not depend on the values.
# Then the layers behind those steps, each alone (forward + backward): burn flex's
# (`cargo run --release -p lrfind-zoo --example flex_kernels`, or $KERNELS_BIN) against PyTorch's.
set -euo pipefail
rounds="${1:-3}"
python="${PYTHON:-python3}"
bin="${LRFIND_BIN:-cargo run --release -q -p lrfind-cli --}"
threads="$(nproc)"
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$python" -c "import torch" 2>/dev/null || { echo "no torch in $python: set PYTHON (see the header)" >&2; exit 2; }
tasks=(
    "digits|digits MLP 64-128-128-10, batch 64|--dataset digits|200"
    "cnn|CNN on 28×28, batch 64|--dataset fashion-mnist --model cnn|30"
    "charlm|char transformer d 128, 4 heads, 2 layers, T 64, batch 32|--dataset text --batch-size 32 --num-iter 30|5"
)
for round in $(seq "$rounds"); do
    for t in "${tasks[@]}"; do
        IFS='|' read -r name _ flags steps <<<"$t"
        rm -rf "$out/find"
        # shellcheck disable=SC2086
        $bin find $flags ${LRFIND_FLAGS:-} --out "$out/find" >/dev/null 2>&1
        python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['timing']; print(1000*t['seconds']/t['iterations'])" \
            "$out/find/lr_find.json" >>"$out/$name.lrfind"
        "$python" -W ignore "$here/pytorch_steps.py" "$name" "$steps" "$threads" >>"$out/$name.torch"
    done
done
# shellcheck source=provenance.sh
source "$(dirname "$0")/provenance.sh"
provenance
echo
echo "| task | lrfind \`find ${LRFIND_FLAGS:-}\`, ms / step | PyTorch $("$python" -W ignore -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null), ms / step | PyTorch / lrfind |"
echo "|---|---|---|---|"
for t in "${tasks[@]}"; do
    IFS='|' read -r name label _ _ <<<"$t"
    python3 - "$out/$name.lrfind" "$out/$name.torch" "$label" <<'PY'
import statistics, sys
ours = statistics.median(float(l) for l in open(sys.argv[1]))
theirs = statistics.median(float(l) for l in open(sys.argv[2]))
print(f"| {sys.argv[3]} | {ours:.2f} | {theirs:.2f} | {theirs / ours:.2f} |")
PY
done
echo
echo "($rounds rounds, medians; $threads threads each side; $(date -u +%Y-%m-%d))"
echo
kernels="${KERNELS_BIN:-cargo run --release -q -p lrfind-zoo --example flex_kernels}"
$kernels >"$out/kernels.flex"
"$python" -W ignore "$here/pytorch_steps.py" kernels "$threads" >"$out/kernels.torch"
echo "| layer, forward + backward | burn flex, ms | PyTorch, ms | PyTorch / flex |"
echo "|---|---|---|---|"
paste -d ' ' "$out/kernels.flex" "$out/kernels.torch" | while read -r name flex _ torch; do
    python3 -c "import sys; f, t = float(sys.argv[2]), float(sys.argv[3]); print(f'| {sys.argv[1]} | {f:.2f} | {t:.2f} | {t / f:.2f} |')" "$name" "$flex" "$torch"
done
