"""Texts you when it gets hot: an alert when the temperature reaches `threshold`, no
new alert until it has cooled below threshold - hysteresis, and none sooner than
`cooldown` seconds after the last. An alert that cannot go out (Wi-Fi or Twilio
down) waits in the outbox on flash and is sent once the network is back.

config.json: account_sid, auth_token, from, to (and base_url); optional
"alert": {"threshold": 35, "hysteresis": 2, "cooldown": 600, "every": 30}."""

import json
import time

import hardware
from utwilio import Twilio
from utwilio.outbox import Outbox


class Alarm:
    """The decision alone: feed it readings, it says when to alert."""

    def __init__(self, threshold=35.0, hysteresis=2.0, cooldown=600):
        self.threshold = threshold
        self.hysteresis = hysteresis
        self.cooldown = cooldown
        self.armed = True  # False after an alert, until it cools below the band
        self.last = None  # when the last alert went out (seconds)

    def check(self, celsius, now):
        """-> the alert text, or None."""
        if celsius < self.threshold - self.hysteresis:
            self.armed = True
        if not self.armed or celsius < self.threshold:
            return None
        if self.last is not None and now - self.last < self.cooldown:
            return None
        self.armed = False
        self.last = now
        return "Hot: %.1f C (threshold %s C)" % (celsius, self.threshold)


def main(cycles=None, read=hardware.temperature, clock=time.time, config="config.json"):
    """Reads, decides, alerts, every `every` seconds; `cycles` bounds the loop."""
    with open(config) as f:
        conf = json.load(f)
    settings = conf.get("alert", {})
    every_ms = int(settings.get("every", 30) * 1000)
    wifi = conf.get("wifi")
    wlan = hardware.connect(wifi) if wifi else None
    twilio = Twilio(conf["account_sid"], conf["auth_token"], conf["from"],
                    base_url=conf.get("base_url", "https://api.twilio.com"), timeout=10)
    outbox = Outbox(twilio)
    alarm = Alarm(settings.get("threshold", 35.0), settings.get("hysteresis", 2.0),
                  settings.get("cooldown", 600))
    dog = hardware.watchdog()
    n = 0
    while cycles is None or n < cycles:
        n += 1
        dog.feed()
        if wlan is not None and not wlan.isconnected():
            try:  # one quick try: the alert waits in the outbox meanwhile
                hardware.connect(wifi, tries=1, wait_ms=5000)
            except OSError as e:
                print(e)
        celsius = read()
        message = alarm.check(celsius, clock())
        if message:
            r = outbox.send(conf["to"], message)
            print("alert:", message, "->", "kept for later" if r["queued"] else r["status"])
        elif len(outbox):
            print("outbox: %d alert(s) left after a retry" % outbox.flush())
        else:
            print("%.1f C" % celsius)
        if cycles is None or n < cycles:
            time.sleep_ms(every_ms)
    return outbox


if __name__ == "__main__":
    main()
