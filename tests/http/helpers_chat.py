"""helpers_chat.py: small steps the chat, message and event tests share."""
import base64
import time


def direct(api, token, other_id):
    """The direct chat of the caller and other_id; returns its id."""
    r = api.post("/api/v1/chats", {"type": "direct", "user_id": other_id},
                 token=token)
    assert r.status_code in (200, 201), r.text
    return r.j["id"]


def send(api, token, chat, text, **extra):
    """Sends text into chat; returns the Message."""
    r = api.post(f"/api/v1/chats/{chat}/messages", dict(extra, text=text),
                 token=token)
    assert r.status_code == 201, r.text
    return r.j


def cursor(api, token):
    """The current last_id of the caller's queue."""
    r = api.get("/api/v1/events", token=token)
    assert r.status_code == 200, r.text
    return r.j["last_id"]


def settled_cursor(api, token, quiet=0.2, timeout=5.0):
    """cursor(), once it has not moved for quiet seconds: the writes a
    request leaves to the group committer after its answer are done."""
    last, deadline = cursor(api, token), time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = cursor(api, token)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the cursor still moves after {timeout} s")


def poll(api, token, after, timeout=0, limit=None, **kw):
    """One poll; returns (events, last_id)."""
    q = f"/api/v1/events?after={after}&timeout={timeout}"
    if limit:
        q += f"&limit={limit}"
    r = api.get(q, token=token, **kw)
    assert r.status_code == 200, r.text
    return r.j["events"], r.j["last_id"]


def drain(api, token, after, wait_for=None, timeout=5.0):
    """Polls until an event of type wait_for arrives (or, without one, until
    a poll comes back empty); returns (events, last_id)."""
    got = []
    deadline = time.monotonic() + timeout
    while True:
        events, after = poll(api, token, after,
                             timeout=1 if wait_for else 0)
        got += events
        if wait_for is None and not events:
            return got, after
        if wait_for is not None and any(e["type"] == wait_for for e in got):
            return got, after
        if time.monotonic() > deadline:
            return got, after


def of_type(events, kind):
    return [e["data"] for e in events if e["type"] == kind]


def b64(data):
    return base64.b64encode(data).decode()
