"""`utwilio-agent broker-config DIR`: a Mosquitto 2 configuration for the link.

Each device logs in with its device id and token and may touch only its own topics
(ACL patterns on %u, the user name, which is also forced to be the client id); the
agent has its own account. Passwords are stored as Mosquitto 2 hashes
(`$7$`: PBKDF2-SHA512), never in clear. The agent keeps only a SHA-256 of each token,
so a device gets its broker login when its token is issued (`device add`, which
appends to DIR/passwd and makes a running broker reload it with SIGHUP: no restart)."""

import base64
import hashlib
import os
import signal
from pathlib import Path
from urllib.parse import urlsplit

ITERATIONS = 101  # mosquitto_passwd's default
FILES = ("mosquitto.conf", "passwd", "acl")


def password_hash(password, salt=None):
    """Mosquitto 2's `$7$` line format for `password`."""
    salt = salt or os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ITERATIONS)
    return "$7$%d$%s$%s" % (ITERATIONS, base64.b64encode(salt).decode(),
                            base64.b64encode(digest).decode())


def address(url):
    """[mqtt] url -> (secure, host, port)."""
    parts = urlsplit(url)
    secure = parts.scheme == "mqtts"
    return secure, parts.hostname or "127.0.0.1", parts.port or (8883 if secure else 1883)


def conf_text(folder, url, certfile="", keyfile=""):
    secure, host, port = address(url)
    lines = [
        "# Written by `utwilio-agent broker-config`; run: mosquitto -c %s" % (
            folder / "mosquitto.conf"),
        "per_listener_settings false",
        "allow_anonymous false",
        "password_file %s" % (folder / "passwd"),
        "acl_file %s" % (folder / "acl"),
        "# The agent's store is the queue: nothing durable here (clean sessions).",
        "persistence false",
        "pid_file %s" % (folder / "mosquitto.pid"),
        "listener %d %s" % (port, host),
        "# A device cannot take over another's session by naming its client id.",
        "use_username_as_clientid true",
    ]
    if secure:
        lines += ["certfile %s" % Path(certfile).resolve(), "keyfile %s" % Path(keyfile).resolve()]
    return "\n".join(lines) + "\n"


def acl_text(agent_users):
    """The agents read and write every device's topics; a device only its own."""
    return "".join("user %s\ntopic readwrite utw/v1/#\n\n" % user for user in agent_users) + (
        "pattern read utw/v1/%u/cmd\n"
        "pattern read utw/v1/%u/answer\n"
        "pattern write utw/v1/%u/ack\n"
        "pattern write utw/v1/%u/event\n"
        "pattern write utw/v1/%u/alert\n"
        "pattern write utw/v1/%u/presence\n")


def _entries(path):
    try:
        lines = Path(path).read_text().splitlines()
    except FileNotFoundError:
        return {}
    return dict(line.split(":", 1) for line in lines if ":" in line)


def _write_passwd(path, entries):
    tmp = Path(str(path) + ".tmp")
    tmp.write_text("".join("%s:%s\n" % item for item in sorted(entries.items())))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _agents(path):
    try:
        lines = Path(path).read_text().splitlines()
    except FileNotFoundError:
        return []
    return [line[5:].strip() for line in lines if line.startswith("user ")]


def write(folder, url, agent_user, agent_password, certfile="", keyfile=""):
    """Writes the three files; the logins already there (devices, other agents: one
    account per agent process, as the user name is the client id) are kept.
    -> the device ids that have a broker login."""
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if url.startswith("mqtts:") and not (certfile and keyfile):
        raise ValueError("an mqtts:// url needs the broker's certificate and key: "
                         "--certfile cert.pem --keyfile key.pem")
    (folder / "mosquitto.conf").write_text(conf_text(folder, url, certfile, keyfile))
    agents = _agents(folder / "acl")
    if agent_user not in agents:
        agents.append(agent_user)
    (folder / "acl").write_text(acl_text(agents))
    entries = _entries(folder / "passwd")
    entries[agent_user] = password_hash(agent_password)
    _write_passwd(folder / "passwd", entries)
    return sorted(name for name in entries if name not in agents)


def add_device(folder, device_id, token):
    """Gives the device its broker login (replacing an old one); a running broker
    re-reads its password file. -> True if a broker was told to reload, False if
    none runs, None if broker-config has not written DIR yet."""
    folder = Path(folder)
    if not (folder / "passwd").exists():
        return None
    entries = _entries(folder / "passwd")
    entries[device_id] = password_hash(token)
    _write_passwd(folder / "passwd", entries)
    try:
        pid = int((folder / "mosquitto.pid").read_text().split()[0])
        # A stale pid file may name another process now: SIGHUP would end most.
        if b"mosquitto" not in Path("/proc/%d/cmdline" % pid).read_bytes():
            return False
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError, IndexError):
        return False
    return True
