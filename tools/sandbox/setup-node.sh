#!/usr/bin/env bash
# The official Node `twilio` client for tests/sandbox/test_node_client.py: `npm ci`
# from tools/sandbox/node/package-lock.json with the machine's Node.js (v18 or newer,
# Debian 12's, which the pinned twilio 5.x supports) and npm, both from apt if missing. Idempotent: skips when
# node_modules matches the lock.
set -euo pipefail
dir="$(cd "$(dirname "$0")/node" && pwd)"
stamp="$dir/node_modules/.installed-lock.json"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    # Debian's nodejs (18 on Debian 12) and npm; sudo unless we are root.
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q
    $sudo apt-get install -y -q nodejs npm
fi
for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "setup-node.sh: '$tool' is not installed; the Node client test needs Node.js 18+ with npm" >&2
        exit 1
    fi
done
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 18 ]; then
    echo "setup-node.sh: Node.js $(node --version) is too old; the pinned twilio needs 18 or newer" >&2
    exit 1
fi
if [ -f "$stamp" ] && cmp -s "$stamp" "$dir/package-lock.json"; then
    exit 0
fi
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
cp "$dir/package-lock.json" "$stamp"
