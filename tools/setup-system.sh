#!/bin/sh
# Debian packages the test suite needs (the demo needs none). Idempotent: installs only
# what is missing, with sudo when not root. Add a package to PACKAGES, not a new script.
set -eu
. "$(dirname "$0")/as-root.sh"

# The agent's tests start their own PostgreSQL (tests/pgserver.py), HAProxy and Mosquitto
# (tests/mosquitto.py, the MQTT link's broker).
PACKAGES="postgresql haproxy mosquitto"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

export DEBIAN_FRONTEND=noninteractive
as_root "installing$missing" apt-get update -qq
# shellcheck disable=SC2086
as_root "installing$missing" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
