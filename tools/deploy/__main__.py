"""`python -m tools.deploy --port PORT [options]`: see tools/deploy/__init__.py."""

import argparse
import sys

from tools.deploy import certs, config, deploy
from tools.deploy.errors import DeployError

EPILOG = """\
secrets come from the environment (or --config FILE), never from flags:
  UTWILIO_WIFI_PASSWORD   with --wifi-ssid
  TWILIO_AUTH_TOKEN       with --account-sid (TWILIO_API_SECRET with --api-key)
  UTWILIO_AGENT_TOKEN     with --agent-url
the board gets lib/utwilio/*.mpy, config.json (when settings are given) and, with
--ca or --ca-name, ca.der: trusted beside the roots bundled in the package (%r, the
root that signs api.twilio.com; see docs/tls.md).
a virtual board for trying it: python -m tools.vboard""" % certs.TWILIO_ROOT


def parser():
    p = argparse.ArgumentParser(prog="python -m tools.deploy", description=(
        "Install utwilio on a MicroPython board with mpremote: precompiled .mpy files, "
        "config.json and ca.der."), epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", help="the board's serial port (/dev/ttyACM0, COM3, or a "
                   "virtual board's pty); mpremote's shortcuts (a0, u0) work too")
    p.add_argument("--core-only", action="store_true",
                   help="install only what send() and the outbox need (alert-only device)")
    p.add_argument("--source", action="store_true",
                   help="copy .py sources instead of .mpy (more RAM to import)")
    p.add_argument("--dry-run", action="store_true",
                   help="show what would be copied (secrets masked); touch no board")
    s = p.add_argument_group("settings (config.json)")
    s.add_argument("--config", metavar="FILE", help="a JSON file in config.json's shape; "
                   "the flags below override it")
    s.add_argument("--wifi-ssid", metavar="SSID")
    s.add_argument("--account-sid", metavar="AC…")
    s.add_argument("--api-key", metavar="SK…", help="authenticate with an API key")
    s.add_argument("--from", dest="from_", metavar="+1…", help="your Twilio number")
    s.add_argument("--to", metavar="+1…", help="who the device texts by default")
    s.add_argument("--base-url", help="Twilio's API (default https://api.twilio.com)")
    s.add_argument("--agent-url", metavar="URL")
    s.add_argument("--device-id", metavar="ID")
    c = p.add_argument_group("CA certificate (ca.der)").add_mutually_exclusive_group()
    c.add_argument("--ca", metavar="FILE", help="a PEM or DER file with the one root CA "
                   "that signs your server (the agent's, or a local test server's)")
    c.add_argument("--ca-name", metavar="NAME",
                   help="a root from certifi by label, e.g. 'ISRG Root X1'")
    c.add_argument("--no-ca", action="store_true", help="leave ca.der as it is")
    return p


def choose_ca(a, settings):
    if a.no_ca:
        return None
    if a.ca:
        return certs.from_file(a.ca)
    if a.ca_name:
        return certs.from_bundle(a.ca_name)
    agent = settings.get("agent") or {}
    if agent.get("url", "").startswith("https:") and "account_sid" not in settings:
        raise DeployError("which CA signs the agent's certificate? give it with --ca FILE, "
                          "or --ca-name 'ISRG Root X1' (Let's Encrypt) or another certifi "
                          "label")
    return None  # api.twilio.com's roots are bundled in utwilio/roots.py


def main(argv=None):
    a = parser().parse_args(argv)
    if not a.port and not a.dry_run:
        parser().error("--port is required (or --dry-run)")
    try:
        settings = config.build(a)
        deploy(a.port, settings, choose_ca(a, settings), core_only=a.core_only,
               source=a.source, dry_run=a.dry_run)
    except DeployError as e:
        sys.exit("deploy: %s" % e)


if __name__ == "__main__":
    main()
