#!/usr/bin/env bash
# Builds the Python package (crates/lrfind-py) into the virtualenv of scripts/python-env.sh and runs
# its tests. Arguments go to pytest (`-k restore`, `-x`, …).
#  - The wheel builds in ${LRFIND_PY_TARGET_DIR:-$HOME/.cache/lrfind-py-target} (release, ~1 min cold).
#  - The tests that compare with the `lrfind` command use $LRFIND_CLI, else
#    ${CARGO_TARGET_DIR:-target}/debug/lrfind (`cargo build -p lrfind-cli` makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(bash scripts/python-env.sh)
export PATH="$venv/bin:$PATH"  # the maturin the build backend runs
cli="${LRFIND_CLI:-${CARGO_TARGET_DIR:-$PWD/target}/debug/lrfind}"
PYO3_PYTHON="$venv/bin/python" CARGO_TARGET_DIR="${LRFIND_PY_TARGET_DIR:-$HOME/.cache/lrfind-py-target}" \
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-build-isolation \
    --force-reinstall --no-deps ./crates/lrfind-py
LRFIND_CLI="$cli" "$venv/bin/python" -m pytest crates/lrfind-py/tests -q -p no:cacheprovider "$@"
