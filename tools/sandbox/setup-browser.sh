#!/usr/bin/env bash
# Headless Chromium from Debian and the Playwright Python driver, for the sandbox's
# phone-page test. Never `playwright install`: it downloads its own browser build.
# apt-get runs with sudo when not root.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
. "$here/tools/as-root.sh"
if ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    as_root "installing chromium" apt-get update -q
    as_root "installing chromium" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi
"$here/.venv/bin/pip" install -q "playwright==1.65.2"
