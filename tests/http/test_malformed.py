"""test_malformed.py: every field of every endpoint that takes a body, given
what a careless or hostile client sends: the wrong type, too long, empty,
NUL, a lone surrogate, invalid UTF-8, deep nesting, huge numbers, the key
twice. The answer is always a 4xx (400, or 413 for an attachment's data),
never a 5xx; a 400 about the field names it (invalid_field, missing_field
or invalid_phone with "field"), or is invalid_json when the body is not
JSON parley takes at all. The JSONTestSuite files also go to endpoints
behind authentication (test_errors.py sends them to registration).

Then the naughty strings (shared/corpora/blns/blns.json, read where it
lies) go through message texts, nicks and group titles: each either comes
back byte-exact (from the answer, the history, GET /me, the chat, and the
recipient's event), or, when it holds control characters, is refused with
400 invalid_field naming the field.
"""
import json
import os

import pytest

from conftest import PASSWORD, expect_error, unique_login, unique_phone

BLNS = os.environ.get("PARLEY_BLNS", "/work/shared/corpora/blns/blns.json")
JSON_CORPUS = os.environ.get(
    "PARLEY_JSON_CORPUS", "/work/shared/corpora/JSONTestSuite/test_parsing")

# --- the world each front's tests work in -------------------------------

_worlds = {}


def world(api):
    """Two users of this front with a direct chat, a group and a message:
    (a, a_token, b, b_token, direct_id, group_id, message_id)."""
    if api.kind not in _worlds:
        a, at = api.register(nick="MalA", login=unique_login(),
                             phone=unique_phone())
        b, bt = api.register(nick="MalB")
        d = api.post("/api/v1/chats", {"type": "direct", "user_id": b["id"]},
                     token=at).j["id"]
        g = api.post("/api/v1/chats", {"type": "group", "title": "mal",
                                       "members": [b["id"]]}, token=at).j["id"]
        m = api.post(f"/api/v1/chats/{d}/messages", {"text": "m"},
                     token=at).j["id"]
        _worlds[api.kind] = (a, at, b, bt, d, g, m)
    return _worlds[api.kind]


# The endpoints with a body: (name, method, path, token?, a valid body, the
# fields to spoil: dotted for a field inside an object).
def endpoints(api):
    a, at, b, bt, d, g, m = world(api)
    return {
        "register": ("POST", "/api/v1/users", None,
                     lambda: {"login": unique_login(), "password": PASSWORD,
                              "nick": "N", "email": "n@example.org",
                              "phone": unique_phone()},
                     ["login", "password", "nick", "email", "phone"]),
        "login": ("POST", "/api/v1/sessions", None,
                  lambda: {"login": "nobody-" + unique_login(),
                           "password": PASSWORD},
                  ["login", "password"]),
        "login-phone": ("POST", "/api/v1/sessions", None,
                        lambda: {"phone": unique_phone(),
                                 "password": PASSWORD},
                        ["phone"]),
        "me": ("PATCH", "/api/v1/me", bt, lambda: {"status": "s"},
               ["nick", "first_name", "last_name", "middle_name", "status",
                "language", "public_key", "email", "phone"]),
        "group": ("POST", "/api/v1/chats", at,
                  lambda: {"type": "group", "title": "t",
                           "members": [b["id"]]},
                  ["type", "title", "members"]),
        "direct": ("POST", "/api/v1/chats", at,
                   lambda: {"type": "direct", "user_id": b["id"]},
                   ["user_id"]),
        "member": ("POST", f"/api/v1/chats/{g}/members", at,
                   lambda: {"user_id": b["id"]}, ["user_id"]),
        "send": ("POST", f"/api/v1/chats/{d}/messages", bt,
                 lambda: {"text": "t", "client_msg_id": unique_login(),
                          "encrypted": "e",
                          "attachment": {"mime": "text/plain", "name": "a",
                                         "data": "aGk="}},
                 ["text", "client_msg_id", "encrypted", "attachment",
                  "attachment.mime", "attachment.name", "attachment.data"]),
        "send-to": ("POST", "/api/v1/messages", bt,
                    lambda: {"to": {"user_id": a["id"]}, "text": "t"},
                    ["to", "to.user_id", "text"]),
        "send-to-login": ("POST", "/api/v1/messages", bt,
                          lambda: {"to": {"login": a["login"]}, "text": "t"},
                          ["to.login"]),
        "send-to-phone": ("POST", "/api/v1/messages", bt,
                          lambda: {"to": {"phone": a["phone"]},
                                   "text": "t"},
                          ["to.phone"]),
        "read": ("POST", f"/api/v1/chats/{d}/read", bt,
                 lambda: {"message_id": m}, ["message_id"]),
        "edit": ("PATCH", f"/api/v1/messages/{m}", at,
                 lambda: {"text": "edited"}, ["text"]),
    }


ENDPOINTS = ["register", "login", "login-phone", "me", "group", "direct",
             "member", "send", "send-to", "send-to-login", "send-to-phone",
             "read", "edit"]

DEEP = "[" * 3000 + "]" * 3000       # past jansson's depth limit (2048)
NESTED = "[" * 100 + "]" * 100       # within it: a value of the wrong type

# Spoilt values: (label, JSON text of the value, may it be accepted?)
# A value that some field takes (null where nullable, "" where empty is
# fine, a number where an id goes) may be accepted; then the answer is 2xx.
SPOILS = [
    ("int", "12345", True), ("neg", "-1", False), ("zero", "0", False),
    ("float", "1.5", False), ("true", "true", False),
    ("null", "null", True), ("array", '["x"]', False),
    ("empty-array", "[]", True), ("object", '{"a":1}', False),
    ("empty-object", "{}", False), ("empty", '""', True),
    ("long", json.dumps("x" * 70000), True),
    ("huge-int", "123456789012345678901234567890", False),
    ("huge-real", "1e400", False), ("nested", NESTED, False),
    ("deep", DEEP, False), ("nul", '"a\\u0000b"', False),
    ("surrogate", '"\\ud800"', False), ("bad-utf8", b'"\xff\xfe"', False),
    ("cut-utf8", b'"\xc3"', False), ("c1", '"a\\u0085b"', False),
    ("control", '"a\\u0001b"', False),
]


def spoil(body, field, value_text):
    """The JSON text of body with field (dotted) replaced by value_text."""
    marker = "\x00SPOIL\x00"
    outer, _, inner = field.partition(".")
    if inner:
        body[outer][inner] = marker
    else:
        body[outer] = marker
    text = json.dumps(body).encode()
    if isinstance(value_text, str):
        value_text = value_text.encode()
    return text.replace(json.dumps(marker).encode(), value_text, 1)


def duplicate(body, field):
    """body with field (top level) written twice."""
    outer = field.partition(".")[0]
    body.setdefault(outer, "x")
    text = json.dumps(body)
    dup = json.dumps({outer: body[outer]})[1:-1]
    return (text[:-1] + ", " + dup + "}").encode()


def judge(r, field, label, accepted_ok):
    """Checks one answer; returns a problem or None."""
    leaf = field.rpartition(".")[2]
    if r.status_code >= 500:
        return f"{field}={label}: {r.status_code} {r.text[:200]}"
    if r.status_code < 300:
        return None if accepted_ok else \
            f"{field}={label}: accepted ({r.status_code})"
    if r.status_code == 413 and leaf == "data":
        return None
    if r.status_code != 400:
        # a well-formed but unknown id, say, is a 404: fine for ids
        if r.status_code == 404 and label in ("int",):
            return None
        return f"{field}={label}: {r.status_code} {r.text[:200]}"
    err = r.j["error"]
    if err["code"] == "invalid_json":
        return None
    if label in ("object", "empty-object") and err["code"] in (
            "invalid_field", "missing_field") and err.get("field"):
        return None  # an object where one is taken: its members named
    if err["code"] not in ("invalid_field", "missing_field",
                           "invalid_phone"):
        return f"{field}={label}: code {err['code']}"
    if err.get("field") not in (leaf, field.partition(".")[0], "login"):
        return f"{field}={label}: field {err.get('field')!r}: {err}"
    return None


@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_field_spoilt(api, name):
    method, path, token, valid, fields = endpoints(api)[name]
    headers = {"Content-Type": "application/json"}
    # the valid body works (so that the spoilt ones test the field)
    r = api.request(method, path, data=json.dumps(valid()).encode(),
                    headers=headers, token=token)
    if name.startswith("login"):
        assert r.status_code == 401, r.text
    else:
        assert r.status_code < 300, r.text
    problems = []
    for field in fields:
        for label, text, maybe in SPOILS:
            r = api.request(method, path, data=spoil(valid(), field, text),
                            headers=headers, token=token)
            if name.startswith("login") and r.status_code == 401:
                continue  # a well-formed identity that is not there
            # encrypted is opaque: any string is carried as it is
            p = judge(r, field, label, maybe or (
                field == "encrypted" and str(text)[:1] == '"'))
            if p:
                problems.append(p)
        r = api.request(method, path, data=duplicate(valid(), field),
                        headers=headers, token=token)
        if r.status_code != 400 or r.j["error"]["code"] != "invalid_json":
            problems.append(f"{field} twice: {r.status_code} {r.text[:200]}")
    assert not problems, "\n".join(problems)


def test_unknown_fields_named(api):
    """A field no endpoint knows is named in the error."""
    for name, (method, path, token, valid, _) in endpoints(api).items():
        body = valid()
        body["surprise\u00e9"] = 1
        r = api.request(method, path, json_body=body, token=token)
        err = expect_error(r, 400, "invalid_field")
        assert err["field"] == "surprise\u00e9", (name, err)


def test_empty_and_whitespace_bodies(api):
    _, at, *_ = world(api)
    for body in (b"", b" ", b"\n", b"\t\r\n ", b"{}", b" {} "):
        r = api.request("PATCH", "/api/v1/me", data=body, token=at,
                        headers={"Content-Type": "application/json"})
        if body.strip() == b"{}":
            assert r.status_code == 200, r.text  # nothing to change
        else:
            expect_error(r, 400, "invalid_json")


# --- JSONTestSuite behind authentication --------------------------------

def corpus(prefix):
    if not os.path.isdir(JSON_CORPUS):
        pytest.skip(f"no JSON corpus at {JSON_CORPUS}")
    names = sorted(n for n in os.listdir(JSON_CORPUS)
                   if n.startswith(prefix) and n.endswith(".json"))
    assert names
    return names


def read_corpus(name):
    with open(os.path.join(JSON_CORPUS, name), "rb") as f:
        return f.read()


def test_corpus_not_json_on_authenticated_routes(api):
    """n_ files to a send and a profile change: 400 invalid_json; nothing
    is sent."""
    _, at, _, bt, d, _, _ = world(api)
    before = api.get(f"/api/v1/chats/{d}/messages?limit=1", token=at).j
    wrong = []
    for name in corpus("n_"):
        for method, path in (("POST", f"/api/v1/chats/{d}/messages"),
                             ("PATCH", "/api/v1/me")):
            r = api.request(method, path, data=read_corpus(name), token=bt,
                            headers={"Content-Type": "application/json"})
            if r.status_code != 400 or r.j["error"]["code"] != "invalid_json":
                wrong.append(f"{method} {name}: {r.status_code}")
    assert not wrong, "\n".join(wrong)
    after = api.get(f"/api/v1/chats/{d}/messages?limit=1", token=at).j
    assert after["messages"] == before["messages"]


def test_corpus_implementation_defined(api):
    """i_ files (either answer is right for a parser): never a 5xx; a 2xx
    only for a body that is an object (and then one parley takes)."""
    _, at, *_ = world(api)
    wrong = []
    for name in corpus("i_"):
        for method, path, token in (("POST", "/api/v1/users", None),
                                    ("PATCH", "/api/v1/me", at)):
            r = api.request(method, path, data=read_corpus(name), token=token,
                            headers={"Content-Type": "application/json"})
            if r.status_code >= 500 or (r.status_code < 300 and not
                                        read_corpus(name).strip()
                                        .startswith(b"{")):
                wrong.append(f"{method} {name}: {r.status_code} {r.text[:80]}")
    assert not wrong, "\n".join(wrong)


# --- naughty strings ----------------------------------------------------

def naughty():
    if not os.path.exists(BLNS):
        pytest.skip(f"no naughty strings at {BLNS}")
    with open(BLNS, encoding="utf-8") as f:
        strings = json.load(f)
    assert len(strings) > 400
    return strings


def clean(s, multiline):
    """parley's text_is_clean() (api/text.c): no C0 or C1 control
    characters and no DEL, but tab, CR and LF in multiline text."""
    for ch in s:
        c = ord(ch)
        if (c < 0x20 or c == 0x7f or 0x80 <= c <= 0x9f) and \
                not (multiline and ch in "\t\r\n"):
            return False
    return True


def test_naughty_strings_as_message_text(api):
    """Each string is sent as a message text: it comes back byte-exact in
    the answer, in the history and in the recipient's event, or it is
    refused as invalid_field text."""
    a, at, b, bt, *_ = world(api)
    g = api.post("/api/v1/chats", {"type": "group", "title": "naughty",
                                   "members": [b["id"]]}, token=at).j["id"]
    last = api.get("/api/v1/events", token=bt).j["last_id"]
    sent, problems = {}, []
    for i, s in enumerate(naughty()):
        r = api.post(f"/api/v1/chats/{g}/messages", {"text": s}, token=at)
        ok = s != "" and clean(s, True) and len(s.encode()) <= 16384
        if ok:
            if r.status_code != 201 or r.j["text"] != s:
                problems.append(f"#{i} {s!r}: {r.status_code} {r.text[:100]}")
            else:
                sent[r.j["id"]] = s
        else:
            if r.status_code != 400 or r.j["error"]["code"] != \
                    "invalid_field" or r.j["error"].get("field") != "text":
                problems.append(f"#{i} {s!r} refused as {r.status_code}"
                                f" {r.text[:100]}")
    assert not problems, "\n".join(problems)
    assert len(sent) > 400
    # the history, in pages
    got, before = {}, 0
    while True:
        q = f"?limit=500&before={before}" if before else "?limit=500"
        page = api.get(f"/api/v1/chats/{g}/messages{q}", token=bt).j
        for m in page["messages"]:
            got[m["id"]] = m["text"]
        if not page["has_more"]:
            break
        before = page["messages"][0]["id"]
    assert {i: got.get(i) for i in sent} == sent
    # the recipient's events
    seen = {}
    while len(seen) < len(sent):
        r = api.get(f"/api/v1/events?after={last}&timeout=2&limit=500",
                    token=bt)
        if not r.j["events"]:
            break
        for e in r.j["events"]:
            if e["type"] == "message.new" and e["data"]["id"] in sent:
                seen[e["data"]["id"]] = e["data"]["text"]
        last = r.j["last_id"]
    assert seen == sent


def test_naughty_strings_as_nick_and_title(api):
    """Each string as a nick (PATCH /me) and as a group's title: back
    byte-exact (GET /me, GET /chats/{id}), or refused as invalid_field."""
    _, at, b, bt, *_ = world(api)
    problems = []
    for i, s in enumerate(naughty()):
        ok = 1 <= len(s.encode()) <= 128 and clean(s, False)
        r = api.patch("/api/v1/me", {"nick": s}, token=bt)
        if ok:
            if r.status_code != 200 or r.j["nick"] != s or \
                    api.get("/api/v1/me", token=bt).j["nick"] != s:
                problems.append(f"nick #{i} {s!r}: {r.status_code}")
        elif r.status_code != 400 or r.j["error"].get("field") != "nick" or \
                r.j["error"]["code"] != "invalid_field":
            problems.append(f"nick #{i} {s!r}: {r.status_code} {r.text[:80]}")
        r = api.post("/api/v1/chats", {"type": "group", "title": s,
                                       "members": [b["id"]]}, token=at)
        if ok:
            if r.status_code != 201 or r.j["title"] != s or api.get(
                    f"/api/v1/chats/{r.j['id']}", token=bt).j["title"] != s:
                problems.append(f"title #{i} {s!r}: {r.status_code}")
        elif r.status_code != 400 or r.j["error"].get("field") != "title":
            problems.append(f"title #{i} {s!r}: {r.status_code} {r.text[:80]}")
    assert not problems, "\n".join(problems)
