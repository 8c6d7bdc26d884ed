"""10,000 connections opened and dropped, a third of them in the middle of
a request head and a third in the middle of a body: the server keeps
serving, and its descriptors come back to where they were. Both fronts
(behind nginx, the half requests stop at nginx; what reaches parley.fcgi is
measured all the same).

parleyd holds a connection dropped in the middle of a request until its
connection timeout (HTTPD_CONNECTION_TIMEOUT_S, 30 s): libmicrohttpd does
not notice the close while it waits for the rest of the request. So the
descriptors are awaited for that long. Leaks are LeakSanitizer's to find
when the sanitizer build's server stops; the plain build bounds the growth
of memory."""
import os
import socket
import time

from conftest import BUILD_NAME
from rawhttp import endpoint

CONNECTIONS = 10000
CONNECTION_TIMEOUT_S = 30  # httpd's HTTPD_CONNECTION_TIMEOUT_S


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_ten_thousand_connections_opened_and_dropped(front_kind, make_front):
    api = make_front(front_kind)
    pid = api.front.procs[0].popen.pid  # parleyd, or parley.fcgi
    assert api.get("/api/v1/health").status_code == 200
    fds0, rss0 = fds(pid), rss_kib(pid)
    host, port = endpoint(api.base)
    for i in range(CONNECTIONS):
        s = socket.create_connection((host, port))
        try:
            if i % 3 == 1:
                s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
            elif i % 3 == 2:
                s.sendall(b"POST /api/v1/users HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: application/json\r\n"
                          b"Content-Length: 100\r\n\r\n{\"login\":")
        except OSError:
            pass
        s.close()
    assert api.get("/api/v1/health").status_code == 200
    deadline = time.monotonic() + CONNECTION_TIMEOUT_S + 10
    while fds(pid) > fds0 + 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    print(f"\n{front_kind}: fds {fds0} -> {fds(pid)}, "
          f"RSS {rss0} -> {rss_kib(pid)} KiB after {CONNECTIONS} dropped")
    assert fds(pid) <= fds0 + 2, "descriptors left open"
    if not BUILD_NAME.endswith("san"):  # ASan keeps freed memory aside
        assert rss_kib(pid) - rss0 < 64 * 1024, "memory grew"
