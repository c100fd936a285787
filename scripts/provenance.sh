#!/usr/bin/env bash
# Prints the line that heads every table a script here prints: the commit it was built from (with
# "+ changes" when the work tree differs), the CPU model and core count, the date. Results from
# training are deterministic per machine (same binary, same CPU): float32 rounding in burn-flex's
# kernels depends on the CPU's SIMD level, so another CPU can move a row (docs/testing.md).
# Usage: source it, then `provenance` (or run it).
provenance() {
    local root commit cpu simd
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    commit="$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
    if [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
        commit="$commit + changes"
    fi
    cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)"
    [ -n "$cpu" ] || cpu="$(uname -m)"
    simd=""
    if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then simd=", AVX-512"
    elif grep -qw avx2 /proc/cpuinfo 2>/dev/null; then simd=", AVX2"; fi
    echo "(commit $commit; $cpu$simd, $(nproc) cores; $(date -u +%Y-%m-%d))"
}
if [ "${BASH_SOURCE[0]}" = "$0" ]; then provenance; fi
