"""What the examples need from the board, on ESP32, Pico W and the unix VM (with the
host shims of `network` and `machine`): Wi-Fi with retries, the clock from NTP (TLS
checks certificate dates), a watchdog, the LED and the chip's temperature."""

import sys
import time

import machine

PLATFORM = sys.platform  # "esp32", "rp2", or "linux" (the unix VM)


def connect(wifi, tries=5, wait_ms=10000):
    """Joins `wifi` ({"ssid", "password"}), `tries` times with a growing pause.
    -> the WLAN; raises OSError naming the status when every try failed."""
    import network

    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    if wlan.isconnected():
        return wlan
    status = None
    for attempt in range(tries):
        try:
            wlan.connect(wifi["ssid"], wifi.get("password", ""))
        except OSError as e:
            status = e
        start = time.ticks_ms()
        while not wlan.isconnected() and time.ticks_diff(time.ticks_ms(), start) < wait_ms:
            if wlan.status() not in (network.STAT_CONNECTING, network.STAT_GOT_IP):
                break
            time.sleep_ms(100)
        if wlan.isconnected():
            return wlan
        status = wlan.status()
        print("wifi: %r not joined (status %s), try %d of %d"
              % (wifi["ssid"], status, attempt + 1, tries))
        if attempt + 1 < tries:
            time.sleep_ms(1000 * (attempt + 1))
    raise OSError("Wi-Fi %r not joined after %d tries (status %s)" % (wifi["ssid"], tries, status))


def set_clock(tries=3):
    """Sets the clock from NTP (boards start in 2000; TLS would reject every
    certificate). The unix VM has the host's clock. -> True when the clock is set."""
    try:
        import ntptime
    except ImportError:
        return time.gmtime()[0] >= 2024
    for _ in range(tries):
        try:
            ntptime.settime()
            return True
        except OSError as e:
            print("ntp:", e)
            time.sleep_ms(1000)
    return False


def watchdog(timeout_ms=60000):
    """A watchdog that resets the board when the program stops feeding it."""
    return machine.WDT(timeout=timeout_ms)


def led():
    """The on-board LED: pin 2 on an ESP32 DevKit, "LED" on a Pico W."""
    return machine.Pin("LED" if PLATFORM == "rp2" else 2, machine.Pin.OUT)


def temperature():
    """The chip's temperature in °C (a rough room reading: the die runs warmer). ESP32:
    esp32.mcu_temperature() (S2/S3/C3/C6), raw_temperature() in °F on the first ESP32;
    else the RP2040's sensor on ADC 4 (on the unix VM: what machine.host_set_adc() set)."""
    try:
        import esp32
    except ImportError:  # a Pico W, or the unix VM
        volts = machine.ADC(4).read_u16() * 3.3 / 65535
        return 27 - (volts - 0.706) / 0.001721
    if hasattr(esp32, "mcu_temperature"):
        return esp32.mcu_temperature()
    return (esp32.raw_temperature() - 32) / 1.8
