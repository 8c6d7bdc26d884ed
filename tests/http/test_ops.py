"""test_ops.py: operating a running parley: parley-admin stats, parley-admin
backup while a writer sends messages, and GET /api/v1/metrics (its format,
its numbers, who may read it)."""
import os
import re
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import binary, expect_error, sanitizer_report, server_env
from fcgi_client import request as fcgi_request
from helpers_chat import b64, cursor, direct, poll, send
from helpers_ops import METRICS_TYPE, parse_metrics, scrape, value
from test_admin import admin, migrated


def stats(db):
    out = admin(db, "stats")
    pairs = [line.split(" ") for line in out.splitlines()]
    assert all(len(p) == 2 and re.fullmatch(r"\d+", p[1]) for p in pairs), out
    got = {k: int(v) for k, v in pairs}
    assert list(got) == ["users", "chats", "messages", "events", "bytes"], out
    return got


def test_stats(tmp_path, make_front, front_kind):
    db, _ = migrated(tmp_path)
    assert stats(db)["users"] == 0
    c = make_front(front_kind, db=db)
    a, ta = c.register()
    b, tb = c.register()
    chat = direct(c, ta, b["id"])
    for i in range(3):
        send(c, ta, chat, f"counted {i}")
    got = stats(db)
    with sqlite3.connect(db) as s:
        n_events = s.execute("SELECT count(*) FROM events").fetchone()[0]
        pages = s.execute("PRAGMA page_count").fetchone()[0]
        size = s.execute("PRAGMA page_size").fetchone()[0]
    assert (got["users"], got["chats"], got["messages"]) == (2, 1, 3), got
    assert got["events"] == n_events and n_events >= 6, got
    assert got["bytes"] == pages * size and got["bytes"] > 0, got


def test_backup_under_write_load(tmp_path, make_front):
    """A writer sends messages without pause while three backups run; each
    copy passes integrity_check and holds every message acknowledged
    before its backup began. The database is made large enough (8,192
    pages) that a copy in steps, which starts over whenever another
    process writes between two steps, would not end."""
    db, _ = migrated(tmp_path)
    with sqlite3.connect(db) as s:  # 32 MiB of ballast: 8,192 pages
        s.execute("CREATE TABLE ballast (b BLOB)")
        s.executemany("INSERT INTO ballast VALUES (zeroblob(1048576))",
                      [()] * 32)
    c = make_front("parleyd", ["--send-rate", "0"], db=db)
    a, ta = c.register()
    b, tb = c.register()
    chat = direct(c, ta, b["id"])
    acked = []
    failures = []
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            r = c.post(f"/api/v1/chats/{chat}/messages", {"text": f"w{i}"},
                       token=ta, check=False)
            if r.status_code == 201:
                acked.append(r.json()["id"])
            else:
                failures.append((r.status_code, r.text[:200]))
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        for k in range(3):
            time.sleep(0.2)
            before = max(acked) if acked else 0
            n_before = len(acked)
            copy = str(tmp_path / f"backup{k}.db")
            t0 = time.monotonic()
            admin(db, "backup", copy)
            took = time.monotonic() - t0
            during = len(acked) - n_before
            with sqlite3.connect(copy) as s:
                assert s.execute("PRAGMA integrity_check").fetchone()[0] \
                    == "ok"
                have = s.execute("SELECT max(id) FROM messages").fetchone()[0]
            assert have >= before, (have, before)
            print(f"\nbackup {k}: {took * 1000:.0f} ms, {during} messages"
                  " acknowledged meanwhile")
            assert took < 10, took
    finally:
        stop.set()
        t.join(30)
    assert not failures, failures[:3]
    assert len(acked) >= 10, "the writer hardly wrote"


# --- metrics ---------------------------------------------------------------

def test_metrics_format_and_numbers(front_kind, make_front):
    c = make_front(front_kind)
    a, ta = c.register()
    b, tb = c.register()
    chat = direct(c, ta, b["id"])
    r, before, types = scrape(c.base)
    assert r.status_code == 200, r.text
    assert types == {"parley_info": "gauge",
                     "parley_requests_total": "counter",
                     "parley_polls_held": "gauge",
                     "parley_delivery_seconds": "histogram"}, types
    assert value(before, "parley_polls_held") == 0
    assert value(before, "parley_requests_total", status="201") >= 3

    # one poll held, then woken by a send
    after = cursor(c, tb)
    got = {}
    t = threading.Thread(target=lambda: got.update(
        ev=poll(c, tb, after, timeout=10)))
    t.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        _, now, _ = scrape(c.base)
        if value(now, "parley_polls_held") == 1:
            break
        time.sleep(0.02)
    assert value(now, "parley_polls_held") == 1, now
    send(c, ta, chat, "measured")
    t.join(15)
    assert [e["type"] for e in got["ev"][0]] == ["message.new"], got

    _, s, _ = scrape(c.base)
    assert value(s, "parley_polls_held") == 0
    assert value(s, "parley_info", version="0.1.0") == 1
    # requests by status: the send (201) and the poll (200) are counted
    assert value(s, "parley_requests_total", status="201") == \
        value(before, "parley_requests_total", status="201") + 1
    assert value(s, "parley_requests_total", status="200") > \
        value(before, "parley_requests_total", status="200")
    # the histogram: cumulative buckets, +Inf equals _count, one delivery
    # more than before, and it was quick
    buckets = sorted(((float(dict(lab)["le"]), v) for (n, lab), v in s.items()
                      if n == "parley_delivery_seconds_bucket"))
    assert buckets[-1][0] == float("inf")
    assert [le for le, _ in buckets][:3] == [0.001, 0.005, 0.01], buckets
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), buckets
    count = value(s, "parley_delivery_seconds_count")
    assert counts[-1] == count == \
        value(before, "parley_delivery_seconds_count") + 1
    assert value(s, "parley_delivery_seconds_bucket", le="1") == count
    assert 0 <= value(s, "parley_delivery_seconds_sum") < 1
    # a scrape is plain text, not a JSON answer, but still carries the
    # request id and nosniff
    assert r.headers["Content-Type"] == METRICS_TYPE
    assert r.headers["X-Request-Id"]


def test_metrics_parser_refuses_garbage():
    """The format check is strict enough to catch a broken exposition."""
    parse_metrics("# TYPE x counter\nx 1\n")
    for bad in ["x 1\n", "# TYPE x counter\nx one\n",
                "# TYPE x counter\nx{a=b} 1\n", "# TYPE x counter\nx 1"]:
        with pytest.raises(AssertionError):
            parse_metrics(bad)


def test_metrics_access(tmp_path, make_front):
    """--metrics off: 404; loopback (the default): 403 to other peers, as
    parley.fcgi sees them in REMOTE_ADDR; on: anyone."""
    c = make_front("parleyd", ["--metrics", "off"])
    expect_error(c.get("/api/v1/metrics"), 404, "not_found")
    c = make_front("parleyd", ["--metrics", "on"])
    assert c.get("/api/v1/metrics", check=False).status_code == 200

    db = str(tmp_path / "m.db")
    for setting, peer, status in [("loopback", "192.0.2.7", 403),
                                  ("loopback", "127.0.0.1", 200),
                                  ("loopback", "::1", 200),
                                  ("on", "192.0.2.7", 200),
                                  ("off", "127.0.0.1", 404)]:
        env = dict(server_env(), GATEWAY_INTERFACE="CGI/1.1",
                   REQUEST_METHOD="GET", REQUEST_URI="/api/v1/metrics",
                   QUERY_STRING="", REMOTE_ADDR=peer)
        proc = subprocess.run([binary("parley.fcgi"), "--db", db,
                               "--metrics", setting], env=env,
                              capture_output=True, timeout=60)
        err = proc.stderr.decode("utf-8", "replace")
        assert proc.returncode == 0 and not sanitizer_report(err), err
        head = proc.stdout.split(b"\r\n\r\n", 1)[0].decode()
        assert head.startswith(f"Status: {status} "), (setting, peer, head)

    proc = subprocess.run([binary("parley.fcgi"), "--metrics", "maybe"],
                          env=server_env(), capture_output=True, timeout=60)
    assert proc.returncode == 2 and b"--metrics" in proc.stderr


def test_metrics_over_fastcgi(make_front):
    """Behind nginx, REMOTE_ADDR is the client's own address, not nginx's:
    a client elsewhere is refused, one on the machine itself is served."""
    c = make_front("fcgi")
    r = c.get("/api/v1/metrics", check=False)
    assert r.status_code == 200 and r.headers["Content-Type"] == METRICS_TYPE
    sock = os.path.join(c.front.tmp, "fcgi.sock")
    r = fcgi_request(sock, "GET", "/api/v1/metrics", peer="192.0.2.7",
                     headers={"X-Request-Id": "m-1"})
    assert r.status == 403, r.body[:300]
    assert b'"forbidden"' in r.body and r.headers["x-request-id"] == "m-1"
    r = fcgi_request(sock, "GET", "/api/v1/metrics", peer="127.0.0.1")
    assert r.status == 200 and r.headers["content-type"] == METRICS_TYPE
    parse_metrics(r.body.decode())
