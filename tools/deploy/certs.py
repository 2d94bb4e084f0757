"""A CA certificate the board trusts beside the package's bundled roots (utwilio/roots.py,
see docs/tls.md), as one DER certificate (ca.der): your agent tunnel's, say.

The device's TLS (mbedTLS) reads one certificate from a DER buffer: a second one
concatenated after it is ignored, so ca.der holds exactly one root, converted here from
PEM when given as PEM."""

import ssl
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from tools.deploy.errors import DeployError

TWILIO_ROOT = "DigiCert Global Root G2"  # api.twilio.com's chain ends here


class CA:
    def __init__(self, der, source):
        self.der = der
        self.source = source
        cert = x509.load_der_x509_certificate(der)
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        self.name = names[0].value if names else cert.subject.rfc4514_string()
        self.expires = cert.not_valid_after_utc.date()
        try:
            self.is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            self.is_ca = False

    def describe(self):
        return "%s (%s, valid until %s, %d bytes)" % (self.name, self.source, self.expires,
                                                       len(self.der))


def bundle_labels(bundle=None):
    """-> {label: PEM} of certifi's bundle (labels as in its '# Label: "…"' lines)."""
    if bundle is None:
        import certifi

        bundle = certifi.where()
    found, label = {}, None
    lines = []
    for line in Path(bundle).read_text().splitlines():
        if line.startswith("# Label: "):
            label = line[len("# Label: "):].strip().strip('"')
        elif line.startswith("-----BEGIN CERTIFICATE-----"):
            lines = [line]
        elif lines:
            lines.append(line)
            if line.startswith("-----END CERTIFICATE-----"):
                found[label] = "\n".join(lines) + "\n"
                lines = []
    return found


def from_bundle(name=TWILIO_ROOT, bundle=None):
    roots = bundle_labels(bundle)
    if name not in roots:
        close = [label for label in roots if name.lower() in label.lower()]
        raise DeployError("no root named %r in certifi's bundle%s; give the CA file with --ca"
                          % (name, " (did you mean %s?)" % ", ".join(map(repr, close[:5]))
                                if close else ""))
    return CA(ssl.PEM_cert_to_DER_cert(roots[name]), "certifi: %s" % name)


def from_file(path):
    """A PEM or DER file holding one certificate -> CA."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise DeployError("cannot read the CA file %s: %s" % (path, e.strerror)) from None
    if b"-----BEGIN" in data:
        text = data.decode("ascii", "replace")
        count = text.count("-----BEGIN CERTIFICATE-----")
        if count != 1:
            raise DeployError(
                "%s holds %d certificates; the board keeps one (ca.der): give the one root "
                "CA that signs your server's certificate" % (path, count))
        start = text.index("-----BEGIN CERTIFICATE-----")
        end = text.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")
        data = ssl.PEM_cert_to_DER_cert(text[start:end])
    try:
        return CA(data, str(path))
    except ValueError:
        raise DeployError("%s is not one X.509 certificate in PEM or DER" % path) from None
