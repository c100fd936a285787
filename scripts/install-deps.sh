#!/usr/bin/env bash
# Installs what lrfind needs beyond cargo's crates. Safe to run again.
#  - Debian's dataset-fashion-mnist: the Fashion-MNIST IDX files for `lrfind find --dataset fashion-mnist`
#    (installed at /usr/share/datasets/fashion-mnist).
set -euo pipefail
if ! command -v cargo >/dev/null; then
    echo "install-deps: cargo is required (https://rustup.rs)" >&2
    exit 1
fi
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dataset-fashion-mnist
fi
