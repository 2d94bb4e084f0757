"""MicroPython's `tls` module on CPython, over `ssl`.

Same defaults as the firmware: PROTOCOL_TLS_CLIENT means CERT_REQUIRED and host-name
checks; load_verify_locations takes DER bytes positionally; CERT_NONE turns both off."""

import ssl

PROTOCOL_TLS_CLIENT = ssl.PROTOCOL_TLS_CLIENT
PROTOCOL_TLS_SERVER = ssl.PROTOCOL_TLS_SERVER
CERT_NONE = ssl.CERT_NONE
CERT_OPTIONAL = ssl.CERT_OPTIONAL
CERT_REQUIRED = ssl.CERT_REQUIRED


class SSLContext(ssl.SSLContext):
    def load_verify_locations(self, cadata):
        if not isinstance(cadata, (bytes, bytearray)):
            raise ValueError("invalid cert")  # what the firmware says for anything else
        super().load_verify_locations(cadata=bytes(cadata))

    @property
    def verify_mode(self):
        return super().verify_mode

    @verify_mode.setter
    def verify_mode(self, mode):
        if mode == ssl.CERT_NONE:
            self.check_hostname = False
        ssl.SSLContext.verify_mode.__set__(self, mode)
