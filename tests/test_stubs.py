"""stubs/network.py, machine.py, micropython.py: the board modules on the host.
Behaviour in-process on CPython, a Wi-Fi/LED/watchdog scenario on both runtimes,
and their API checked against the ESP32 and Pico W stubs pyright uses."""

import ast
import importlib
import inspect
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from devicevm import RUNTIMES, STUBS, result

ROOT = Path(__file__).resolve().parent.parent
TYPINGS = ROOT / "tools" / "typings"
HOST_ONLY = {"Reset"}  # beside the host_* test hooks


def _fresh(name):
    module = importlib.reload(importlib.import_module(name))
    assert Path(module.__file__).parent == STUBS, module.__file__
    return module


@pytest.fixture
def network(monkeypatch):
    monkeypatch.delenv("UTWILIO_WIFI", raising=False)
    return _fresh("network")


@pytest.fixture
def machine():
    return _fresh("machine")


@pytest.fixture
def micropython():
    return _fresh("micropython")


# --- network -------------------------------------------------------------------------

def test_station_connects_at_once_on_loopback(network):
    wlan = network.WLAN(network.STA_IF)
    assert not wlan.active() and not wlan.isconnected()
    with pytest.raises(OSError, match="Not Started"):
        wlan.connect("home", "secret")
    wlan.active(True)
    wlan.connect("home", "secret")
    assert wlan.isconnected() and wlan.status() == network.STAT_GOT_IP
    assert wlan.ifconfig() == ("127.0.0.1", "255.0.0.0", "127.0.0.1", "127.0.0.1")
    assert wlan.ipconfig("addr4") == ("127.0.0.1", "255.0.0.0")
    assert wlan.ipconfig("has_dhcp4") is True
    assert wlan.config("ssid") == "home" and len(wlan.config("mac")) == 6
    assert network.WLAN(network.STA_IF).isconnected(), "one state per interface"
    assert wlan.status("rssi") < 0
    wlan.disconnect()
    assert not wlan.isconnected() and wlan.status() == network.STAT_IDLE
    assert wlan.ifconfig()[0] == "0.0.0.0"


def test_wifi_loss_hook(network):
    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    wlan.connect("home", "secret")
    network.host_lose_link()
    assert not wlan.isconnected() and wlan.status() == network.STAT_NO_AP_FOUND
    assert wlan.scan() == []
    wlan.connect()
    assert not wlan.isconnected(), "no access point: reconnecting fails"
    network.host_restore_link()
    assert not wlan.isconnected(), "the host does not reconnect by itself"
    wlan.connect()
    assert wlan.isconnected() and wlan.config("ssid") == "home"


@pytest.mark.parametrize("setting, status", [
    ("wrong_password", "STAT_WRONG_PASSWORD"), ("NO_AP_FOUND", "STAT_NO_AP_FOUND"),
    ("connect_fail", "STAT_CONNECT_FAIL"), ("up", "STAT_GOT_IP")])
def test_wifi_environment_variable(network, monkeypatch, setting, status):
    monkeypatch.setenv("UTWILIO_WIFI", setting)
    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    wlan.connect("home", "secret")
    assert wlan.status() == getattr(network, status)
    assert wlan.isconnected() == (setting == "up")


def test_wifi_environment_variable_typo_is_an_error(network, monkeypatch):
    monkeypatch.setenv("UTWILIO_WIFI", "down")
    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    with pytest.raises(ValueError, match="UTWILIO_WIFI must be up, no_ap_found"):
        wlan.connect("home", "secret")


def test_config_and_scan(network):
    sta = network.WLAN(network.STA_IF)
    with pytest.raises(OSError):
        sta.scan()
    sta.active(True)
    assert [n[0] for n in sta.scan()] == [b"utwilio-host"]
    sta.config(pm=sta.PM_NONE, reconnects=3)
    assert (sta.config("pm"), sta.config("reconnects")) == (0, 3)
    with pytest.raises(ValueError, match="unknown config param"):
        sta.config("colour")
    with pytest.raises(ValueError, match="unknown config param"):
        sta.config(colour="red")
    with pytest.raises(TypeError):
        sta.config("ssid", "pm")
    sta.ifconfig(("10.0.0.5", "255.255.255.0", "10.0.0.1", "10.0.0.1"))
    sta.connect("home", "secret")
    assert sta.ifconfig()[0] == "10.0.0.5" and sta.ipconfig("dhcp4") is False
    network.hostname("greenhouse")
    assert network.hostname() == "greenhouse"


def test_access_point(network):
    ap = network.WLAN(network.AP_IF)
    ap.active(True)
    ap.config(ssid="greenhouse-setup", key="12345678")
    assert ap.config("ssid") == "greenhouse-setup"
    assert ap.ifconfig()[0] == "192.168.4.1" and ap.status("stations") == []
    assert not ap.isconnected()
    with pytest.raises(OSError):
        ap.connect("home", "secret")


# --- machine -------------------------------------------------------------------------

def test_output_pin(machine):
    led = machine.Pin("LED", machine.Pin.OUT, value=0)
    led.on()
    assert led.value() == 1 and led() == 1
    led.toggle()
    assert led.value() == 0
    led(1)
    assert machine.Pin("LED").value() == 1, "same id, same pin"
    led.off()
    assert led.value() == 0


def test_input_pin_reads_pull_and_hook_and_fires_irq(machine):
    button = machine.Pin(0, machine.Pin.IN, machine.Pin.PULL_UP)
    floating = machine.Pin(4, machine.Pin.IN)
    assert button.value() == 1 and floating.value() == 0
    edges = []
    button.irq(lambda p: edges.append(p.value()), machine.Pin.IRQ_FALLING)
    machine.host_set_pin(0, 0)
    machine.host_set_pin(0, 0)
    machine.host_set_pin(0, 1)
    assert edges == [0], "one falling edge, no rising one"
    button.irq(None)
    machine.host_set_pin(button, 0)
    assert edges == [0] and button.value() == 0


def test_adc(machine):
    pot = machine.ADC(machine.Pin(26))
    assert pot.read_u16() == 0
    machine.host_set_adc(26, 65535)
    assert pot.read_u16() == 65535 and pot.read_uv() == 3300000
    with pytest.raises(ValueError):
        machine.host_set_adc(26, 70000)


def test_watchdog_resets_when_fed_late(machine):
    wdt = machine.WDT(timeout=1)
    time.sleep(0.01)  # longer than the timeout: a lower bound, not a timing assertion
    with pytest.raises(machine.Reset) as e:
        wdt.feed()
    assert e.value.args[0] == machine.WDT_RESET == machine.reset_cause()
    fed = machine.WDT(timeout=60000)
    fed.feed()
    fed.feed()


def test_resets_are_system_exits_with_the_cause(machine):
    assert machine.reset_cause() == machine.PWRON_RESET
    for call, cause in ((machine.reset, machine.HARD_RESET),
                        (machine.soft_reset, machine.SOFT_RESET),
                        (lambda: machine.deepsleep(60000), machine.DEEPSLEEP_RESET)):
        with pytest.raises(SystemExit) as e:
            call()
        assert isinstance(e.value, machine.Reset) and e.value.code == cause
        assert machine.reset_cause() == cause


def test_rtc_is_settable_and_runs(machine):
    rtc = machine.RTC()
    rtc.datetime((2026, 2, 28, 5, 23, 59, 59, 0))
    y, mo, d, wd, hh, mm, ss, _ = rtc.datetime()
    assert (y, mo, d, wd, hh, mm) in ((2026, 2, 28, 5, 23, 59), (2026, 3, 1, 6, 0, 0))
    machine.RTC().datetime((2024, 2, 29, 3, 12, 0, 0, 0))
    assert machine.RTC().datetime()[:5] == (2024, 2, 29, 3, 12), "one clock, leap day"
    rtc.init((2026, 1, 2, 3, 4, 5, 0, 0))  # init() has no weekday field
    assert rtc.datetime()[:6] == (2026, 1, 2, 4, 3, 4)
    assert machine.RTC(datetime=(2030, 6, 1)).datetime()[:5] == (2030, 6, 1, 5, 0)


def test_timer_calls_back_on_a_thread_until_deinit(machine):
    fired = threading.Event()
    ticks = []

    def tick(t):
        ticks.append(t)
        fired.set()

    timer = machine.Timer(-1, mode=machine.Timer.PERIODIC, period=1, callback=tick)
    assert fired.wait(10)
    timer.deinit()
    assert ticks[0] is timer
    once = threading.Event()
    machine.Timer(-1, mode=machine.Timer.ONE_SHOT, period=5, tick_hz=10000,
                  callback=lambda t: once.set())
    assert once.wait(10)
    with pytest.raises(ValueError):
        machine.Timer(-1).init(mode=machine.Timer.ONE_SHOT)


def test_freq_unique_id_sleep(machine):
    assert machine.freq() == 160000000
    machine.freq(240000000)
    assert machine.freq() == 240000000
    assert machine.unique_id() == machine.unique_id() and len(machine.unique_id()) == 6
    machine.lightsleep(1)
    with pytest.raises(ValueError, match="wake source"):
        machine.lightsleep()
    assert machine.idle() is None


# --- micropython ---------------------------------------------------------------------

def test_micropython_module(micropython, capsys):
    assert micropython.const(5) == 5

    @micropython.native
    def add(a, b):
        return a + b

    assert micropython.viper(add)(2, 3) == 5
    micropython.alloc_emergency_exception_buf(100)
    assert micropython.opt_level() == 0
    micropython.opt_level(2)
    assert micropython.opt_level() == 2
    assert micropython.heap_lock() is None and micropython.heap_lock() is None
    assert micropython.heap_unlock() == 1 and micropython.heap_unlock() == 0
    micropython.kbd_intr(-1)
    micropython.mem_info()
    assert "no MicroPython heap" in capsys.readouterr().out


def test_schedule_runs_in_order_never_nested(micropython):
    order = []

    def outer(arg):
        micropython.schedule(order.append, "inner")
        order.append(arg)

    micropython.schedule(outer, "outer")
    assert order == ["outer", "inner"]

    def boom(_):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        micropython.schedule(boom, None)
    micropython.schedule(order.append, "after")
    assert order[-1] == "after", "a failing callback does not jam the queue"


# --- both runtimes -------------------------------------------------------------------

SCENARIO = '''
import devicetest
import machine
import network

a = devicetest.args()
out = {}
wlan = network.WLAN(network.STA_IF)
wlan.active(True)
wlan.connect(a["ssid"], a["key"])
out["connected"] = [wlan.isconnected(), wlan.status() == network.STAT_GOT_IP]
network.host_lose_link()
out["lost"] = [wlan.isconnected(), wlan.status() == network.STAT_NO_AP_FOUND]
network.host_restore_link()
wlan.connect()
out["back"] = wlan.isconnected()
led = machine.Pin("LED", machine.Pin.OUT)
led.on()
out["led"] = [led.value()]
led.toggle()
out["led"].append(led.value())
presses = []
button = machine.Pin(0, machine.Pin.IN, machine.Pin.PULL_UP)
button.irq(lambda p: presses.append(p.value()), machine.Pin.IRQ_FALLING)
machine.host_set_pin(0, 0)
out["presses"] = presses
machine.RTC().datetime((2026, 11, 23, 0, 12, 30, 0, 0))
out["rtc"] = list(machine.RTC().datetime()[:4])
machine.WDT(timeout=60000).feed()
try:
    machine.reset()
except machine.Reset as e:
    out["reset"] = [e.args[0], machine.reset_cause() == machine.HARD_RESET]
devicetest.report(out)
'''


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_board_scenario_runs_on_both_runtimes(runtime, tmp_path, monkeypatch):
    """The stubs are plain MicroPython too: the unix VM (no network, a different
    machine) runs the same Wi-Fi, LED, button, RTC and watchdog code with them."""
    monkeypatch.delenv("UTWILIO_WIFI", raising=False)
    script = tmp_path / "board.py"
    script.write_text(SCENARIO)
    assert result(runtime, script, {"ssid": "home", "key": "secret"},
                  extra_path=[STUBS]) == {
        "connected": [True, True], "lost": [False, True], "back": True, "led": [1, 0],
        "presses": [0], "rtc": [2026, 11, 23, 0], "reset": [2, True]}


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_wifi_failure_from_the_environment_on_both_runtimes(runtime, tmp_path, monkeypatch):
    monkeypatch.setenv("UTWILIO_WIFI", "wrong_password")
    script = tmp_path / "wifi.py"
    script.write_text("import devicetest, network\nw = network.WLAN(network.STA_IF)\n"
                      "w.active(True)\nw.connect('home', 'bad')\n"
                      "devicetest.report([w.isconnected(), "
                      "w.status() == network.STAT_WRONG_PASSWORD])\n")
    assert result(runtime, script, extra_path=[STUBS]) == [False, True]


# --- faithful to the boards' API -----------------------------------------------------

def _board_api(module):
    """{dotted name: [ast.arguments of each overload]} from both boards' .pyi."""
    api = {}

    def collect(node, prefix):
        if isinstance(node, ast.FunctionDef):
            api.setdefault(prefix + node.name, []).append(node.args)
        elif isinstance(node, ast.ClassDef):
            api.setdefault(prefix + node.name, [])
            for child in node.body:
                collect(child, prefix + node.name + ".")
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            api.setdefault(prefix + node.target.id, [])
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    api.setdefault(prefix + t.id, [])

    for board in ("esp32", "picow"):
        for node in ast.parse((TYPINGS / board / (module + ".pyi")).read_text()).body:
            collect(node, "")
    return api


def _our_api(module):
    for name, value in vars(module).items():
        if name.startswith(("_", "host_")) or name in HOST_ONLY or inspect.ismodule(value):
            continue
        yield name, value
        if inspect.isclass(value):
            for attr, member in vars(value).items():
                if not attr.startswith("_") or attr in ("__init__", "__call__"):
                    yield name + "." + attr, member


def _fits(ours, theirs):
    """-> why a call valid on the board fails on ours, or None."""
    if theirs.vararg or theirs.kwarg:
        return None  # the board's stub says "anything": nothing to compare
    params = inspect.signature(ours).parameters.values()
    kinds = {p.kind for p in params}
    positional = [p for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
    names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    given = len(theirs.posonlyargs) + len(theirs.args)
    required = given - len(theirs.defaults)
    ours_required = sum(1 for p in positional if p.default is p.empty)
    if given > len(positional) and inspect.Parameter.VAR_POSITIONAL not in kinds:
        return "takes %d positional arguments, the board %d" % (len(positional), given)
    if ours_required > required:
        return "requires %d positional arguments, the board %d" % (ours_required, required)
    missing = [a.arg for a in theirs.kwonlyargs
               if a.arg not in names and inspect.Parameter.VAR_KEYWORD not in kinds]
    return "has no keyword %s" % missing if missing else None


@pytest.fixture(scope="module")
def typings():
    proc = subprocess.run(["bash", str(ROOT / "tools" / "typecheck" / "install.sh")],
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHON=sys.executable))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", ["network", "machine"])
def test_stub_api_is_the_boards_api(name, typings):
    """Every public name our stub has, one of the boards has too, and every call
    either board's signatures allow, ours allows."""
    board = _board_api(name)
    problems = []
    for qualified, value in _our_api(_fresh(name)):
        if qualified not in board:
            problems.append("%s.%s: not on the ESP32 or Pico W" % (name, qualified))
            continue
        if callable(value) and not inspect.isclass(value):
            problems += ["%s.%s %s" % (name, qualified, why) for why in
                         (_fits(value, o) for o in board[qualified]) if why]
    assert not problems, "\n".join(problems)


def test_micropython_stub_api_is_the_boards_api(typings):
    board = _board_api("micropython")
    ours = dict(_our_api(_fresh("micropython")))
    assert set(ours) <= set(board), set(ours) - set(board)
    problems = ["%s %s" % (n, why) for n, f in ours.items()
                for why in (_fits(f, o) for o in board[n]) if why]
    assert not problems, "\n".join(problems)


def test_device_code_never_imports_the_stubs():
    for path in (ROOT / "device").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                assert not any(n.split(".")[0] == "stubs" for n in names), path
        assert "stubs" not in source.replace("micropython-stubs", ""), (
            "%s refers to stubs/: device code must not depend on the host shims" % path)
