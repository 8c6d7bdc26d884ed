"""Contacts: add, rename, list, remove, import from an address book by
phone (any of the three forms) and e-mail (any case); and the privacy
rule they drive: a user's phone and e-mail are shown to the user and to
the users it added as contacts, and to no one else, in GET /users/{id},
in the directory, in contact lists and in user.updated events."""
import uuid

from conftest import expect_error, phone_forms, unique_login, unique_phone
from helpers_chat import cursor, direct, drain, of_type


def email():
    return f"{uuid.uuid4().hex[:10]}@example.org"


def person(api, **extra):
    """A user with a phone and an e-mail; returns (user, token)."""
    return api.register(login=unique_login(), phone=unique_phone(),
                        email=email(), **extra)


def put(api, token, uid, body=None):
    if body is None:
        return api.request("PUT", f"/api/v1/contacts/{uid}", token=token)
    return api.request("PUT", f"/api/v1/contacts/{uid}", token=token,
                       json_body=body)


def contacts(api, token, query=""):
    r = api.get(f"/api/v1/contacts{query}", token=token)
    assert r.status_code == 200, r.text
    return [(c["user"]["id"], c["name"]) for c in r.j["contacts"]]


def test_add_rename_list_remove(api):
    a, ta = api.register()
    b, _ = person(api)
    c, _ = person(api)
    r = put(api, ta, b["id"], {"name": "Bobby"})
    assert r.status_code == 201, r.text
    assert r.j["name"] == "Bobby" and r.j["user"]["id"] == b["id"]
    assert set(r.j) == {"user", "name"}
    assert set(r.j["user"]) == set(a)  # a whole User
    # b has not added a: a does not see b's phone by adding b
    assert r.j["user"]["phone"] is None and r.j["user"]["email"] is None
    r = put(api, ta, b["id"], {"name": "Bob"})
    assert r.status_code == 200 and r.j["name"] == "Bob"
    r = put(api, ta, c["id"])  # no body: no name
    assert r.status_code == 201 and r.j["name"] is None
    assert put(api, ta, c["id"], {}).status_code == 200
    assert contacts(api, ta) == [(b["id"], "Bob"), (c["id"], None)]
    assert contacts(api, ta, "?limit=1") == [(b["id"], "Bob")]
    assert contacts(api, ta, f"?after={b['id']}") == [(c["id"], None)]
    assert api.delete(f"/api/v1/contacts/{b['id']}", token=ta).status_code \
        == 204
    assert contacts(api, ta) == [(c["id"], None)]
    expect_error(api.delete(f"/api/v1/contacts/{b['id']}", token=ta), 404,
                 "not_found", "user_id")
    # a null name clears it
    assert put(api, ta, c["id"], {"name": "Cee"}).j["name"] == "Cee"
    assert put(api, ta, c["id"], {"name": None}).j["name"] is None


def test_contact_errors(api):
    a, ta = api.register()
    b, _ = api.register()
    expect_error(put(api, ta, a["id"]), 400, "invalid_field", "user_id")
    expect_error(put(api, ta, 999999999), 404, "user_not_found", "user_id")
    expect_error(api.delete("/api/v1/contacts/999999999", token=ta), 404,
                 "user_not_found", "user_id")
    expect_error(put(api, ta, b["id"], {"name": 5}), 400, "invalid_field",
                 "name")
    expect_error(put(api, ta, b["id"], {"name": ""}), 400, "invalid_field",
                 "name")
    expect_error(put(api, ta, b["id"], {"nick": "x"}), 400, "invalid_field",
                 "nick")
    expect_error(api.request("PUT", f"/api/v1/contacts/{b['id']}", token=ta,
                             data=b"[1]"), 400, "invalid_json")
    expect_error(put(api, None, b["id"]), 401, "auth_required")
    expect_error(api.get("/api/v1/contacts"), 401, "auth_required")
    for q in ("limit=0", "limit=501", "after=-1", "limit=x"):
        expect_error(api.get(f"/api/v1/contacts?{q}", token=ta), 400,
                     "invalid_field")
    r = api.request("POST", f"/api/v1/contacts/{b['id']}", token=ta)
    expect_error(r, 405, "method_not_allowed")
    assert {m.strip() for m in r.headers["Allow"].split(",")} == \
        {"PUT", "DELETE"}
    # nothing was added by the failures
    assert contacts(api, ta) == []


def test_import_matches_exactly_the_registered(api):
    a, ta = person(api)
    u1, t1 = person(api)
    u2, _ = person(api)
    u3, _ = person(api)
    u4, _ = person(api)
    # mixed phone forms and e-mail cases, and what matches no one
    book = [
        {"name": "One", "phone": phone_forms(u1["phone"])[1]},
        {"name": "Two", "email": u2["email"].upper()},
        {"name": "Three", "phone": phone_forms(u3["phone"])[2]},
        {"name": "Four", "phone": "+1 (555) 010-0000",
         "email": u4["email"]},
        {"name": "Nobody", "phone": unique_phone()},
        {"name": "Bad phone", "phone": "12345"},
        {"name": "Bad phone too", "phone": {"area_code": "x"}},
        {"name": "Bad email", "email": "not an address"},
        {"name": "Myself", "phone": a["phone"]},
        {"name": "Nothing"},
        {"name": "One again", "phone": phone_forms(u1["phone"])[0]},
    ]
    r = api.post("/api/v1/contacts/import", {"contacts": book}, token=ta)
    assert r.status_code == 200, r.text
    got = [(c["user"]["id"], c["name"]) for c in r.j["matched"]]
    assert got == [(u1["id"], "One"), (u2["id"], "Two"), (u3["id"], "Three"),
                   (u4["id"], "Four")]
    assert r.j["unmatched"] == 6
    assert contacts(api, ta) == got
    # a matched user now sees a's phone and e-mail
    assert visible(api, t1, a["id"]) == (a["phone"], a["email"])
    # an import again renames, adds no one twice
    r = api.post("/api/v1/contacts/import", {"contacts": [
        {"name": "Uno", "phone": u1["phone"]}]}, token=ta)
    assert [(c["user"]["id"], c["name"]) for c in r.j["matched"]] == \
        [(u1["id"], "Uno")]
    assert r.j["unmatched"] == 0
    assert len(contacts(api, ta)) == 4
    r = api.post("/api/v1/contacts/import", {"contacts": []}, token=ta)
    assert r.j == {"matched": [], "unmatched": 0}


def test_import_errors(api):
    _, t = api.register()
    path = "/api/v1/contacts/import"
    expect_error(api.post(path, {}, token=t), 400, "missing_field",
                 "contacts")
    expect_error(api.post(path, {"contacts": {"name": "x"}}, token=t), 400,
                 "invalid_field", "contacts")
    expect_error(api.post(path, {"contacts": ["+79991234567"]}, token=t),
                 400, "invalid_field", "contacts")
    expect_error(api.post(path, {"contacts": [{"name": "x", "fax": "1"}]},
                          token=t), 400, "invalid_field", "fax")
    expect_error(api.post(path, {"contacts": [{"name": 7}]}, token=t), 400,
                 "invalid_field", "name")
    expect_error(api.post(path, {"contacts": [{"name": "x"}] * 501},
                          token=t), 400, "invalid_field", "contacts")
    expect_error(api.post(path, {"contacts": []}), 401, "auth_required")
    assert api.post(path, {"contacts": [{"name": "x"}] * 500},
                    token=t).j["unmatched"] == 500


def visible(api, token, uid):
    """(phone, email) of user uid as the token's user sees it, checked to
    be the same in GET /users/{id} and in the directory."""
    u = api.get(f"/api/v1/users/{uid}", token=token).j
    login = u["login"]
    d = api.get(f"/api/v1/users?login={login}", token=token).j["users"]
    assert [x["id"] for x in d] == [uid]
    assert (d[0]["phone"], d[0]["email"]) == (u["phone"], u["email"])
    q = api.get(f"/api/v1/users?q={login}", token=token).j["users"]
    assert (q[0]["phone"], q[0]["email"]) == (u["phone"], u["email"])
    return u["phone"], u["email"]


def test_privacy_of_phone_and_email(api):
    a, ta = person(api)
    b, tb = person(api)
    c, tc = person(api)
    mine = (a["phone"], a["email"])
    assert visible(api, ta, a["id"]) == mine  # oneself
    assert visible(api, tb, a["id"]) == (None, None)
    # b adds a: that shows b's data to a, not a's to b
    assert put(api, tb, a["id"]).status_code == 201
    assert visible(api, tb, a["id"]) == (None, None)
    assert visible(api, ta, b["id"]) == (b["phone"], b["email"])
    c_after, b_after = cursor(api, tc), cursor(api, tb)
    # a adds b: b sees a's phone and e-mail everywhere, and hears of it
    assert put(api, ta, b["id"], {"name": "B"}).status_code == 201
    assert visible(api, tb, a["id"]) == mine
    entry = [x for x in api.get("/api/v1/contacts", token=tb).j["contacts"]
             if x["user"]["id"] == a["id"]]
    assert (entry[0]["user"]["phone"], entry[0]["user"]["email"]) == mine
    events, b_after = drain(api, tb, b_after, wait_for="user.updated")
    told = [u for u in of_type(events, "user.updated") if u["id"] == a["id"]]
    assert told and (told[-1]["phone"], told[-1]["email"]) == mine
    # c is no contact of a: nothing shows, nothing is told
    assert visible(api, tc, a["id"]) == (None, None)
    events, c_after = drain(api, tc, c_after)
    assert [u for u in of_type(events, "user.updated")
            if u["id"] == a["id"]] == []
    # a's profile change: each watcher gets a's User as it may see it
    direct(api, tc, a["id"])  # c watches a through a chat
    c_after = cursor(api, tc)
    assert api.patch("/api/v1/me", {"status": "away"}, token=ta).status_code \
        == 200
    events, b_after = drain(api, tb, b_after, wait_for="user.updated")
    u = [x for x in of_type(events, "user.updated") if x["id"] == a["id"]][-1]
    assert u["status"] == "away" and (u["phone"], u["email"]) == mine
    events, c_after = drain(api, tc, c_after, wait_for="user.updated")
    u = [x for x in of_type(events, "user.updated") if x["id"] == a["id"]][-1]
    assert u["status"] == "away" and (u["phone"], u["email"]) == (None, None)
    # a removes b: hidden again, and b hears of it
    assert api.delete(f"/api/v1/contacts/{b['id']}", token=ta).status_code \
        == 204
    assert visible(api, tb, a["id"]) == (None, None)
    events, b_after = drain(api, tb, b_after, wait_for="user.updated")
    u = [x for x in of_type(events, "user.updated") if x["id"] == a["id"]][-1]
    assert (u["phone"], u["email"]) == (None, None)
    # importing also shows the importer's data to whom it matched
    r = api.post("/api/v1/contacts/import", {"contacts": [
        {"name": "See", "email": c["email"]}]}, token=ta)
    assert [x["user"]["id"] for x in r.j["matched"]] == [c["id"]]
    assert visible(api, tc, a["id"]) == mine
    assert visible(api, tb, a["id"]) == (None, None)
