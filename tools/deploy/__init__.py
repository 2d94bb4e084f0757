"""Installs utwilio on a board: precompiled .mpy files in lib/utwilio/, the board's
config.json (Wi-Fi, Twilio or agent credentials) and ca.der (the CA its TLS trusts).

    python -m tools.deploy --port /dev/ttyACM0 --wifi-ssid home \\
        --account-sid AC… --from +15550000001          # secrets from the environment
    python -m tools.deploy --port /dev/ttyACM0 --core-only --dry-run

Secrets (UTWILIO_WIFI_PASSWORD, TWILIO_AUTH_TOKEN or TWILIO_API_SECRET,
UTWILIO_AGENT_TOKEN) come from the environment or --config FILE, are never printed,
and live on this machine only in a 0600 file in a private temporary directory that
is removed at the end. See `python -m tools.deploy --help`."""

import shutil
import tempfile
from pathlib import Path

from tools.deploy import board, config, files
from tools.deploy.errors import DeployError

__all__ = ["DeployError", "Plan", "deploy", "plan"]


class Plan:
    """What an install writes on the board: `files` [(board path, local path)], the
    config dict, the CA; `lines()` describes it with the secrets masked."""

    def __init__(self, workdir, files_, settings, ca, core_only, source):
        self.workdir = Path(workdir)
        self.files = files_
        self.config = settings
        self.ca = ca
        self.core_only = core_only
        self.source = source
        self.secrets = config.secrets(settings)

    def sizes(self):
        return [p.stat().st_size for _, p in self.files]

    def lines(self):
        lib = [(dest, p.stat().st_size) for dest, p in self.files if dest.startswith("lib/")]
        out = ["%s %s -> lib/utwilio/ (%d files, %d bytes):" % (
            "utwilio core (alert-only)" if self.core_only else "utwilio",
            "sources" if self.source else "precompiled .mpy", len(lib),
            sum(size for _, size in lib))]
        out += ["  %-28s %6d bytes" % line for line in lib]
        if self.config:
            import json

            out.append("config.json: %s" % json.dumps(config.masked(self.config),
                                                      ensure_ascii=False))
        if not self.ca:
            out.append("ca.der: none (utwilio's bundled roots verify api.twilio.com)")
        else:
            out.append("ca.der: %s" % self.ca.describe())
            if not self.ca.is_ca:
                out.append("  warning: this certificate is not a CA; the board verifies "
                           "servers against it as a trust anchor")
        return out


def plan(workdir, settings, ca=None, core_only=False, source=False):
    """Builds everything to copy into `workdir` (a private directory) -> Plan."""
    if core_only and settings.get("agent"):
        raise DeployError("--core-only leaves out utwilio.link, which the agent settings "
                          "are for: drop --core-only")
    names = files.modules(core_only)
    copied = files.build(names, workdir, source=source)
    if settings:
        copied.append(("config.json", config.write(settings, Path(workdir) / "config.json")))
    if ca is not None:
        der = Path(workdir) / "ca.der"
        der.write_bytes(ca.der)
        copied.append(("ca.der", der))
    return Plan(workdir, copied, settings, ca, core_only, source)


def install(port, p, say=print):
    """Probes the board, checks firmware and space, copies the plan's files, and checks
    that `import utwilio` works there -> the version the board reports."""
    info = board.probe(port)
    say("board: MicroPython %s on %s, .mpy v%d, %s bytes free" % (
        ".".join(map(str, info["version"])), info["platform"], info["mpy"] & 0xFF,
        info["free"] if info["free"] >= 0 else "?"))
    board.check_firmware(info, files.MPY_VERSION, source=p.source)
    if info["platform"] == "esp8266":
        say("warning: an ESP8266 cannot verify TLS certificates (axTLS)")
    board.check_space(info, p.sizes())
    lib = [str(local) for dest, local in p.files if dest.startswith("lib/")]
    root = [str(local) for dest, local in p.files if not dest.startswith("lib/")]
    args = ["exec", board.PREPARE, "+", "fs", "cp", *lib, ":lib/utwilio/"]
    if root:
        args += ["+", "fs", "cp", *root, ":."]
    args += ["+", "exec", board.VERIFY]
    out = board.mpremote(port, *args, secrets=p.secrets)
    for line in out.splitlines():
        if line.startswith("UTWILIO-VERSION "):
            return line.split()[1]
    raise DeployError("the files were copied but `import utwilio` printed no version:\n%s"
                      % config.mask(out, p.secrets))


def deploy(port, settings=None, ca=None, core_only=False, source=False, dry_run=False,
           say=print):
    """The whole install (see the module docstring) -> the version on the board (None
    for a dry run). Local files are removed whatever happens."""
    workdir = tempfile.mkdtemp(prefix="utwilio-deploy-")  # 0700: only this user
    try:
        p = plan(workdir, settings or {}, ca, core_only, source)
        for line in p.lines():
            say(line)
        if dry_run:
            say("dry run: nothing was copied")
            return None
        version = install(port, p, say)
        say("installed utwilio %s on %s; reset the board to run it" % (version, port))
        return version
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
