"""Writes device/utwilio/roots.py: the root certificates api.twilio.com chains to, in
DER, taken from the pinned certifi (Mozilla's bundle), so a board installed with
`mpremote mip install` verifies Twilio with no other file.

    python -m tools.deploy.roots            refresh them (after bumping certifi)
    python -m tools.deploy.roots --check    exit 1 when roots.py differs from certifi"""

import ssl
import sys

import certifi

from tools.deploy.certs import CA, bundle_labels
from tools.deploy.errors import DeployError
from tools.deploy.files import PACKAGE

TWILIO_ROOTS = ("DigiCert Global Root G2",)  # api.twilio.com's chain ends here
TARGET = PACKAGE / "roots.py"


def ders(labels=TWILIO_ROOTS, bundle=None):
    """-> [(label, DER)] from certifi's bundle (or `bundle`, a PEM file)."""
    found = bundle_labels(bundle)
    missing = [label for label in labels if label not in found]
    if missing:
        raise DeployError("certifi has no root named %s" % ", ".join(map(repr, missing)))
    return [(label, ssl.PEM_cert_to_DER_cert(found[label])) for label in labels]


def render(roots, source="certifi %s" % certifi.__version__):
    lines = ['"""The root certificates api.twilio.com chains to, DER, from %s.' % source,
             "Written by `python -m tools.deploy.roots` (see docs/tls.md); do not edit.",
             "Frozen into firmware they stay in flash; from .mpy they are read into RAM on",
             'the first HTTPS request only (utwilio.ca imports this module then)."""', "",
             "ROOTS = ("]
    for _label, der in roots:
        lines.append("    # %s" % CA(der, "certifi").describe())
        for i in range(0, len(der), 20):
            lines.append('    b"%s"' % "".join("\\x%02x" % b for b in der[i:i + 20]))
        lines[-1] += ","
    lines.append(")")
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    text = render(ders())
    if argv == ["--check"]:
        if not TARGET.exists() or TARGET.read_text() != text:
            sys.exit("stale: device/utwilio/roots.py; run `python -m tools.deploy.roots`")
        return
    if argv:
        sys.exit(__doc__)
    TARGET.write_text(text)
    print("wrote device/utwilio/roots.py (%s)" % ", ".join(TWILIO_ROOTS))


if __name__ == "__main__":
    main()
