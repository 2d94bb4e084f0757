#!/usr/bin/env bash
# Installs the MicroPython type stubs pyright checks device/ against, one folder per
# board under tools/typings/ (git-ignored), with `pip install --target` as the
# micropython-stubs docs say. Idempotent: a board whose pinned versions are already
# there is left alone. Also makes the empty "venv" the configs name, so pyright never
# falls back to the host CPython's stdlib and site-packages.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TYPINGS="$(dirname "$HERE")/typings"
ROOT="$(dirname "$(dirname "$HERE")")"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3

STDLIB="micropython-stdlib-stubs==1.29.0.post2"

install_board() {  # install_board DIR "pkg==version"
    local dir="$TYPINGS/$1" board="$2" marker
    marker="$(echo "${board%%==*}" | tr - _)-${board##*==}.dist-info"
    if [ -d "$dir/$marker" ] && [ -d "$dir/micropython_stdlib_stubs-${STDLIB##*==}.dist-info" ]; then
        return
    fi
    local tmp="$dir.partial"
    rm -rf "$tmp"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-compile \
        --target "$tmp" "$board" "$STDLIB"
    rm -rf "$dir"
    mv "$tmp" "$dir"
    echo "typings: $1 <- $board"
}

mkdir -p "$TYPINGS/no-site-packages/lib/site-packages"
install_board esp32 "micropython-esp32-stubs==1.29.0.post1"
install_board picow "micropython-rp2-rpi-pico-w-stubs==1.29.0.post1"
