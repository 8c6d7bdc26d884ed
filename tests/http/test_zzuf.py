"""test_zzuf.py: mutation run over recorded requests. A dozen real requests
(sign-up, sign-in, a send with an attachment, history, a held poll, a
profile change, ...) are each mutated by zzuf (random bit flips at a
random ratio, seeded, so a failure names its seed), sent on a raw socket
whose write side is then shut, and the answer read. Every answer is a
status below 500 (or 501/505) or a closed connection within 3 s (or,
for a request whose head or body was cut short, no answer: the server
waits for the rest until its connection timeout, as it should); the
front keeps serving, and (checked when it stops) never crashed.

ZZUF_CASES (default 120) mutations per front, 8 at a time; make zzuf runs ZZUF_CASES=5000.
Skipped where zzuf is not installed (tests/deps.sh installs it).
"""
import base64
import collections
import concurrent.futures
import json
import os
import re
import shutil
import subprocess

import rawhttp

import pytest

from conftest import unique_login

CASES = int(os.environ.get("ZZUF_CASES", "120"))
WAIT = 3


def recorded(api):
    """Real requests of this front, as bytes."""
    a, at = api.register()
    b, bt = api.register()
    chat = api.post("/api/v1/chats", {"type": "direct", "user_id": b["id"]},
                    token=at).j["id"]
    m = api.post(f"/api/v1/chats/{chat}/messages", {"text": "seed"},
                 token=at).j["id"]
    last = api.get("/api/v1/events", token=bt).j["last_id"]

    def req(method, path, token=None, body=None, extra=""):
        data = json.dumps(body).encode() if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        if body is not None:
            head += ("Content-Type: application/json\r\n"
                     f"Content-Length: {len(data)}\r\n")
        return (head + extra + "\r\n").encode() + data

    pixel = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(40)).decode()
    return [
        req("POST", "/api/v1/users", body={"login": unique_login(),
                                           "password": "correct horse",
                                           "phone": "+7 (999) 123-45-67"}),
        req("POST", "/api/v1/sessions", body={"login": a["login"],
                                              "password": "wrong horse"}),
        req("GET", "/api/v1/me", at, extra="X-Request-Id: zz-1\r\n"),
        req("PATCH", "/api/v1/me", bt, {"nick": "Zz", "status": "fuzzed",
                                        "phone": {"area_code": "7",
                                                  "number": "9990001122"}}),
        req("POST", f"/api/v1/chats/{chat}/messages", at,
            {"text": "hello", "client_msg_id": "z1",
             "attachment": {"mime": "image/png", "name": "p.png",
                            "data": pixel}}),
        req("POST", "/api/v1/messages", bt, {"to": {"login": a["login"]},
                                             "text": "yo"}),
        req("GET", f"/api/v1/chats/{chat}/messages?limit=5&before={m + 1}",
            bt),
        req("GET", f"/api/v1/events?after={last}&timeout=1&limit=10", bt),
        req("GET", "/api/v1/users?q=u&limit=3", at),
        req("POST", "/api/v1/chats", at, {"type": "group", "title": "z",
                                          "members": [b["id"]]}),
        req("POST", f"/api/v1/chats/{chat}/read", bt, {"message_id": m}),
        req("GET", "/api/v1/messages?q=hel", at),
        b"POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"lo\"\r\n"
        b"1b\r\n:\"x\",\"password\":\"yyyyyyyy\"}\r\n0\r\n\r\n",
    ]


def exchange(base, raw, answers=1):
    return rawhttp.exchange(base, raw, WAIT, answers, half_close=True)


def incomplete(raw):
    """True if raw is not a whole request: its head does not end, or its
    Content-Length promises more body than follows. A server rightly waits
    for the rest (until its connection timeout) instead of answering."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return True
    if re.search(rb"(?im)^transfer-encoding:[ \t]*chunked[ \t]*\r?$", head):
        return chunked_incomplete(body)
    m = re.search(rb"(?im)^content-length:[ \t]*(\d+)[ \t]*\r?$", head)
    return bool(m) and int(m.group(1)) > len(body)


def chunked_incomplete(body):
    """True if the chunked body ends before its last chunk."""
    pos = 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            return True
        try:
            size = int(body[pos:end].split(b";")[0], 16)
        except ValueError:
            return False  # a bad size: the server should refuse, not wait
        if size == 0:
            return body.find(b"\r\n", end + 2) < 0  # trailers end
        if len(body) < end + 2 + size + 2:
            return True
        pos = end + 2 + size + 2


def one(base, reqs, seed):
    raw = reqs[seed % len(reqs)]
    ratio = [0.001, 0.004, 0.01, 0.03][seed // len(reqs) % 4]
    mutated = subprocess.run(["zzuf", "-r", str(ratio), "-s", str(seed)],
                             input=raw, capture_output=True,
                             check=True).stdout
    data, closed = exchange(base, mutated)
    return seed, ratio, mutated, data, closed


@pytest.mark.skipif(shutil.which("zzuf") is None, reason="no zzuf")
def test_zzuf_mutations(api):
    reqs = recorded(api)
    seen = collections.Counter()
    problems = []
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda s: one(api.base, reqs, s),
                                range(CASES)))
    for seed, ratio, mutated, data, closed in results:
        codes = [int(c) for c in re.findall(rb"HTTP/1\.[01] (\d{3}) ", data)]
        if not codes and not closed:
            if incomplete(mutated):
                seen["waits for the rest"] += 1
                continue
            problems.append(f"seed {seed} ratio {ratio}: no answer in"
                            f" {WAIT}s to {mutated[:200]!r}")
        for c in codes:
            seen[c] += 1
            if c >= 500 and c not in (501, 505):
                problems.append(f"seed {seed} ratio {ratio}: {c} "
                                f"{data[:300]!r}")
        if not codes:
            seen["closed"] += 1
    print(f"zzuf[{api.kind}]: {CASES} mutated requests: {dict(seen)}")
    assert not problems, "\n".join(problems[:20])
    assert api.get("/api/v1/health").status_code == 200
