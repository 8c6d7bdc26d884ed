"""fcgi_client.py: a small FastCGI client (the responder role), to speak to
parley.fcgi's socket without a web server in between: one request per
connection, its body sent in as many pieces as the test wants."""
import socket
import struct

VERSION = 1
BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7
RESPONDER = 1
REQUEST_ID = 1


def _record(rtype, content=b""):
    pad = -len(content) % 8
    return struct.pack(">BBHHBx", VERSION, rtype, REQUEST_ID, len(content),
                       pad) + content + b"\0" * pad


def _length(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def _params(params):
    out = b""
    for name, value in params.items():
        n, v = name.encode(), str(value).encode()
        out += _length(len(n)) + _length(len(v)) + n + v
    return out


class FcgiResponse:
    """status, headers (lower-case names), body, stderr of one answer."""

    def __init__(self, stdout, stderr):
        head, sep, self.body = stdout.partition(b"\r\n\r\n")
        assert sep, f"no end of the header block: {stdout[:300]!r}"
        self.headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.status = int(self.headers.get("status", "200").split()[0])
        self.stderr = stderr


class FcgiRequest:
    """One request on a new connection to address (a unix socket path or a
    (host, port) pair). begin() sends the parameters; body() sends a piece
    of the body (b"" ends it); response() reads the whole answer."""

    def __init__(self, address, timeout=30):
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(address)

    def begin(self, params):
        self.sock.sendall(
            _record(BEGIN_REQUEST, struct.pack(">HB5x", RESPONDER, 0)) +
            _record(PARAMS, _params(params)) + _record(PARAMS))

    def body(self, data):
        for i in range(0, len(data), 65535):
            self.sock.sendall(_record(STDIN, data[i:i + 65535]))
        if not data:
            self.sock.sendall(_record(STDIN))

    def response(self):
        buf, out, err = b"", b"", b""
        while True:
            while len(buf) < 8:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError(f"closed before END_REQUEST "
                                          f"({len(out)} bytes of stdout)")
                buf += chunk
            _, rtype, _, clen, plen = struct.unpack(">BBHHBx", buf[:8])
            while len(buf) < 8 + clen + plen:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed inside a record")
                buf += chunk
            content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
            if rtype == STDOUT:
                out += content
            elif rtype == STDERR:
                err += content
            elif rtype == END_REQUEST:
                self.sock.close()
                return FcgiResponse(out, err)

    def close(self):
        self.sock.close()


def request(address, method, uri, body=b"", headers=None, peer="127.0.0.1",
            timeout=30):
    """One whole request; returns its FcgiResponse."""
    params = {"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": method,
              "REQUEST_URI": uri, "QUERY_STRING": uri.partition("?")[2],
              "REMOTE_ADDR": peer, "SERVER_PROTOCOL": "HTTP/1.1",
              "CONTENT_LENGTH": str(len(body))}
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        params[key] = value
    r = FcgiRequest(address, timeout)
    r.begin(params)
    if body:
        r.body(body)
    r.body(b"")
    return r.response()
