"""A raw-socket HTTP client that misbehaves on purpose: slow heads, slow bodies, oversized heads.

httpx cannot send half a request and then wait, so these write the bytes themselves.
Each gives up after ``GIVE_UP`` seconds, failing the test instead of hanging it.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlencode

GIVE_UP = 10.0


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=GIVE_UP)


def head(method: str, path: str, query: dict[str, str], *, length: int = 0, extra: str = "") -> bytes:
    """A request line and headers, ending the head; ``length`` declares a body the caller may never send."""
    target = f"{path}?{urlencode(query)}" if query else path
    declared = f"Content-Length: {length}" if length else ""
    lines = [f"{method} {target} HTTP/1.1", "Host: zhibu.test", declared, extra]
    return ("\r\n".join(line for line in lines if line) + "\r\n\r\n").encode()


def trickle(sock: socket.socket, byte: bytes = b"a") -> bytes:
    """Send one byte every 0.1 s until the server closes the connection; what it answered before that."""
    received = b""
    sock.settimeout(0.1)
    deadline = time.monotonic() + GIVE_UP
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            try:
                sock.sendall(byte)
            except OSError:  # closed under our feet
                return received
            continue
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"the connection was still open after {GIVE_UP} s; received {received[:80]!r}")


def oversized_head(port: int, kilobytes: int = 200) -> bytes:
    """Headers a kilobyte at a time until the server answers or closes; its answer."""
    with connect(port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: zhibu.test\r\n")
        for i in range(kilobytes):
            try:
                sock.sendall(f"X-Pad-{i}: {'a' * 1000}\r\n".encode())
                sock.settimeout(0.01)
                answer = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return b""
            sock.settimeout(GIVE_UP)
            return answer
    return b""


def read_response(sock: socket.socket) -> bytes:
    """One whole response (head and Content-Length body), however the server's writes were split."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    top, _, body = data.partition(b"\r\n\r\n")
    headers = top.split(b"\r\n")[1:]
    lengths = [line.split(b":", 1)[1] for line in headers if line.lower().startswith(b"content-length:")]
    while lengths and len(body) < int(lengths[0]):
        chunk = sock.recv(4096)
        if not chunk:
            break
        body += chunk
    return top + b"\r\n\r\n" + body
