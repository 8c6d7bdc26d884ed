"""Embedding sites (tenants): parley-admin tenant add|list|revoke|origins,
POST /integrations/sessions with a site's chat key, and the isolation of
the sites and the open registration from each other in every list,
lookup, chat and event."""
import re
import sqlite3
import uuid

import pytest

from conftest import (expect_error, phone_forms, unique_login, unique_phone)
from helpers_chat import cursor, direct, drain, send
import images
from test_admin import admin, migrated

SESSIONS = "/api/v1/integrations/sessions"
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def add_site(db, name=None):
    """Adds a site with parley-admin; returns (name, key)."""
    name = name or f"site-{uuid.uuid4().hex[:8]}"
    key = admin(db, "tenant", "add", name).strip()
    assert KEY_RE.match(key), key
    return name, key


def site_session(c, key, user, status=(200, 201), how="header"):
    """POST /integrations/sessions for user; returns the Session."""
    if how == "header":
        r = c.post(SESSIONS, {"user": user}, headers={"X-Chat-Key": key})
    else:
        r = c.post(SESSIONS, {"chat_key": key, "user": user})
    assert r.status_code in status, r.text
    return r


def tenant_rows(db):
    """parley-admin tenant list as {name: (created, revoked, origins)}."""
    out = admin(db, "tenant", "list").splitlines()
    assert out[0] == "id\tname\tcreated\trevoked\torigins"
    rows = {}
    for line in out[1:]:
        tid, name, created, revoked, origins = line.split("\t")
        assert re.match(r"^\d+$", tid)
        rows[name] = (created, revoked, origins)
    return rows


@pytest.mark.parametrize("words", [["tenant", "add"], ["tenant", "list"],
                                   ["tenant", "revoke"],
                                   ["tenant", "origins"]],
                         ids=lambda w: " ".join(w))
def test_tenant_help(tmp_path, words):
    out = admin(str(tmp_path / "never.db"), *words, "--help")
    assert "usage: parley-admin" in out and " ".join(words) in out


def test_tenant_commands(tmp_path):
    db, _ = migrated(tmp_path)
    name, key = add_site(db)
    assert "tenant add" in admin(db, "--help")
    # the key is shown once and stored only hashed
    with open(db, "rb") as f:
        assert key.encode() not in f.read()
    with sqlite3.connect(db) as c:
        (stored,) = c.execute("SELECT key_hash FROM tenants WHERE name=?",
                              (name,)).fetchone()
        assert len(stored) == 32 and key.encode() not in stored
    rows = tenant_rows(db)
    created, revoked, origins = rows[name]
    assert re.match(r"^\d{4}-\d\d-\d\dT", created) and revoked == "-" and \
        origins == "-"
    assert key not in admin(db, "tenant", "list")
    # two sites never share a key
    other, key2 = add_site(db)
    assert key2 != key
    # refusals
    admin(db, "tenant", "add", name, expect=1)           # taken
    admin(db, "tenant", "add", "bad name", expect=2)
    admin(db, "tenant", "add", "x" * 65, expect=2)
    admin(db, "tenant", "add", expect=2)
    admin(db, "tenant", "revoke", "no-such-site", expect=1)
    admin(db, "tenant", "origins", "no-such-site", "https://a.example",
          expect=1)
    for bad in ("shop.example", "https://shop.example/", "ftp://x.example",
                "https://shop.example/path", "null", "https://",
                "https://a.example:0", "https://a.example:99999", "*"):
        admin(db, "tenant", "origins", name, bad, expect=2)
    # origins: replaced as a whole, stored in lower case; none clears
    admin(db, "tenant", "origins", name, "https://Shop.Example",
          "http://localhost:8080", "http://[::1]:3000")
    assert tenant_rows(db)[name][2] == \
        "http://[::1]:3000 http://localhost:8080 https://shop.example"
    admin(db, "tenant", "origins", name, "https://b.example")
    assert tenant_rows(db)[name][2] == "https://b.example"
    admin(db, "tenant", "origins", name)
    assert tenant_rows(db)[name][2] == "-"
    # revoke: dated, and revoking again changes nothing
    out = admin(db, "tenant", "revoke", name)
    assert "revoked" in out
    revoked = tenant_rows(db)[name][1]
    assert re.match(r"^\d{4}-\d\d-\d\dT", revoked)
    admin(db, "tenant", "revoke", name)
    assert tenant_rows(db)[name][1] == revoked
    assert tenant_rows(db)[other][1] == "-"


def test_site_sessions(tmp_path, make_front, front_kind):
    db, _ = migrated(tmp_path)
    _, key = add_site(db)
    c = make_front(front_kind, db=db)
    phone = unique_phone()
    user = {"id": 42, "name": "Ann", "last_name": "Lee",
            "middle_name": "Q", "email": "ann@shop.example",
            "phone": phone_forms(phone)[1],
            "avatar": "https://shop.example/ann.png"}
    r = site_session(c, key, user, status=(201,))
    s = r.j
    assert set(s) == {"token", "user_id", "expires_at"}
    me = c.get("/api/v1/me", token=s["token"]).j
    assert me["id"] == s["user_id"]
    assert (me["nick"], me["first_name"], me["last_name"],
            me["middle_name"], me["email"], me["phone"], me["avatar"],
            me["login"]) == ("Ann", "Ann", "Lee", "Q", "ann@shop.example",
                             phone, "https://shop.example/ann.png", None)
    # the same site user again, by the number as a string, and by the body
    # key: 200, the same user; the profile is what the site says now
    r = site_session(c, key, {"id": "42", "name": "Anna"}, status=(200,),
                     how="body")
    assert r.j["user_id"] == s["user_id"] and r.j["token"] != s["token"]
    me = c.get("/api/v1/me", token=r.j["token"]).j
    assert (me["nick"], me["first_name"], me["last_name"], me["phone"],
            me["avatar"]) == ("Anna", "Anna", None, None, None)
    # both sessions work
    assert c.get("/api/v1/me", token=s["token"]).status_code == 200
    # an uploaded avatar wins over the site's URL; removed, the URL is back
    site_session(c, key, dict(user, name="Ann"))
    up = c.request("PUT", "/api/v1/me/avatar", data=images.png(),
                   token=s["token"]).j["avatar"]
    assert up.startswith(f"/api/v1/users/{s['user_id']}/avatar?v=")
    assert c.delete("/api/v1/me/avatar", token=s["token"]).status_code == 204
    assert c.get("/api/v1/me", token=s["token"]).j["avatar"] == \
        "https://shop.example/ann.png"
    # another user of the site; the phone of one is not the other's
    b = site_session(c, key, {"id": "b-7", "name": "Bo"}, status=(201,)).j
    assert b["user_id"] != s["user_id"]
    expect_error(c.post(SESSIONS, {"user": {"id": "b-7", "name": "Bo",
                                            "phone": phone}},
                        headers={"X-Chat-Key": key}), 409, "phone_taken",
                 "phone")
    # a profile the site changes reaches the user's watchers; the same
    # profile again tells no one
    direct(c, b["token"], s["user_id"])
    after = cursor(c, b["token"])
    site_session(c, key, dict(user, name="Ann"), status=(200,))
    events, after = drain(c, b["token"], after)
    assert [e for e in events if e["type"] == "user.updated"] == []
    site_session(c, key, dict(user, name="Annie"), status=(200,))
    events, after = drain(c, b["token"], after, wait_for="user.updated")
    told = [e["data"] for e in events if e["type"] == "user.updated"]
    assert [(u["id"], u["nick"]) for u in told] == [(s["user_id"], "Annie")]
    # a site user has no password: it cannot sign in otherwise
    expect_error(c.login(phone=phone, password="whatever it is"), 401,
                 "invalid_credentials")


def test_site_session_refusals(tmp_path, make_front, front_kind):
    db, _ = migrated(tmp_path)
    name, key = add_site(db)
    c = make_front(front_kind, db=db)
    h = {"X-Chat-Key": key}
    ok = {"id": 1, "name": "Ann"}
    expect_error(c.post(SESSIONS, {"user": ok}), 401, "invalid_chat_key")
    expect_error(c.post(SESSIONS, {"user": ok},
                        headers={"X-Chat-Key": "A" * 43}), 401,
                 "invalid_chat_key")
    expect_error(c.post(SESSIONS, {"chat_key": key[:-1], "user": ok}), 401,
                 "invalid_chat_key")
    r = c.post(SESSIONS, {"user": ok}, headers={"X-Chat-Key": "wrong"})
    assert r.headers["WWW-Authenticate"] == "Bearer"
    for body, code, field in (
            ({}, "missing_field", "user"),
            ({"user": "Ann"}, "invalid_field", "user"),
            ({"user": {"name": "Ann"}}, "missing_field", "id"),
            ({"user": {"id": 1.5, "name": "Ann"}}, "invalid_field", "id"),
            ({"user": {"id": "", "name": "Ann"}}, "invalid_field", "id"),
            ({"user": {"id": "x" * 129, "name": "Ann"}}, "invalid_field",
             "id"),
            ({"user": {"id": 1}}, "missing_field", "name"),
            ({"user": {"id": 1, "name": ""}}, "invalid_field", "name"),
            ({"user": dict(ok, phone="12345")}, "invalid_phone", "phone"),
            ({"user": dict(ok, email="no")}, "invalid_field", "email"),
            ({"user": dict(ok, avatar="javascript:alert(1)")},
             "invalid_field", "avatar"),
            ({"user": dict(ok, avatar="https://a.example/x y.png")},
             "invalid_field", "avatar"),
            ({"user": dict(ok, login="ann")}, "invalid_field", "login"),
            ({"user": ok, "extra": 1}, "invalid_field", "extra")):
        expect_error(c.post(SESSIONS, body, headers=h), 400, code, field)
    # nothing was made by the refusals
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM users").fetchone()[0] == 0
    # revoked: the key stops, and so do the sessions of its users
    s = site_session(c, key, ok).j
    assert c.get("/api/v1/me", token=s["token"]).status_code == 200
    assert "1 sessions" in admin(db, "tenant", "revoke", name)
    expect_error(c.post(SESSIONS, {"user": ok}, headers=h), 401,
                 "invalid_chat_key")
    expect_error(c.get("/api/v1/me", token=s["token"]), 401, "invalid_token")


def test_wrong_keys_are_rate_limited(tmp_path, make_front, front_kind):
    db, _ = migrated(tmp_path)
    _, key = add_site(db)
    # --login-max-failures 1: ten wrong keys per address per window
    c = make_front(front_kind, ["--login-max-failures", "1"], db=db)
    ok = {"id": 1, "name": "Ann"}
    assert c.post(SESSIONS, {"user": ok},
                  headers={"X-Chat-Key": key}).status_code == 201
    for i in range(10):
        expect_error(c.post(SESSIONS, {"user": ok},
                            headers={"X-Chat-Key": f"wrong-{i}"}), 401,
                     "invalid_chat_key")
    expect_error(c.post(SESSIONS, {"user": ok},
                        headers={"X-Chat-Key": "wrong-again"}), 429,
                 "rate_limited")
    # from this address, for the window: even the right key waits
    r = c.post(SESSIONS, {"user": ok}, headers={"X-Chat-Key": key})
    expect_error(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) > 0


# --- isolation -----------------------------------------------------------

class World:
    """Two sites and the open registration on one front, each with users
    who share one phone number, one e-mail and one nick prefix."""

    def __init__(self, c, db):
        self.c = c
        self.phone = unique_phone()
        self.email = f"{uuid.uuid4().hex[:8]}@example.org"
        self.stem = "Iso" + uuid.uuid4().hex[:6]
        self.tenant_of = {}     # user id -> "s1", "s2", "open"
        self.users = {}         # label -> (user, token)
        for site in ("s1", "s2"):
            _, key = add_site(db)
            for n, extra in ((1, {"phone": self.phone,
                                  "email": self.email}), (2, {})):
                r = site_session(self.c, key, dict(
                    {"id": f"{site}-{n}", "name": f"{self.stem} {site}{n}"},
                    **extra), status=(201,))
                self.add(f"{site}u{n}", site, r.j["token"])
        for n, extra in ((1, {"phone": self.phone, "email": self.email}),
                         (2, {})):
            _, t = c.register(login=unique_login(), nick=f"{self.stem} o{n}",
                              **extra)
            self.add(f"ou{n}", "open", t)

    def add(self, label, tenant, token):
        me = self.c.get("/api/v1/me", token=token).j
        self.users[label] = (me, token)
        self.tenant_of[me["id"]] = tenant

    def id(self, label):
        return self.users[label][0]["id"]

    def token(self, label):
        return self.users[label][1]

    def tenant(self, label):
        return self.tenant_of[self.id(label)]


def user_ids_in(data):
    """Every user id an event's data names."""
    ids = set()
    if not isinstance(data, dict):
        return ids
    for k in ("user_id", "sender_id", "created_by"):
        if isinstance(data.get(k), int):
            ids.add(data[k])
    if "nick" in data and isinstance(data.get("id"), int):
        ids.add(data["id"])  # a User
    ids.update(m for m in data.get("members", []) if isinstance(m, int))
    if isinstance(data.get("last_message"), dict):
        ids |= user_ids_in(data["last_message"])
    return ids


def test_isolation(tmp_path, make_front, front_kind):
    db, _ = migrated(tmp_path)
    c = make_front(front_kind, db=db)
    w = World(c, db)
    labels = sorted(w.users)
    after = {label: cursor(c, w.token(label)) for label in labels}

    # lookups: another tenant's user does not exist
    for a in labels:
        for b in labels:
            r = c.get(f"/api/v1/users/{w.id(b)}", token=w.token(a))
            if w.tenant(a) == w.tenant(b):
                assert r.status_code == 200
            else:
                expect_error(r, 404, "user_not_found")

    # the directory: by phone, by prefix, online
    form = phone_forms(w.phone)[1].replace("+", "%2B").replace(" ", "%20")
    for a in labels:
        same1 = {w.id(x) for x in labels
                 if w.tenant(x) == w.tenant(a) and x.endswith("1")}
        r = c.get(f"/api/v1/users?phone={form}", token=w.token(a))
        assert {u["id"] for u in r.j["users"]} == same1
        r = c.get(f"/api/v1/users?q={w.stem}", token=w.token(a))
        assert {u["id"] for u in r.j["users"]} == \
            {w.id(x) for x in labels if w.tenant(x) == w.tenant(a)}
        r = c.get("/api/v1/users?online=true", token=w.token(a))
        online = {u["id"] for u in r.j["users"]}
        assert w.id(a) in online  # it polled above
        assert {w.tenant_of.get(u) for u in online} == {w.tenant(a)}

    # chats: no direct chat, group or member across tenants
    for a, b in (("s1u1", "s2u1"), ("s1u1", "ou1"), ("ou1", "s2u2"),
                 ("s2u1", "s1u2")):
        ta = w.token(a)
        expect_error(c.post("/api/v1/chats", {"type": "direct",
                                              "user_id": w.id(b)}, token=ta),
                     404, "user_not_found")
        expect_error(c.post("/api/v1/chats", {"type": "group", "title": "g",
                                              "members": [w.id(b)]},
                            token=ta), 404, "user_not_found")
        g = c.post("/api/v1/chats", {"type": "group", "title": "mine"},
                   token=ta).j["id"]
        expect_error(c.post(f"/api/v1/chats/{g}/members",
                            {"user_id": w.id(b)}, token=ta), 404,
                     "user_not_found")
        # messages to an id, a phone, a login of another tenant
        expect_error(c.post("/api/v1/messages", {
            "to": {"user_id": w.id(b)}, "text": "hi"}, token=ta), 404,
            "user_not_found")
    ologin = w.users["ou1"][0]["login"]
    expect_error(c.post("/api/v1/messages", {"to": {"login": ologin},
                                             "text": "hi"},
                        token=w.token("s1u2")), 404, "user_not_found")
    # by phone: to the user of the sender's own tenant
    for a, b in (("s1u2", "s1u1"), ("s2u2", "s2u1"), ("ou2", "ou1")):
        r = c.post("/api/v1/messages", {"to": {"phone": phone_forms(
            w.phone)[2]}, "text": f"secret of {a}"}, token=w.token(a))
        assert r.status_code == 201, r.text
        chat = c.get(f"/api/v1/chats/{r.j['chat_id']}", token=w.token(a)).j
        assert sorted(chat["members"]) == sorted([w.id(a), w.id(b)])
    # a channel of the open registration: invisible to the sites
    ch = c.post("/api/v1/chats", {"type": "channel", "title": "open news"},
                token=w.token("ou1")).j["id"]
    send(c, w.token("ou1"), ch, "open news item")
    for a in ("s1u1", "s2u1"):
        expect_error(c.get(f"/api/v1/chats/{ch}", token=w.token(a)), 404,
                     "chat_not_found")
        expect_error(c.post(f"/api/v1/chats/{ch}/members",
                            {"user_id": w.id(a)}, token=w.token(a)), 404,
                     "chat_not_found")
        r = c.get(f"/api/v1/chats/{ch}/messages", token=w.token(a))
        expect_error(r, 404, "chat_not_found")
        r = c.get("/api/v1/messages?q=secret", token=w.token(a))
        assert all(w.tenant_of[m["sender_id"]] == w.tenant(a)
                   for m in r.j["messages"])
    assert c.post(f"/api/v1/chats/{ch}/members", {"user_id": w.id("ou2")},
                  token=w.token("ou2")).status_code == 201
    # every chat list holds only chats of one's own tenant
    for a in labels:
        for chat in c.get("/api/v1/chats", token=w.token(a)).j["chats"]:
            assert {w.tenant_of.get(m) for m in chat["members"]} == \
                {w.tenant(a)}

    # contacts: no adding, no importing across tenants
    for a, b in (("s1u2", "s2u1"), ("s1u2", "ou1"), ("ou2", "s1u1")):
        expect_error(c.request("PUT", f"/api/v1/contacts/{w.id(b)}",
                               token=w.token(a)), 404, "user_not_found")
        expect_error(c.delete(f"/api/v1/contacts/{w.id(b)}",
                              token=w.token(a)), 404, "user_not_found")
    for a, b in (("s1u2", "s1u1"), ("s2u2", "s2u1"), ("ou2", "ou1")):
        r = c.post("/api/v1/contacts/import", {"contacts": [
            {"name": "by phone", "phone": w.phone},
            {"name": "by mail", "email": w.email.upper()}]},
            token=w.token(a))
        assert [x["user"]["id"] for x in r.j["matched"]] == [w.id(b)]
        assert r.j["unmatched"] == 0
        assert [x["user"]["id"] for x in c.get(
            "/api/v1/contacts", token=w.token(a)).j["contacts"]] == [w.id(b)]

    # avatars: served to one's own tenant only
    up = c.request("PUT", "/api/v1/me/avatar", data=images.gif(),
                   token=w.token("s1u1")).j["avatar"]
    assert c.get(up, token=w.token("s1u2"), check=False).status_code == 200
    for a in ("s2u1", "ou1"):
        expect_error(c.get(up, token=w.token(a)), 404, "user_not_found")

    # profile changes reach only one's own tenant
    for a in labels:
        assert c.patch("/api/v1/me", {"status": f"status of {a}"},
                       token=w.token(a)).status_code == 200

    # events: every user each one hears of is of its own tenant
    for a in labels:
        events, _ = drain(c, w.token(a), after[a])
        assert events, a
        for e in events:
            named = user_ids_in(e["data"])
            assert {w.tenant_of.get(u, "?") for u in named} <= \
                {w.tenant(a)}, (a, e)
