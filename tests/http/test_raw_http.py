"""test_raw_http.py: malformed HTTP on raw sockets, against parleyd and
against nginx in front of parley.fcgi: oversized and countless headers,
bad Content-Length values, Content-Length with Transfer-Encoding
(smuggling shapes), bad chunk sizes, bare LF, NUL in the request line, a
very long URI, HTTP/0.9, the HTTP/2 preface, binary junk, and a slowloris
client. The server answers a 4xx (or 501/505 for what it does not speak)
or closes; it never answers 500/502/503/504, never hangs, and serves
everyone else meanwhile and afterwards. (A crash would also show as a
sanitizer report or a bad exit status when the front stops.)
"""
import re
import socket
import threading
import time

import pytest
import requests

import rawhttp
from rawhttp import endpoint

MAX_WAIT = 10          # seconds one malformed request may take to end


def exchange(base, raw, wait=MAX_WAIT, answers=1):
    return rawhttp.exchange(base, raw, wait, answers)


def statuses(data):
    """The status codes of the responses in data."""
    return [int(m) for m in re.findall(rb"HTTP/1\.[01] (\d{3}) ", data)]


def healthy(base):
    s = requests.Session()
    s.trust_env = False
    try:
        return s.get(base + "/api/v1/health", timeout=5).status_code == 200
    finally:
        s.close()


H = b"Host: localhost\r\n"
BIG = 100 * 1024

CASES = {
    "header-100KiB": b"GET /api/v1/health HTTP/1.1\r\n" + H +
    b"X-Big: " + b"a" * BIG + b"\r\nConnection: close\r\n\r\n",
    "headers-5000": b"GET /api/v1/health HTTP/1.1\r\n" + H +
    b"".join(b"X-H%d: v\r\n" % i for i in range(5000)) +
    b"Connection: close\r\n\r\n",
    "cl-negative": b"POST /api/v1/sessions HTTP/1.1\r\n" + H +
    b"Content-Length: -1\r\nConnection: close\r\n\r\n{}",
    "cl-huge": b"POST /api/v1/sessions HTTP/1.1\r\n" + H +
    b"Content-Length: 99999999999999999999999\r\nConnection: close\r\n\r\n{}",
    "cl-2^64": b"POST /api/v1/sessions HTTP/1.1\r\n" + H +
    b"Content-Length: 18446744073709551616\r\nConnection: close\r\n\r\n{}",
    "cl-text": b"POST /api/v1/sessions HTTP/1.1\r\n" + H +
    b"Content-Length: abc\r\nConnection: close\r\n\r\n{}",
    "cl-twice": b"POST /api/v1/sessions HTTP/1.1\r\n" + H +
    b"Content-Length: 2\r\nContent-Length: 40\r\nConnection: close\r\n\r\n{}",
    "cl-and-te": b"POST /api/v1/sessions HTTP/1.1\r\n" + H +
    b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"
    b"Connection: close\r\n\r\n0\r\n\r\nGET /api/v1/me HTTP/1.1\r\n" + H +
    b"\r\n",
    "te-and-cl": b"POST /api/v1/sessions HTTP/1.1\r\n" + H +
    b"Transfer-Encoding: chunked\r\nContent-Length: 60\r\n"
    b"Connection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "te-obfuscated": b"POST /api/v1/sessions HTTP/1.1\r\n" + H +
    b"Transfer-Encoding: xchunked\r\nContent-Length: 2\r\n"
    b"Connection: close\r\n\r\n{}",
    "te-twice": b"POST /api/v1/sessions HTTP/1.1\r\n" + H +
    b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n"
    b"Connection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "chunk-size-junk": b"POST /api/v1/sessions HTTP/1.1\r\n" + H +
    b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "chunk-size-huge": b"POST /api/v1/sessions HTTP/1.1\r\n" + H +
    b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    b"ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
    "chunk-size-negative": b"POST /api/v1/sessions HTTP/1.1\r\n" + H +
    b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n-2\r\n{}\r\n0\r\n\r\n",
    "bare-lf": b"GET /api/v1/health HTTP/1.1\n" + b"Host: localhost\n"
    b"Connection: close\n\n",
    "nul-in-line": b"GET /api/v1/he\x00alth HTTP/1.1\r\n" + H +
    b"Connection: close\r\n\r\n",
    "nul-in-header": b"GET /api/v1/health HTTP/1.1\r\n" + H +
    b"X-A: b\x00c\r\nConnection: close\r\n\r\n",
    "uri-100KiB": b"GET /api/v1/health?" + b"a" * BIG + b" HTTP/1.1\r\n" +
    H + b"Connection: close\r\n\r\n",
    "path-100KiB": b"GET /api/v1/" + b"a" * BIG + b" HTTP/1.1\r\n" + H +
    b"Connection: close\r\n\r\n",
    "http-0.9": b"GET /api/v1/health\r\n\r\n",
    "http-2-preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00" * 64,
    "http-9.9": b"GET /api/v1/health HTTP/9.9\r\n" + H +
    b"Connection: close\r\n\r\n",
    "bad-method": b"G\x01T /api/v1/health HTTP/1.1\r\n" + H +
    b"Connection: close\r\n\r\n",
    "no-host-1.1": b"GET /api/v1/health HTTP/1.1\r\nConnection: close\r\n\r\n",
    "junk": bytes(range(256)) * 64,
    "header-no-colon": b"GET /api/v1/health HTTP/1.1\r\n" + H +
    b"NoColonHere\r\nConnection: close\r\n\r\n",
    "header-folding": b"GET /api/v1/health HTTP/1.1\r\n" + H +
    b"X-A: a\r\n  folded\r\nConnection: close\r\n\r\n",
    "absolute-uri": b"GET http://evil.example/api/v1/health HTTP/1.1\r\n" + H +
    b"Connection: close\r\n\r\n",
    "percent-junk": b"GET /api/v1/users/%00%ff%2e%2e HTTP/1.1\r\n" + H +
    b"Connection: close\r\n\r\n",
    "dot-dot": b"GET /../../../../etc/passwd HTTP/1.1\r\n" + H +
    b"Connection: close\r\n\r\n",
}


def front_base(request, kind):
    return request.getfixturevalue(f"front_{kind}").base


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_request(request, front_kind, case):
    base = front_base(request, front_kind)
    started = time.monotonic()
    # a smuggled second request would get a second answer: wait for it
    data, closed = exchange(base, CASES[case],
                            answers=2 if case == "cl-and-te" else 1)
    took = time.monotonic() - started
    codes = statuses(data)
    assert closed or codes, f"{case}: no answer and not closed in {took:.1f}s"
    for c in codes:
        assert c < 500 or c in (501, 505), \
            f"{case}: {c}\n{data[:600]!r}"
    assert healthy(base), f"{case}: the server stopped answering"
    if case == "dot-dot":
        assert b"root:" not in data
    if case.startswith("cl-and-te"):
        # The smuggled GET /me (no token) is never answered as if it had
        # been authenticated.
        assert not any(c == 200 for c in codes[1:]), data[:600]


def test_slowloris_does_not_block_others(request, front_kind):
    """One client sends its headers a byte every 0.2 s (its connection is
    closed at parleyd's timeout, 30 s, or nginx's; the test stops after
    about 3.5 s); meanwhile others are served at once."""
    base = front_base(request, front_kind)
    stop = threading.Event()
    sent = []

    def loris():
        s = socket.create_connection(endpoint(base), timeout=5)
        raw = b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: " \
            + b"a" * 1000
        try:
            for b in raw:
                if stop.is_set():
                    break
                s.sendall(bytes([b]))
                sent.append(1)
                time.sleep(0.2)
        except OSError:
            pass  # the server closed it: fine
        finally:
            s.close()

    lorises = [threading.Thread(target=loris) for _ in range(20)]
    for t in lorises:
        t.start()
    try:
        time.sleep(1)
        worst = 0.0
        for _ in range(12):
            t0 = time.monotonic()
            assert healthy(base)
            worst = max(worst, time.monotonic() - t0)
            time.sleep(0.2)
        assert worst < 2.0, f"a request took {worst:.2f}s beside the lorises"
        assert sent, "the slow clients sent nothing"
    finally:
        stop.set()
        for t in lorises:
            t.join()
    assert healthy(base)


def test_pipelined_requests_answered_in_order(request, front_kind):
    """Three requests in one write, on one connection: three answers."""
    base = front_base(request, front_kind)
    one = b"GET /api/v1/ping HTTP/1.1\r\n" + H + b"\r\n"
    last = b"GET /api/v1/health HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n"
    data, closed = exchange(base, one + one + last, answers=3)
    assert statuses(data) == [200, 200, 200], data[:600]


def test_ordinary_request_heads_fit(request, front_kind):
    """A browser's request head with a 1.5 KiB cookie (2.3 KiB in all) is
    served on both fronts: parleyd's --head-memory (6 KiB by default,
    which is also what each held poll costs) takes heads up to about
    2.8 KiB. A head far past it is refused, never served half."""
    base = front_base(request, front_kind)
    browser = {
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"
        " (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
        "Accept": "application/json, text/plain, */*",
        "Accept-Language": "en-GB,en;q=0.9,de;q=0.8,fr;q=0.7",
        "Accept-Encoding": "gzip, deflate, br, zstd",
        "Referer": base + "/index.html?from=" + "x" * 200,
        "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors",
        "Sec-Fetch-Dest": "empty",
        "sec-ch-ua": '"Chromium";v="156", "Not-A.Brand";v="24"',
        "Authorization": "Bearer " + "t" * 43,
        "Cookie": "; ".join(f"c{i}={'v' * 90}" for i in range(16)),
    }
    s = requests.Session()
    s.trust_env = False
    try:
        r = s.get(base + "/api/v1/health", headers=browser, timeout=10)
        assert r.status_code == 200, r.text
        assert len("".join(k + v for k, v in browser.items())) > 2100
        r = s.get(base + "/api/v1/health", timeout=10,
                  headers={"Cookie": "c=" + "v" * (64 * 1024)})
        assert r.status_code in (400, 413, 431, 494)
    finally:
        s.close()
    assert healthy(base)
