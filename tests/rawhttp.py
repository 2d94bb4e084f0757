"""Raw HTTP on loopback sockets for the test servers and proxies that must control
every byte (cut a connection mid-answer, reset it, send garbage)."""

import socket
import struct


def read_message(sock):
    """One HTTP/1.1 message with a Content-Length body (what our client and uvicorn
    send), as raw bytes; None when the peer closes before it is whole."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0]
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(data) - len(head) - 4 < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    return data


def reset(sock):
    """Closes with a TCP RST instead of a FIN: the peer sees 'connection reset'."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
