"""HTTP/1.1 pieces shared by the blocking and the asyncio transport: URL split,
request head, response-line parsing; failures become TransportErrors (fail())."""

from utwilio.errors import TransportError

LINE = 256  # bytes read per response line; longer lines are cut (see readline)
MAX_HEADERS = 64
# The response headers a caller needs; every other header is read and dropped.
KEEP = (b"content-length", b"transfer-encoding", b"connection", b"content-type",
        b"retry-after")


def split_url(url):
    """-> (secure, host, port, path)"""
    if url.startswith("https://"):
        secure, rest, port = True, url[8:], 443
    elif url.startswith("http://"):
        secure, rest, port = False, url[7:], 80
    else:
        raise ValueError("URL must start with http:// or https://, got %r" % url)
    i = rest.find("/")
    hostport, path = (rest, "/") if i < 0 else (rest[:i], rest[i:])
    i = hostport.rfind(":")
    if i > 0 and hostport[i + 1 :].isdigit():
        port = int(hostport[i + 1 :])
        hostport = hostport[:i]
    return secure, hostport, port, path


def fields(headers):
    """{name: value} -> the header block "Name: value\r\n…", built once per client."""
    return "".join(["%s: %s\r\n" % (name, headers[name]) for name in headers])


def head(method, host, port, secure, path, fields, length, keep_alive=False):
    """The request line and headers as one bytes object (the body goes separately,
    so it is never copied); `fields` is a block from fields()."""
    if port != (443 if secure else 80):
        host = "%s:%d" % (host, port)
    return ("%s %s HTTP/1.1\r\nHost: %s\r\n%sUser-Agent: utwilio/0.1\r\n%s%s\r\n" % (
        method, path, host, "" if keep_alive else "Connection: close\r\n", fields,
        "" if length is None else "Content-Length: %d\r\n" % length)).encode()


def readline(f):
    """One line of at most LINE bytes: `readline(n)` takes n bytes of heap before it
    reads, so n stays small. A longer line is read to its end and comes back cut (no
    header we keep is that long); b"" at the end of the stream."""
    line = f.readline(LINE)
    if len(line) < LINE or line[-1] == 10:
        return line
    for _ in range(MAX_HEADERS):
        rest = f.readline(LINE)
        if not rest:
            return line  # no newline: the caller sees a cut-off answer
        if rest[-1] == 10:
            return line[: LINE - 2] + b"\r\n"
    raise fault("long line", LINE * MAX_HEADERS)


def status(line):
    if not line:
        raise fault("empty")
    parts = line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not line.endswith(b"\n"):
        raise fault("not http", line[:40])
    try:
        code = int(parts[1])
    except ValueError:
        raise fault("status line", line[:40])
    if code < 100 or code > 999:
        raise fault("status code", code)
    return code


def header(line, headers):
    """Keeps the header in `line` in `headers` (lower-case name) when its name is in
    KEEP; False at the blank line that ends the headers."""
    if line == b"\r\n" or line == b"\n":
        return False
    if not line.endswith(b"\n"):
        raise fault("cut headers")
    i = line.find(b":")
    if i <= 0:
        raise fault("header", line[:40])
    name = line[:i].strip().lower()
    if name in KEEP:
        headers[name.decode()] = line[i + 1 :].strip().decode()
    return True


def reusable(status_line, headers):
    """May the connection carry another request after this answer?"""
    return (status_line.startswith(b"HTTP/1.1") and
            "close" not in headers.get("connection", "").lower())


def body_length(headers, limit):
    """-> bytes to read, -1 for chunked, None for read-until-close."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        return -1
    n = headers.get("content-length")
    if n is None:
        return None
    if not n.isdigit():
        raise fault("length", n)
    n = int(n)
    too_big(n, limit)
    return n


def chunk_size(line):
    try:
        return int(line.split(b";")[0].strip(), 16)
    except ValueError:
        raise fault("chunk", line[:40])


def too_big(n, limit):
    if n > limit:
        raise fault("too big", (n, limit))


def short(got, want):
    if got < want:
        raise fault("short", (got, want))


def fault(kind, args=None):
    """The TransportError `kind` names: codes and messages live in utwilio.failure,
    loaded only when an answer is bad."""
    try:
        from utwilio.failure import fault
    except MemoryError:
        return TransportError(27, "out of memory")
    return fault(kind, args)


def fail(phase, exc, where):
    """An exception at `phase` -> TransportError with a libcurl-style code (see
    utwilio.failure, loaded only when something failed); `sent` is True when the whole
    request had gone out."""
    if isinstance(exc, TransportError):
        error = exc
    else:
        try:
            from utwilio.failure import classify

            error = classify(phase, exc, where)
        except MemoryError:
            error = TransportError(27, "out of memory talking to %s" % where)
    error.sent = phase == "receive"
    return error
