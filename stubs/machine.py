"""MicroPython's `machine` on the host, so device code (LED and relay pins, watchdog,
RTC, sleep) runs unchanged on CPython and on the unix MicroPython VM.

What the host does differently: a pin is a remembered level; an input reads what a
test set with host_set_pin() (else its pull), and host_set_pin() fires the pin's
irq handler on a matching edge. ADC reads what host_set_adc() set (else 0).
reset(), soft_reset(), deepsleep() and an overdue watchdog raise Reset (a
SystemExit whose code is the reset cause) instead of rebooting: the watchdog is
checked when it is fed, since no hardware counts down. Timer callbacks run on a
thread. lightsleep() sleeps; idle() returns. Constant values are the ESP32's.
"""

import time

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5

_UNIQUE_ID = b"\x02\x00\x00\x00\x00\x01"
_cause = PWRON_RESET
_freq = 160000000
_pins = {}
_adc = {}
_rtc_offset = 0


class Reset(SystemExit):
    """The board would reboot here; `.args[0]` is the cause reset_cause() reports next."""


def _reset(cause):
    global _cause
    _cause = cause
    raise Reset(cause)


def reset():
    _reset(HARD_RESET)


def soft_reset():
    _reset(SOFT_RESET)


def deepsleep(time_ms=None):
    """The board would sleep and then boot again: the host raises Reset at once."""
    _reset(DEEPSLEEP_RESET)


def lightsleep(time_ms=None):
    """Sleeps `time_ms` (a pin or timer would wake the board; nothing wakes the host)."""
    if time_ms is None:
        raise ValueError("the host has no wake source: give lightsleep() a time in ms")
    time.sleep(time_ms / 1000)


def idle():
    pass


def reset_cause():
    return _cause


def unique_id():
    return _UNIQUE_ID


def freq(hz=None):
    global _freq
    if hz is None:
        return _freq
    if hz <= 0:
        raise ValueError("frequency must be positive")
    _freq = hz


def _ms():
    if hasattr(time, "ticks_ms"):
        return time.ticks_ms()
    return int(time.monotonic() * 1000)


def _ms_since(start):
    if hasattr(time, "ticks_diff"):
        return time.ticks_diff(_ms(), start)
    return _ms() - start


def _pin_id(pin):
    return pin._id if isinstance(pin, Pin) else pin


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_DOWN = 1
    PULL_UP = 2
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, id, mode=-1, pull=-1, *, value=None, drive=None, alt=None):
        """Pins with the same id share one state, as one physical pin does."""
        self._id = id
        if id not in _pins:
            _pins[id] = {"mode": Pin.IN, "pull": None, "out": 0, "level": None, "irq": None}
        self._s = _pins[id]
        self.init(mode, pull, value=value, drive=drive, alt=alt)

    def __repr__(self):
        return "Pin(%r)" % (self._id,)

    def init(self, mode=-1, pull=-1, *, value=None, drive=None, alt=None):
        if mode != -1:
            self._s["mode"] = mode
        if pull != -1:
            self._s["pull"] = pull
        if value is not None:
            self._s["out"] = 1 if value else 0

    def value(self, x=None):
        s = self._s
        if x is not None:
            s["out"] = 1 if x else 0
            return None
        if s["mode"] == Pin.IN:
            if s["level"] is not None:
                return s["level"]
            return 1 if s["pull"] == Pin.PULL_UP else 0
        return s["out"]

    __call__ = value

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def toggle(self):
        self._s["out"] ^= 1

    def irq(self, handler=None, trigger=IRQ_FALLING | IRQ_RISING, *, priority=1, wake=None,
            hard=False):
        self._s["irq"] = (handler, trigger) if handler else None


def host_set_pin(id, level):
    """Test hook: drives the external level of input pin `id` (a button, a sensor),
    calling its irq handler on a matching edge."""
    pin = Pin(_pin_id(id))
    before = pin.value()
    pin._s["level"] = level = 1 if level else 0
    irq = pin._s["irq"]
    if irq and level != before and irq[1] & (Pin.IRQ_RISING if level else Pin.IRQ_FALLING):
        irq[0](pin)


def host_set_adc(id, value):
    """Test hook: what ADC(id).read_u16() reads (0-65535)."""
    if not 0 <= value <= 65535:
        raise ValueError("an ADC reads 0-65535, got %r" % (value,))
    _adc[_pin_id(id)] = value


class ADC:
    ATTN_0DB = 0
    ATTN_11DB = 3

    def __init__(self, id, *, sample_ns=None, atten=None):
        self._id = _pin_id(id)

    def read_u16(self):
        return _adc.get(self._id, 0)

    def read_uv(self):
        """Scaled to 3.3 V full range (the boards' reference)."""
        return self.read_u16() * 3300000 // 65535


class WDT:
    """Once started it cannot be stopped, as on the board."""

    def __init__(self, *, id=0, timeout=5000):
        if timeout <= 0:
            raise ValueError("WDT timeout must be positive")
        self.timeout = timeout
        self._fed = _ms()

    def feed(self):
        if _ms_since(self._fed) > self.timeout:
            _reset(WDT_RESET)
        self._fed = _ms()


class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, *, mode=PERIODIC, period=None, freq=None, tick_hz=1000,
                 callback=None, hard=None):
        self._id = id
        self._generation = 0
        if period is not None or freq is not None or callback is not None:
            self.init(mode=mode, period=period, freq=freq, tick_hz=tick_hz, callback=callback)

    def init(self, *, mode=PERIODIC, period=None, freq=None, tick_hz=1000, callback=None,
             hard=None):
        """`period` counts ticks of `tick_hz` (milliseconds by default); `freq` wins."""
        import _thread

        if freq is not None:
            period, tick_hz = 1, freq
        if period is None or period < 0 or not tick_hz:
            raise ValueError("give the timer a period (or a freq)")
        self._generation += 1
        _thread.start_new_thread(
            self._run, (self._generation, period * 1000 / tick_hz, mode, callback))

    def deinit(self):
        self._generation += 1

    def _run(self, generation, period, mode, callback):
        while True:
            time.sleep(period / 1000)
            if generation != self._generation:
                return
            if callback is None:
                raise TypeError("'NoneType' object isn't callable")
            callback(self)
            if mode == Timer.ONE_SHOT:
                return


def _days_from_civil(y, m, d):
    if m <= 2:
        y -= 1
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


class RTC:
    """Runs from the host's clock (UTC, as NTP sets a board); setting it shifts it."""

    def __init__(self, id=0, *, datetime=None):
        if datetime is not None:
            self.init(datetime)

    def init(self, datetime=None):
        """`datetime`: (year, month, day[, hour[, minute[, second[, ...]]]])."""
        if datetime is not None:
            _set_clock(*(tuple(datetime[:6]) + (0, 0, 0))[:6])

    def datetime(self, datetimetuple=None):
        """(year, month, day, weekday, hours, minutes, seconds, subseconds)."""
        if datetimetuple is not None:
            t = datetimetuple
            _set_clock(t[0], t[1], t[2], *(tuple(t[4:7]) + (0, 0, 0))[:3])
            return None
        now = time.time() + _rtc_offset
        g = time.gmtime(int(now))
        return (g[0], g[1], g[2], g[6], g[3], g[4], g[5], int((now - int(now)) * 1000000))


def _set_clock(y, mo, d, hh, mm, ss):
    global _rtc_offset
    _rtc_offset = _days_from_civil(y, mo, d) * 86400 + hh * 3600 + mm * 60 + ss - time.time()
