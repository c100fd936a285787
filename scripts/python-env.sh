#!/usr/bin/env bash
# Creates (or reuses) the virtualenv for the Python package's build and tests, outside the
# repository: ${LRFIND_VENV:-$HOME/.cache/lrfind-venv}. Prints its path. Safe to run again.
#  - maturin: the build backend of crates/lrfind-py (pip builds the wheel with it);
#  - torch, numpy: what `lrfind.torch` drives and returns;
#  - pytest: the test runner; torch-lr-finder: the reference the ramp and stop rule are checked against;
#  - matplotlib: `Result.plot(ax=...)`.
set -euo pipefail
venv="${LRFIND_VENV:-$HOME/.cache/lrfind-venv}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv" >&2
fi
want=(maturin numpy torch pytest torch-lr-finder matplotlib)
if ! "$venv/bin/python" -c 'import maturin, numpy, torch, pytest, torch_lr_finder, matplotlib' 2>/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${want[@]}" >&2
fi
echo "$venv"
