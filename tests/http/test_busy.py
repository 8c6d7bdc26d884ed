"""test_busy.py: another process holds SQLite's write lock (python's sqlite3
with BEGIN IMMEDIATE on the same file) past the front's busy timeout
(--busy-timeout 300): writes answer 503 unavailable with Retry-After within
the busy timeout and some slack; reads still work; nothing is written by
a refused request; after the lock is released every write succeeds."""
import sqlite3
import threading
import time

from conftest import PASSWORD, Client, expect_error, unique_login

BUSY_MS = 300
SLACK_S = 3.0     # ASan, nginx, a loaded machine


def timed(fn):
    t0 = time.monotonic()
    r = fn()
    return r, time.monotonic() - t0


def test_busy_database(make_front, front_kind):
    c = make_front(front_kind, ["--busy-timeout", str(BUSY_MS),
                                "--register-max", "1000"])
    a, at = c.register(nick="BusyA")
    b, bt = c.register(nick="BusyB")
    chat = c.post("/api/v1/chats", {"type": "direct", "user_id": b["id"]},
                  token=at).j["id"]
    first = c.post(f"/api/v1/chats/{chat}/messages", {"text": "before"},
                   token=at)
    assert first.status_code == 201

    lock = sqlite3.connect(c.front.db, timeout=10, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    try:
        writes = [
            lambda: c.post(f"/api/v1/chats/{chat}/messages",
                           {"text": "while locked", "client_msg_id": "L1"},
                           token=at),
            lambda: c.patch("/api/v1/me", {"status": "locked"}, token=at),
            lambda: c.post("/api/v1/chats", {"type": "group", "title": "g",
                                             "members": [b["id"]]}, token=at),
            lambda: c.post("/api/v1/users", {"login": unique_login(),
                                             "password": PASSWORD}),
        ]
        for w in writes:
            r, took = timed(w)
            expect_error(r, 503, "unavailable")
            assert int(r.headers["Retry-After"]) >= 1
            assert took < BUSY_MS / 1000 + SLACK_S, took
            assert took >= BUSY_MS / 1000 * 0.8, \
                f"answered in {took:.3f}s: did it wait for the lock at all?"
        # reads work while the lock is held
        for path in ("/api/v1/me", f"/api/v1/chats/{chat}",
                     f"/api/v1/chats/{chat}/messages", "/api/v1/chats",
                     f"/api/v1/users/{b['id']}"):
            r, took = timed(lambda: c.get(path, token=bt))
            assert r.status_code == 200, (path, r.text)
            assert took < BUSY_MS / 1000 + SLACK_S
        # a poll answers (its presence write may wait, then is skipped)
        r = c.get("/api/v1/events?timeout=0", token=bt)
        assert r.status_code == 200
        # sign-in reads and hashes, then writes its session: refused whole
        r = c.login(login=a["login"])
        assert r.status_code in (201, 503), r.text
    finally:
        lock.execute("ROLLBACK")
        lock.close()

    # nothing of the refused writes is there
    hist = c.get(f"/api/v1/chats/{chat}/messages", token=bt).j["messages"]
    assert [m["text"] for m in hist] == ["before"]
    assert c.get("/api/v1/me", token=at).j["status"] is None
    # and every write now succeeds, the retried send exactly once
    for w in writes:
        assert w().status_code in (200, 201)
    r = c.post(f"/api/v1/chats/{chat}/messages",
               {"text": "while locked", "client_msg_id": "L1"}, token=at)
    assert r.status_code == 200  # the repeat of the one just sent
    hist = c.get(f"/api/v1/chats/{chat}/messages", token=bt).j["messages"]
    assert [m["text"] for m in hist] == ["before", "while locked"]


def test_busy_then_poll_delivers(make_front, front_kind):
    """A send refused while the lock is held is retried after it: the
    recipient's held poll gets it once."""
    c = make_front(front_kind, ["--busy-timeout", str(BUSY_MS)])
    a, at = c.register()
    b, bt = c.register()
    chat = c.post("/api/v1/chats", {"type": "direct", "user_id": b["id"]},
                  token=at).j["id"]
    last = c.get("/api/v1/events", token=bt).j["last_id"]
    lock = sqlite3.connect(c.front.db, timeout=10, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    r = c.post(f"/api/v1/chats/{chat}/messages",
               {"text": "x", "client_msg_id": "k"}, token=at)
    expect_error(r, 503, "unavailable")
    lock.execute("COMMIT")
    lock.close()
    r = c.post(f"/api/v1/chats/{chat}/messages",
               {"text": "x", "client_msg_id": "k"}, token=at)
    assert r.status_code == 201
    got = []
    while True:
        p = c.get(f"/api/v1/events?after={last}&timeout=1", token=bt).j
        if not p["events"]:
            break
        got += [e["data"]["id"] for e in p["events"]
                if e["type"] == "message.new"]
        last = p["last_id"]
    assert got == [r.j["id"]]


def test_a_send_waiting_for_the_lock_holds_no_thread(make_front, front_kind):
    """While a send waits for the write lock, held by another process, the
    front goes on answering: it runs here with one worker thread, which the
    send must leave free (the request is set aside until its group commit
    ends: api.h's DEFER). Once the lock is let go, the send is stored and
    answered."""
    flags = ["--busy-timeout", "10000", "--threads", "1"]
    c = make_front(front_kind, flags)
    a, at = c.register(nick="WaitA")
    b, bt = c.register(nick="WaitB")
    chat = c.post("/api/v1/chats", {"type": "direct", "user_id": b["id"]},
                  token=at).j["id"]
    sender = Client(c.front)  # requests' sessions are not for two threads
    sent = {}

    def send():
        sent["r"] = sender.post(f"/api/v1/chats/{chat}/messages",
                                {"text": "after the lock"}, token=at)

    lock = sqlite3.connect(c.front.db, timeout=10, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    t = threading.Thread(target=send)
    try:
        t.start()
        time.sleep(0.5)  # the send has reached the committer and waits
        assert t.is_alive(), "the send did not wait for the lock"
        r, took = timed(lambda: c.get("/api/v1/me", token=bt))
        assert r.status_code == 200 and r.j["id"] == b["id"]
        assert took < 1.0, f"GET /me waited {took:.2f} s behind the send"
        assert t.is_alive()
    finally:
        lock.execute("COMMIT")
        lock.close()
        t.join(30)
    assert sent["r"].status_code == 201, sent["r"].text
    page = c.get(f"/api/v1/chats/{chat}/messages", token=bt).j["messages"]
    assert [m["text"] for m in page] == ["after the lock"]
