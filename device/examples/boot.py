"""Runs first at every reset: join Wi-Fi (with retries) and set the clock by NTP,
which TLS needs to check certificate dates. main.py runs next."""

import json

import hardware

try:
    with open("config.json") as f:
        _wifi = json.load(f).get("wifi")
    if _wifi:
        hardware.connect(_wifi)
        if not hardware.set_clock():
            print("boot: the clock is not set; TLS will refuse certificates")
except OSError as e:
    print("boot:", e)  # main.py retries; the watchdog resets a board that hangs
