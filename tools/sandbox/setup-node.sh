#!/usr/bin/env bash
# The official Node `twilio` client for tests/sandbox/test_node_client.py: `npm ci`
# from tools/sandbox/node/package-lock.json with the machine's Node.js (v20 or newer,
# as twilio 6 requires) and npm. Idempotent: skips when node_modules matches the lock.
set -euo pipefail
dir="$(cd "$(dirname "$0")/node" && pwd)"
stamp="$dir/node_modules/.installed-lock.json"

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "setup-node.sh: '$tool' is not installed; the Node client test needs Node.js 20+ with npm" >&2
        exit 1
    fi
done
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
    echo "setup-node.sh: Node.js $(node --version) is too old; twilio 6 needs 20 or newer" >&2
    exit 1
fi
if [ -f "$stamp" ] && cmp -s "$stamp" "$dir/package-lock.json"; then
    exit 0
fi
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
cp "$dir/package-lock.json" "$stamp"
