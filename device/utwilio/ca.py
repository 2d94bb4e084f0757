"""The certificates TLS checks servers against, read on the first HTTPS request: a
program that only answers webhooks, or sends over HTTP, never loads them.

`cadata` (of Twilio, rest.Client, Link):
- None: the roots bundled in utwilio.roots (those api.twilio.com chains to), plus the
  board's ca.der when it has one (tools/deploy writes it: your agent tunnel's CA, say);
- the DER bytes of one certificate, or a list of them: exactly those.
MicroPython's TLS reads one DER certificate per buffer: give several as a list."""

CA_FILE = "ca.der"


def _der(data, where):
    if isinstance(data, str):
        raise TypeError("%s must be the certificate's DER bytes, not a str: for a file, "
                        "cadata=open(%r, 'rb').read()" % (where, data))
    if data[:5] == b"-----":
        raise ValueError(
            "%s is a PEM certificate (text); MicroPython needs DER: convert it with `openssl "
            "x509 -in ca.pem -outform der -out ca.der` (tools/deploy converts PEM itself)"
            % where)
    return data


def certificates(cadata):
    """-> the DER certificates to trust (see the module's docstring)."""
    if isinstance(cadata, (list, tuple)):
        return [_der(c, "cadata") for c in cadata]
    if cadata is not None:
        return [_der(cadata, "cadata")]
    from utwilio.roots import ROOTS

    found = list(ROOTS)
    try:
        with open(CA_FILE, "rb") as f:
            found.append(_der(f.read(), CA_FILE))
    except OSError:
        pass
    return found


def context(cadata, verify):
    """The TLS client context: certificate and host name checked, unless verify=False
    (a warning is printed)."""
    import tls

    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    # The firmware has SSLContext.verify_mode; micropython-stubs 1.29 omit it.
    if verify:
        ctx.verify_mode = tls.CERT_REQUIRED  # pyright: ignore[reportAttributeAccessIssue]
        for der in certificates(cadata):
            ctx.load_verify_locations(der)
    else:
        ctx.verify_mode = tls.CERT_NONE  # pyright: ignore[reportAttributeAccessIssue]
        print("utwilio: WARNING: TLS certificate checks are OFF (verify=False); anyone on the "
              "network can read and change your requests")
    return ctx
