#!/usr/bin/env bash
# Installs what lrfind needs beyond cargo's crates. Safe to run again.
set -euo pipefail
if ! command -v cargo >/dev/null; then
    echo "install-deps: cargo is required (https://rustup.rs)" >&2
    exit 1
fi
