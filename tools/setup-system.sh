#!/bin/sh
# Debian packages the tests and the virtual board need (socat runs the MicroPython
# unix port in a pseudo-terminal for mpremote; mosquitto is the broker of the MQTT link's
# tests). Idempotent: installs only what is missing.
set -eu

PACKAGES="socat mosquitto"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
else
    SUDO=""
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
