#!/usr/bin/env bash
# Headless Chromium from Debian and the Playwright Python driver, for the sandbox's
# phone-page test. Never `playwright install`: it downloads its own browser build.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
if ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q chromium
fi
"$here/.venv/bin/pip" install -q "playwright==1.65.2"
