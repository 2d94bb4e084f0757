"""MicroPython's `network` (Wi-Fi) on the host, so device code runs unchanged on
CPython and on the unix MicroPython VM (which has no `network`).

What the host does differently: there is no radio. connect() succeeds at once and
the station gets 127.0.0.1, since every server it talks to in tests is on loopback.
STAT_* values are the ESP32's (the Pico W's differ): compare with the names.
connect() on an inactive interface raises OSError, as on the ESP32.

Test hooks (not on a board):
- host_lose_link(status) drops every station: isconnected() turns False, status()
  says `status`, and connect() keeps failing that way until host_restore_link().
- The environment variable UTWILIO_WIFI, read at each connect(), does the same for a
  device script run in a subprocess: "no_ap_found", "wrong_password" or
  "connect_fail" makes connect() fail with that status; unset or "up" lets it work.
"""

import os

STA_IF = 0
AP_IF = 1

STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_NO_AP_FOUND = 201
STAT_WRONG_PASSWORD = 202
STAT_CONNECT_FAIL = 203
STAT_BEACON_TIMEOUT = 200
STAT_HANDSHAKE_TIMEOUT = 204

AUTH_OPEN = 0
AUTH_WPA2_PSK = 3

_FAILURES = {
    "no_ap_found": STAT_NO_AP_FOUND,
    "wrong_password": STAT_WRONG_PASSWORD,
    "connect_fail": STAT_CONNECT_FAIL,
}
_STA_ADDR = ("127.0.0.1", "255.0.0.0", "127.0.0.1", "127.0.0.1")
_AP_ADDR = ("192.168.4.1", "255.255.255.0", "192.168.4.1", "0.0.0.0")
_NO_ADDR = ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")
_MAC = b"\x02\x00\x00\x00\x00\x01"

_lost = None  # the status every station is stuck in while the link is down
_hostname = "utwilio"
_dns = "127.0.0.1"
_interfaces = {}

# Test hook: what scan() reports (ssid, bssid, channel, RSSI, security, hidden).
host_networks = [(b"utwilio-host", b"\x02\x00\x00\x00\x00\xaa", 6, -42, AUTH_WPA2_PSK, False)]


def host_lose_link(status=STAT_NO_AP_FOUND):
    """Test hook: the access point goes away."""
    global _lost
    _lost = status
    for nic in _interfaces.values():
        if nic["if"] == STA_IF and nic["status"] == STAT_GOT_IP:
            nic["status"] = status


def host_restore_link():
    """Test hook: the access point is back; the next connect() succeeds."""
    global _lost
    _lost = None


def _failure():
    if _lost is not None:
        return _lost
    setting = (os.getenv("UTWILIO_WIFI") or "up").lower()
    if setting == "up":
        return None
    if setting not in _FAILURES:
        raise ValueError("UTWILIO_WIFI must be up, %s; got %r" % (", ".join(_FAILURES), setting))
    return _FAILURES[setting]


def hostname(name=None):
    global _hostname
    if name is None:
        return _hostname
    _hostname = name


def ipconfig(*names, **settings):
    """Global IP settings: only `dns` (and `prefer`, accepted and ignored) here."""
    global _dns
    if settings:
        _dns = settings.get("dns", _dns)
        return None
    if names == ("dns",):
        return _dns
    if names == ("prefer",):
        return 4
    raise ValueError("unexpected key")


class WLAN:
    """One object per interface, as on the board: WLAN(STA_IF) twice is one state."""

    IF_STA = STA_IF
    IF_AP = AP_IF
    PM_NONE = 0
    PM_PERFORMANCE = 1
    PM_POWERSAVE = 2

    def __init__(self, interface_id=STA_IF):
        if interface_id not in (STA_IF, AP_IF):
            raise ValueError("invalid WLAN interface identifier")
        if interface_id not in _interfaces:
            _interfaces[interface_id] = {
                "if": interface_id, "active": False, "status": STAT_IDLE, "addr": None,
                "config": {"ssid": "utwilio-ap" if interface_id == AP_IF else "",
                           "key": "", "channel": 6, "hidden": False, "mac": _MAC,
                           "security": AUTH_WPA2_PSK if interface_id == AP_IF else AUTH_OPEN,
                           "reconnects": -1, "txpower": 20, "pm": 1, "hostname": _hostname}}
        self._s = _interfaces[interface_id]

    def active(self, is_active=None):
        s = self._s
        if is_active is None:
            return s["active"]
        s["active"] = bool(is_active)
        if not is_active:
            s["status"] = STAT_IDLE

    def connect(self, ssid=None, key=None, *, bssid=None):
        s = self._s
        if s["if"] != STA_IF:
            raise OSError("only the STA interface connects")
        if not s["active"]:
            raise OSError("Wifi Not Started")
        if ssid is not None:
            s["config"]["ssid"] = ssid
            s["config"]["key"] = key or ""
        s["status"] = _failure() or STAT_GOT_IP

    def disconnect(self):
        self._s["status"] = STAT_IDLE

    def isconnected(self):
        """A station with an address; an access point never has a station here."""
        return self._s["active"] and self._s["status"] == STAT_GOT_IP

    def status(self, param=None):
        s = self._s
        if param is None:
            return s["status"] if s["active"] else STAT_IDLE
        if param == "rssi" and s["if"] == STA_IF:
            if not self.isconnected():
                raise OSError("not connected")
            return -42
        if param == "stations" and s["if"] == AP_IF:
            return []
        raise ValueError("unknown status param")

    def ifconfig(self, addresses=None):
        s = self._s
        if addresses is not None:
            if len(addresses) != 4:
                raise ValueError("ifconfig needs (ip, netmask, gateway, dns)")
            s["addr"] = tuple(addresses)
            return None
        if s["if"] == AP_IF:
            return (s["addr"] or _AP_ADDR) if s["active"] else _NO_ADDR
        return (s["addr"] or _STA_ADDR) if self.isconnected() else _NO_ADDR

    def ipconfig(self, *names, **settings):
        """Reads addr4, gw4, dhcp4 and has_dhcp4; the host sets addresses with ifconfig()."""
        if settings:
            raise ValueError("the host stub only reads ipconfig(); set a static address "
                             "with ifconfig((ip, netmask, gateway, dns))")
        ip, mask, gw, _ = self.ifconfig()
        static = self._s["addr"] is not None
        values = {"addr4": (ip, mask), "gw4": gw, "dhcp4": not static,
                  "has_dhcp4": self._s["if"] == STA_IF and self.isconnected() and not static}
        if len(names) != 1 or names[0] not in values:
            raise ValueError("unexpected key")
        return values[names[0]]

    def config(self, *names, **settings):
        conf = self._s["config"]
        if names and settings:
            raise TypeError("can query only one param")
        if settings:
            for name in settings:
                if name not in conf:
                    raise ValueError("unknown config param")
            conf.update(settings)
            return None
        if len(names) != 1:
            raise TypeError("can query only one param")
        if names[0] not in conf or names[0] == "key":
            raise ValueError("unknown config param")
        return conf[names[0]]

    def scan(self):
        if self._s["if"] != STA_IF:
            raise OSError("scan needs the STA interface")
        if not self._s["active"]:
            raise OSError("Wifi Not Started")
        return [] if _lost is not None else list(host_networks)
