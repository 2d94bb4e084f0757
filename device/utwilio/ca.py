"""The CA certificate and the verifying TLS context, for transports that do not load
utwilio.http (the MQTT link): the same rules as http.Transport (DESIGN.md: tls, not
ssl; CERT_REQUIRED; DER; server_hostname given at wrap time)."""

CA_FILE = "ca.der"  # where tools/deploy puts the CA certificate, in DER


def load(path=CA_FILE):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        raise ValueError(
            "no CA certificate to verify TLS: pass cadata=<DER bytes of the CA that signs "
            "the server> or put it in %r (tools/deploy does this); verify=False turns "
            "certificate checks off (insecure)" % path
        )


def context(cadata, verify):
    import tls

    ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
    # The firmware has SSLContext.verify_mode; micropython-stubs 1.29 omit it.
    if verify:
        ctx.verify_mode = tls.CERT_REQUIRED  # pyright: ignore[reportAttributeAccessIssue]
        ctx.load_verify_locations(cadata)
    else:
        ctx.verify_mode = tls.CERT_NONE  # pyright: ignore[reportAttributeAccessIssue]
        print("utwilio: WARNING: TLS certificate checks are OFF (verify=False); anyone on "
              "the network can read and change your messages")
    return ctx
