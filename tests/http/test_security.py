"""test_security.py: no one gets in.

- The authorization matrix: every endpoint that takes an id, called by an
  outsider on another user's chat, message, attachment or user: 403 or
  404, with no field of the foreign object in the answer, nothing
  changed, and not one of the chat's events in the outsider's queue.
- Secrets: no token or password in clear in the database files (main and
  -wal) or in any log; argon2id at m >= 19456 KiB, t >= 2; sign-in with an
  unknown login takes as long as with a wrong password (medians within
  30 %).
- Sign-out and a password change (parley-admin user passwd) end the
  sessions at once, a poll held at that moment included (401 within a
  second, not at its timeout).
- Limits: failed sign-ins lock out until the window ends, then sign-in
  works; registrations per address; sends per user per minute
  (--send-rate, 429 with Retry-After); polls held at once per user
  (--max-polls-per-user, 429 for one more); attachment and page sizes.
- Headers: JSON with charset, nosniff, attachments never HTML/SVG inline,
  no Access-Control-* header by default (CORS off).
"""
import base64
import glob
import os
import re
import statistics
import subprocess
import threading
import time

import pytest

from conftest import (BUILD, PASSWORD, ROOT, binary, expect_error,
                      unique_login, unique_phone)

SECRET_TEXT = "the-secret-text-%s"


def foreign_world(c):
    """alice and bob share a direct chat and a group with a message with
    an attachment; eve shares nothing with them."""
    a, at = c.register(login=unique_login("alice"), phone=unique_phone(),
                       email="alice@example.org", nick="Alice")
    b, bt = c.register(nick="Bob")
    e, et = c.register(nick="Eve")
    secret = SECRET_TEXT % unique_login()
    d = c.post("/api/v1/chats", {"type": "direct", "user_id": b["id"]},
               token=at).j
    g = c.post("/api/v1/chats", {"type": "group", "title": "Secret plans",
                                 "members": [b["id"]]}, token=at).j
    m = c.post(f"/api/v1/chats/{g['id']}/messages", {
        "text": secret, "attachment": {
            "mime": "text/plain", "name": "plans.txt",
            "data": base64.b64encode(b"attachment " + secret.encode())
            .decode()}}, token=at).j
    return dict(a=a, at=at, b=b, bt=bt, e=e, et=et, d=d, g=g, m=m,
                secret=secret)


def leaks(text, w):
    """The things of alice's that must not appear in an answer to eve."""
    found = []
    for what in (w["secret"], "Secret plans", "plans.txt", w["a"]["phone"],
                 "alice@example.org", "attachment " + w["secret"]):
        if what and what in text:
            found.append(what)
    return found


def test_authorization_matrix(api):
    w = foreign_world(api)
    et, g, d, m = w["et"], w["g"]["id"], w["d"]["id"], w["m"]["id"]
    att = w["m"]["attachment"]["id"]
    last = api.get("/api/v1/events", token=et).j["last_id"]
    calls = []
    for chat in (g, d):
        calls += [
            ("GET", f"/api/v1/chats/{chat}", None),
            ("POST", f"/api/v1/chats/{chat}/members", {"user_id": w["e"]["id"]}),
            ("DELETE", f"/api/v1/chats/{chat}/members/{w['b']['id']}", None),
            ("DELETE", f"/api/v1/chats/{chat}/members/me", None),
            ("GET", f"/api/v1/chats/{chat}/messages", None),
            ("GET", f"/api/v1/chats/{chat}/messages?before={m + 1}", None),
            ("POST", f"/api/v1/chats/{chat}/messages", {"text": "hi"}),
            ("POST", f"/api/v1/chats/{chat}/read", {"message_id": m}),
            ("POST", f"/api/v1/chats/{chat}/typing", None),
        ]
    calls += [
        ("PATCH", f"/api/v1/messages/{m}", {"text": "pwned"}),
        ("DELETE", f"/api/v1/messages/{m}", None),
        ("GET", f"/api/v1/attachments/{att}", None),
    ]
    problems = []
    for method, path, body in calls:
        kw = {} if body is None else {"json_body": body}
        r = api.request(method, path, token=et, **kw)
        if r.status_code not in (403, 404):
            problems.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
        elif leaks(r.text, w) or leaks(str(dict(r.headers)), w):
            problems.append(f"{method} {path} leaks {leaks(r.text, w)}")
    # a member who is not the sender may not edit or delete
    for method, body in (("PATCH", {"text": "bob was here"}),
                         ("DELETE", None)):
        kw = {} if body is None else {"json_body": body}
        r = api.request(method, f"/api/v1/messages/{m}", token=w["bt"], **kw)
        if r.status_code not in (403, 404):
            problems.append(f"bob {method} message: {r.status_code}")
    # search, the chat list and the user directory show eve nothing of it
    for path in (f"/api/v1/messages?q={w['secret']}",
                 f"/api/v1/messages?q=secret&chat_id={g}",
                 "/api/v1/chats", f"/api/v1/users/{w['a']['id']}",
                 f"/api/v1/users?login={w['a']['login']}",
                 f"/api/v1/users?phone={w['a']['phone'].replace('+', '%2B')}"):
        r = api.get(path, token=et)
        if r.status_code >= 500 or leaks(r.text, w):
            problems.append(f"GET {path}: {r.status_code} leaks "
                            f"{leaks(r.text, w)}")
    assert not problems, "\n".join(problems)
    # nothing changed
    r = api.get(f"/api/v1/chats/{g}", token=w["at"]).j
    assert sorted(r["members"]) == sorted([w["a"]["id"], w["b"]["id"]])
    hist = api.get(f"/api/v1/chats/{g}/messages", token=w["bt"]).j["messages"]
    assert [x["text"] for x in hist] == [w["secret"]]
    # alice's and bob's further doings reach eve not at all
    api.post(f"/api/v1/chats/{g}/messages", {"text": w["secret"] + "2"},
             token=w["bt"])
    api.post(f"/api/v1/chats/{g}/typing", token=w["at"])
    api.patch("/api/v1/me", {"status": "seen by contacts only"},
              token=w["at"])
    r = api.get(f"/api/v1/events?after={last}&timeout=1&limit=500", token=et)
    assert r.status_code == 200
    for ev in r.j["events"]:
        assert ev["type"] in ("presence",) or \
            ev["data"].get("chat_id") not in (g, d), ev
        assert not leaks(str(ev), w), ev


# --- secrets -------------------------------------------------------------

def test_no_secret_in_clear(make_front, front_kind):
    """Tokens and passwords never reach the database files or the logs."""
    c = make_front(front_kind)
    password = "pw-" + unique_login() + "-ok"
    a, at = c.register(password=password, nick="S")
    b, bt = c.register(password=password + "2", nick="T")
    tokens = [at, bt]
    r = c.login(login=a["login"], password=password)
    tokens.append(r.j["token"])
    c.login(login=a["login"], password=password + "-wrong")
    chat = c.post("/api/v1/chats", {"type": "direct", "user_id": b["id"]},
                  token=at).j["id"]
    c.post(f"/api/v1/chats/{chat}/messages", {"text": "x"}, token=tokens[2])
    c.get("/api/v1/events?timeout=0", token=bt)
    c.get("/api/v1/me", headers={"authToken": at})
    c.delete("/api/v1/sessions/current", token=tokens[2])
    files = [c.front.db, c.front.db + "-wal", c.front.db + "-shm"]
    files += glob.glob(os.path.join(c.front.tmp, "*.log"))
    files += [p.log for p in c.front.procs]
    secrets = tokens + [password, password + "2", password + "-wrong"]
    found = []
    for path in files:
        if not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            raw = f.read()
        for s in secrets:
            for form in (s.encode(), s.encode("utf-16-le")):
                if form in raw:
                    found.append(f"{s[:8]}... in {path}")
    assert not found, found


def test_password_hash_parameters(make_front, front_kind):
    import sqlite3
    c = make_front(front_kind)
    c.register()
    db = sqlite3.connect(c.front.db)
    try:
        hashes = [h for (h,) in db.execute(
            "SELECT password_hash FROM users WHERE password_hash IS NOT NULL")]
    finally:
        db.close()
    assert hashes
    for h in hashes:
        m = re.match(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", h)
        assert m, h[:40]
        assert int(m.group(1)) >= 19456 and int(m.group(2)) >= 2, h[:40]


def test_login_timing_unknown_vs_wrong(make_front, front_kind):
    """An unknown login and a wrong password cost the same: medians of 15
    tries each, interleaved, within 30 % of each other."""
    c = make_front(front_kind, ["--login-max-failures", "100000"])
    a, _ = c.register()
    unknown, wrong = [], []
    for i in range(15):
        for login, out in ((a["login"], wrong),
                           (unique_login("nobody"), unknown)):
            t0 = time.monotonic()
            r = c.login(login=login, password="not the password")
            out.append(time.monotonic() - t0)
            assert r.status_code == 401
    mu, mw = statistics.median(unknown), statistics.median(wrong)
    assert abs(mu - mw) / max(mu, mw) < 0.30, (mu, mw)


# --- sessions end at once -------------------------------------------------

def held_poll(c, token, result):
    last = c.get("/api/v1/events", token=token).j["last_id"]
    t0 = time.monotonic()
    r = c.get(f"/api/v1/events?after={last}&timeout=20", token=token)
    result.append((r.status_code, time.monotonic() - t0, r))


def test_logout_ends_held_poll(make_front, front_kind):
    c = make_front(front_kind)
    a, at = c.register()
    result = []
    t = threading.Thread(target=held_poll, args=(c, at, result))
    t.start()
    time.sleep(1.0)  # the poll is held
    t0 = time.monotonic()
    assert c.delete("/api/v1/sessions/current", token=at).status_code == 204
    t.join(25)
    status, took, r = result[0]
    expect_error(r, 401, "invalid_token")
    assert took - 1.0 < 3.0, f"the held poll ended after {took:.1f}s"
    assert time.monotonic() - t0 < 3.0
    expect_error(c.get("/api/v1/me", token=at), 401, "invalid_token")


def test_passwd_ends_sessions_and_held_poll(make_front, front_kind):
    c = make_front(front_kind)
    a, at = c.register()
    other = c.login(login=a["login"]).j["token"]
    result = []
    t = threading.Thread(target=held_poll, args=(c, at, result))
    t.start()
    time.sleep(1.0)
    t0 = time.monotonic()
    p = subprocess.run([binary("parley-admin"), "--db", c.front.db, "user",
                        "passwd", a["login"]], input="a new password 1\n",
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    t.join(25)
    status, took, r = result[0]
    expect_error(r, 401, "invalid_token")
    assert time.monotonic() - t0 < 3.0 + 2.0, "the held poll lived on"
    for tok in (at, other):
        expect_error(c.get("/api/v1/me", token=tok), 401, "invalid_token")
    assert c.login(login=a["login"]).status_code == 401
    assert c.login(login=a["login"], password="a new password 1"
                   ).status_code == 201


def test_logout_on_one_front_ends_the_token_on_the_other(make_front):
    # Each process keeps the tokens it checked (db/sessions.c); a logout
    # through one front must end the token in the other at once.
    a = make_front("parleyd")
    b = make_front("fcgi", db=a.front.db)
    user, token = a.register()
    for _ in range(3):  # checked, and so remembered, by both
        assert a.get("/api/v1/me", token=token).j["id"] == user["id"]
        assert b.get("/api/v1/me", token=token).j["id"] == user["id"]
    assert b.delete("/api/v1/sessions/current", token=token
                    ).status_code == 204
    expect_error(a.get("/api/v1/me", token=token), 401, "invalid_token")
    expect_error(b.get("/api/v1/me", token=token), 401, "invalid_token")
    # and a third process, the admin command, ends them in both
    t1 = a.login(login=user["login"]).j["token"]
    t2 = b.login(login=user["login"]).j["token"]
    for c in (a, b):
        for t in (t1, t2):
            assert c.get("/api/v1/me", token=t).status_code == 200
    p = subprocess.run([binary("parley-admin"), "--db", a.front.db, "user",
                        "passwd", user["login"]], input="a new password 2\n",
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    for c in (a, b):
        for t in (t1, t2):
            expect_error(c.get("/api/v1/me", token=t), 401, "invalid_token")


# --- limits ---------------------------------------------------------------

def test_lockout_ends_after_window(make_front, front_kind):
    c = make_front(front_kind, ["--login-max-failures", "2",
                                "--login-window", "2"])
    a, _ = c.register()
    for _ in range(2):
        expect_error(c.login(login=a["login"], password="wrong!!!"), 401,
                     "invalid_credentials")
    r = c.login(login=a["login"])  # even the right password, for now
    expect_error(r, 429, "rate_limited")
    assert 1 <= int(r.headers["Retry-After"]) <= 2
    time.sleep(2.2)
    assert c.login(login=a["login"]).status_code == 201


def test_send_rate(make_front, front_kind):
    c = make_front(front_kind, ["--send-rate", "30"])
    a, at = c.register()
    b, bt = c.register()
    chat = c.post("/api/v1/chats", {"type": "direct", "user_id": b["id"]},
                  token=at).j["id"]
    codes = [c.post(f"/api/v1/chats/{chat}/messages", {"text": str(i)},
                    token=at).status_code for i in range(30)]
    assert codes == [201] * 30
    r = c.post(f"/api/v1/chats/{chat}/messages", {"text": "one more"},
               token=at)
    err = expect_error(r, 429, "rate_limited")
    assert "minute" in err["message"]
    assert 1 <= int(r.headers["Retry-After"]) <= 3
    # another user is not held back; and the bucket refills (30/min: 2 s)
    assert c.post(f"/api/v1/chats/{chat}/messages", {"text": "b"},
                  token=bt).status_code == 201
    time.sleep(int(r.headers["Retry-After"]) + 0.2)
    assert c.post(f"/api/v1/chats/{chat}/messages", {"text": "later"},
                  token=at).status_code == 201
    hist = c.get(f"/api/v1/chats/{chat}/messages?limit=100", token=bt).j
    assert "one more" not in [m["text"] for m in hist["messages"]]


def test_polls_per_user(make_front, front_kind):
    """--max-polls-per-user 3: the fourth held poll is 429; when one ends
    its place is free again."""
    c = make_front(front_kind, ["--max-polls-per-user", "3"])
    a, at = c.register()
    b, bt = c.register()
    chat = c.post("/api/v1/chats", {"type": "direct", "user_id": a["id"]},
                  token=bt).j["id"]
    last = c.get("/api/v1/events", token=at).j["last_id"]
    results = []

    def poll():
        r = c.request("GET", f"/api/v1/events?after={last}&timeout=8",
                      token=at)
        results.append(r.status_code)

    from conftest import Client
    held = [threading.Thread(target=lambda: results.append(
        Client(c.front).get(f"/api/v1/events?after={last}&timeout=8",
                            token=at).status_code)) for _ in range(3)]
    for t in held:
        t.start()
    time.sleep(1.5)
    r = Client(c.front).get(f"/api/v1/events?after={last}&timeout=8",
                            token=at)
    expect_error(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) >= 1
    # others may poll meanwhile
    lb = c.get("/api/v1/events", token=bt).j["last_id"]
    assert c.get(f"/api/v1/events?after={lb}&timeout=0",
                 token=bt).status_code == 200
    # a message ends the three held polls; then a new one is taken
    c.post(f"/api/v1/chats/{chat}/messages", {"text": "wake"}, token=bt)
    for t in held:
        t.join(15)
    assert results == [200, 200, 200]
    r = c.get(f"/api/v1/events?after={last}&timeout=0", token=at)
    assert r.status_code == 200


def test_attachment_and_page_limits(make_front, front_kind):
    c = make_front(front_kind, ["--max-attachment", "1000",
                                "--page-size", "20"])
    a, at = c.register()
    b, bt = c.register()
    chat = c.post("/api/v1/chats", {"type": "direct", "user_id": b["id"]},
                  token=at).j["id"]
    ok = base64.b64encode(b"x" * 1000).decode()
    big = base64.b64encode(b"x" * 1001).decode()
    assert c.post(f"/api/v1/chats/{chat}/messages", {"attachment": {
        "mime": "text/plain", "data": ok}}, token=at).status_code == 201
    r = c.post(f"/api/v1/chats/{chat}/messages", {"attachment": {
        "mime": "text/plain", "data": big}}, token=at)
    expect_error(r, 413, "payload_too_large", "data")
    for path in (f"/api/v1/chats/{chat}/messages?limit=21",
                 "/api/v1/chats?limit=21", "/api/v1/users?q=a&limit=21",
                 "/api/v1/events?limit=21", "/api/v1/messages?q=a&limit=21"):
        expect_error(c.get(path, token=at), 400, "invalid_field")
    for path in (f"/api/v1/chats/{chat}/messages?limit=20",
                 "/api/v1/chats?limit=20"):
        assert c.get(path, token=at).status_code == 200


# --- headers --------------------------------------------------------------

def test_attachments_never_run(api):
    a, at = api.register()
    b, bt = api.register()
    chat = api.post("/api/v1/chats", {"type": "direct", "user_id": b["id"]},
                    token=at).j["id"]
    for mime, data in (("text/html", b"<script>alert(1)</script>"),
                       ("image/svg+xml", b"<svg onload=alert(1)/>"),
                       ("application/javascript", b"alert(1)"),
                       ("text/xml", b"<x/>"), ("TEXT/HTML", b"<b>")):
        # a name with CR LF is refused; quotes and ';' never break out
        r = api.post(f"/api/v1/chats/{chat}/messages", {"attachment": {
            "mime": mime, "name": "x.html\r\nX-Evil: 1",
            "data": base64.b64encode(data).decode()}}, token=at)
        expect_error(r, 400, "invalid_field", "name")
        m = api.post(f"/api/v1/chats/{chat}/messages", {"attachment": {
            "mime": mime, "name": 'x".html; filename="evil.html',
            "data": base64.b64encode(data).decode()}}, token=at)
        r = api.get(m.j["attachment"]["url"], token=bt, check=False)
        assert r.headers["Content-Disposition"].count('"') == 2, \
            r.headers["Content-Disposition"]
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "application/octet-stream", mime
        assert r.headers["Content-Disposition"].startswith("attachment;")
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in r.headers["Content-Security-Policy"]
        assert "X-Evil" not in r.headers
        assert r.content == data


def test_no_cors_by_default(api):
    _, at = api.shared_user()
    origin = {"Origin": "https://evil.example"}
    for method, path, kw in (
            ("GET", "/api/v1", {}), ("GET", "/api/v1/me", {"token": at}),
            ("POST", "/api/v1/sessions", {"json_body": {"login": "x",
                                                          "password": "y"}}),
            ("GET", "/api/v1/nope", {})):
        r = api.request(method, path, headers=origin, **kw)
        bad = [h for h in r.headers if h.lower().startswith("access-control")]
        assert not bad, (path, bad)
    r = api.request("OPTIONS", "/api/v1/me", check=False, headers=dict(
        origin, **{"Access-Control-Request-Method": "GET"}))
    assert r.status_code >= 400 or not [
        h for h in r.headers if h.lower().startswith("access-control")]
    assert not [h for h in r.headers
                if h.lower().startswith("access-control")], dict(r.headers)


def test_json_charset_everywhere(api):
    """check_response() asserts the type on every answer; here the error
    paths that are not parley's own handlers (nginx's 413, 404 outside
    /api) are looked at too."""
    _, at = api.shared_user()
    for method, path, kw in (
            ("GET", "/api/v1", {}), ("GET", "/api/v1/nope", {}),
            ("PUT", "/api/v1/me", {"token": at}),
            ("POST", "/api/v1/users", {"data": b"x" * (9 * 1024 * 1024 + 1),
                                       "headers": {"Content-Type":
                                                   "application/json"}})):
        r = api.request(method, path, **kw)
        assert r.headers["Content-Type"] == "application/json; charset=utf-8"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
