"""Text the board and it answers, through the agent (no Twilio credentials on the
board): "led on", "led off", "status".

config.json: "agent": {"url", "device_id", "token"} (and "wifi")."""

import gc
import json
import time

import hardware
from utwilio.link import Link

STARTED = time.ticks_ms()


def commands(link, led):
    def led_command(args):
        if args not in ("on", "off"):
            return "led takes on or off, got '%s'" % args
        led.value(args == "on")
        return "LED is %s" % args

    def status(args):
        gc.collect()
        return "LED %s, %.1f C, up %d s, %d bytes free" % (
            "on" if led.value() else "off", hardware.temperature(),
            time.ticks_diff(time.ticks_ms(), STARTED) // 1000, gc.mem_free())

    link.on("led", led_command)
    link.on("status", status)


def main(cycles=None, handled=None, wait=20, config="config.json", report=0):
    """Long-polls the agent; `cycles` bounds the polls, `handled` the commands run.
    Every `report` s (between polls: keep `wait` shorter) it sends the temperature as a
    "reading" event, which the agent's console plots."""
    with open(config) as f:
        conf = json.load(f)
    if "wifi" in conf:
        hardware.connect(conf["wifi"])
    agent = conf["agent"]
    link = Link(agent["url"], agent["device_id"], agent["token"], wait=wait)
    led = hardware.led()
    commands(link, led)
    dog = hardware.watchdog(1000 * (wait + 40))
    n = done = 0
    reported = None
    while (cycles is None or n < cycles) and (handled is None or done < handled):
        n += 1
        dog.feed()
        if report and (reported is None or
                       time.ticks_diff(time.ticks_ms(), reported) >= report * 1000):
            reported = time.ticks_ms()
            try:
                link.send("reading", {"temp": round(hardware.temperature(), 1)})
            except OSError as e:
                link.error = str(e)
        try:
            count = link.poll(wait)
        except OSError as e:  # Wi-Fi gone mid-exchange: the next poll retries
            link.error = str(e)
            count = 0
        done += count
        if link.failures:
            time.sleep_ms(200)  # poll() returns at once while it backs off
    return link


if __name__ == "__main__":
    main()
