"""rawhttp.py: HTTP spoken on a raw socket, for the tests that send what no
HTTP client library would (test_raw_http.py, test_zzuf.py)."""
import re
import socket
import time


def endpoint(base):
    """(host, port) of a base URL such as http://127.0.0.1:8080."""
    host, port = base.rsplit("//", 1)[1].split(":")
    return host, int(port)


def complete_responses(data):
    """How many whole responses (head and Content-Length body) data holds."""
    n, pos = 0, 0
    while True:
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            return n
        head = data[pos:end]
        m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
        length = int(m.group(1)) if m else 0
        if len(data) < end + 4 + length:
            return n
        n += 1
        pos = end + 4 + length


def exchange(base, raw, wait, answers=1, half_close=False):
    """Sends raw (then, with half_close, shuts the sending side), reads
    until the server closes, answers whole responses came, or wait passes;
    returns (bytes read, closed?)."""
    s = socket.create_connection(endpoint(base), timeout=wait)
    data, closed = b"", False
    deadline = time.monotonic() + wait
    try:
        try:
            s.sendall(raw)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # refused before it was all sent: fine
        while time.monotonic() < deadline:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            data += chunk
            if complete_responses(data) >= answers:
                break  # answered: no need to wait for the close
    finally:
        s.close()
    return data, closed
