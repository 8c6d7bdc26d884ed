"""test_accounts.py: register, sign in, sign out, rate limits, the profile
(GET/PATCH /me) and other users (GET /users/{id})."""
import time

import pytest

from conftest import (PASSWORD, TIME_RE, expect_error, phone_forms,
                      unique_login, unique_phone)

USER_KEYS = {"id", "login", "nick", "first_name", "last_name", "middle_name",
             "phone", "email", "status", "language", "avatar", "public_key",
             "registered_at", "last_online", "online"}
SESSION_KEYS = {"token", "user_id", "expires_at"}


def check_user(u):
    assert set(u) == USER_KEYS, sorted(u)
    assert isinstance(u["id"], int) and u["id"] > 0
    assert TIME_RE.match(u["registered_at"]), u
    assert u["last_online"] is None or TIME_RE.match(u["last_online"])
    assert isinstance(u["online"], bool)


def check_session(s, user_id):
    assert set(s) == SESSION_KEYS, s
    assert s["user_id"] == user_id
    assert TIME_RE.match(s["expires_at"]), s
    assert s["expires_at"] > time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    # 256 random bits as URL-safe base64 without padding
    assert len(s["token"]) == 43 and s["token"].replace("-", "").replace(
        "_", "").isalnum(), s["token"]


# --- register -----------------------------------------------------------

def test_register_with_login(api):
    login = unique_login("alice")
    r = api.post("/api/v1/users", {"login": login, "password": PASSWORD})
    assert r.status_code == 201, r.text
    assert set(r.j) == {"user", "session"}
    u = r.j["user"]
    check_user(u)
    check_session(r.j["session"], u["id"])
    assert u["login"] == login
    assert u["nick"] == login  # no nick: the login
    for k in ("phone", "email", "first_name", "last_name", "middle_name",
              "status", "language", "avatar", "public_key"):
        assert u[k] is None, (k, u)
    me = api.get("/api/v1/me", token=r.j["session"]["token"])
    assert me.status_code == 200
    assert me.j["id"] == u["id"] and me.j["login"] == login


def test_register_with_all_fields(api):
    login, phone = unique_login("bob"), unique_phone()
    r = api.post("/api/v1/users", {"login": login, "password": PASSWORD,
                                   "nick": "Bob B.", "email": "bob@example.org",
                                   "phone": phone})
    assert r.status_code == 201, r.text
    u = r.j["user"]
    check_user(u)
    assert (u["login"], u["nick"], u["email"], u["phone"]) == \
        (login, "Bob B.", "bob@example.org", phone)


@pytest.mark.parametrize("form", [0, 1, 2], ids=["e164", "spaced", "object"])
def test_register_with_phone(api, form):
    phone = unique_phone()
    r = api.post("/api/v1/users", {"phone": phone_forms(phone)[form],
                                   "password": PASSWORD})
    assert r.status_code == 201, r.text
    u = r.j["user"]
    check_user(u)
    assert u["phone"] == phone  # stored as E.164
    assert u["login"] is None
    assert u["nick"] == phone  # no nick, no login: the phone
    check_session(r.j["session"], u["id"])


@pytest.mark.parametrize("phone", [
    "79991234567",                       # no +
    "+7 999",                            # too short
    "+0 999 123 45 67",                  # country code 0
    "+7999123456789012",                 # 16 digits
    "+7 ((999) 123-45-67",               # parentheses twice
    "+7 (999 123-45-67",                 # unclosed parenthesis
    "+7--9991234567",                    # separators twice
    "+7999123456a",                      # a letter
    "",
    12345678901,                         # not a string
    ["+79991234567"],
    {"area_code": "7"},                  # no number
    {"number": "9991234567"},            # no area code
    {"area_code": "x", "number": "9991234567"},
    {"area_code": "7", "number": 9991234567},
], ids=lambda p: repr(p)[:30])
def test_register_invalid_phone(api, phone):
    r = api.post("/api/v1/users", {"phone": phone, "password": PASSWORD})
    expect_error(r, 400, "invalid_phone", "phone")


def test_login_taken(api):
    login = unique_login("carol")
    api.register(login=login)
    r = api.post("/api/v1/users", {"login": login, "password": PASSWORD})
    expect_error(r, 409, "login_taken", "login")
    # logins differ from each other regardless of case
    r = api.post("/api/v1/users", {"login": login.upper(),
                                   "password": PASSWORD})
    expect_error(r, 409, "login_taken", "login")


def test_phone_taken(api):
    phone = unique_phone()
    api.register(phone=phone)
    for form in phone_forms(phone):
        r = api.post("/api/v1/users", {"phone": form, "password": PASSWORD,
                                       "login": unique_login()})
        expect_error(r, 409, "phone_taken", "phone")


def test_register_missing_fields(api):
    r = api.post("/api/v1/users", {"login": unique_login()})
    expect_error(r, 400, "missing_field", "password")
    r = api.post("/api/v1/users", {"password": PASSWORD, "nick": "x"})
    err = expect_error(r, 400, "missing_field")
    assert err.get("field") in ("login", "phone"), err
    r = api.post("/api/v1/users", {})
    expect_error(r, 400, "missing_field")


@pytest.mark.parametrize("body,field", [
    ({"password": "1234567"}, "password"),             # 7 characters
    ({"password": "x" * 1025}, "password"),
    ({"password": 12345678}, "password"),
    ({"password": None}, "password"),
    ({"login": "a b"}, "login"),
    ({"login": "ab"}, "login"),                         # too short
    ({"login": "x" * 33}, "login"),                     # too long
    ({"login": "123456"}, "login"),                     # no letter
    ({"login": "al/ice"}, "login"),
    ({"login": "-alice"}, "login"),                     # starts with a sign
    ({"login": "al\u00efce"}, "login"),
    ({"login": 123}, "login"),
    ({"login": ["alice"]}, "login"),
    ({"nick": 5}, "nick"),
    ({"nick": ""}, "nick"),
    ({"nick": "bell\u0007"}, "nick"),                   # a control character
    ({"nick": "x" * 129}, "nick"),
    ({"email": "not-an-email"}, "email"),
    ({"email": 5}, "email"),
    ({"favourite_colour": "blue"}, "favourite_colour"),  # unknown field
])
def test_register_invalid_field(api, body, field):
    full = {"login": unique_login(), "password": PASSWORD}
    full.update(body)
    r = api.post("/api/v1/users", full)
    expect_error(r, 400, "invalid_field", field)


# --- sign in and out ----------------------------------------------------

@pytest.fixture
def person(api):
    """A user with a login and a phone: (user, token, login, phone)."""
    login, phone = unique_login("p"), unique_phone()
    user, token = api.register(login=login, phone=phone)
    return user, token, login, phone


def test_login_by_login(api, person):
    user, token, login, _ = person
    r = api.login(login=login)
    assert r.status_code == 201, r.text
    check_session(r.j, user["id"])
    assert r.j["token"] != token
    for t in (token, r.j["token"]):  # both sessions work
        me = api.get("/api/v1/me", token=t)
        assert me.status_code == 200 and me.j["id"] == user["id"]
    # case does not matter
    r = api.login(login=login.upper())
    assert r.status_code == 201 and r.j["user_id"] == user["id"]


def test_login_by_phone(api, person):
    user, _, _, phone = person
    for form in phone_forms(phone):
        r = api.login(phone=form)
        assert r.status_code == 201, (form, r.text)
        check_session(r.j, user["id"])


def test_login_wrong_password(api, person):
    user, _, login, phone = person
    r = api.login(login=login, password=PASSWORD + "x")
    expect_error(r, 401, "invalid_credentials")
    r = api.login(phone=phone, password="short")
    expect_error(r, 401, "invalid_credentials")


def test_login_unknown_user(api):
    r = api.login(login=unique_login("ghost"))
    expect_error(r, 401, "invalid_credentials")
    r = api.login(phone=unique_phone())
    expect_error(r, 401, "invalid_credentials")


def test_login_bad_requests(api):
    r = api.post("/api/v1/sessions", {"login": "someone"})
    expect_error(r, 400, "missing_field", "password")
    r = api.post("/api/v1/sessions", {"password": PASSWORD})
    expect_error(r, 400, "missing_field")
    r = api.post("/api/v1/sessions", {"login": "someone", "password": 5})
    expect_error(r, 400, "invalid_field", "password")
    r = api.post("/api/v1/sessions", {"login": "someone",
                                      "password": PASSWORD, "nick": "x"})
    expect_error(r, 400, "invalid_field", "nick")
    r = api.post("/api/v1/sessions", {"phone": "12345", "password": PASSWORD})
    expect_error(r, 400, "invalid_phone", "phone")


def test_logout(api, person):
    user, token, login, _ = person
    other = api.login(login=login).j["token"]
    r = api.delete("/api/v1/sessions/current", token=token)
    assert r.status_code == 204
    assert r.content == b""
    assert "Content-Type" not in r.headers
    r = api.get("/api/v1/me", token=token)
    expect_error(r, 401, "invalid_token")
    r = api.delete("/api/v1/sessions/current", token=token)
    expect_error(r, 401, "invalid_token")
    # only that session ended
    r = api.get("/api/v1/me", token=other)
    assert r.status_code == 200 and r.j["id"] == user["id"]


# --- rate limits (a front of their own, with short windows) -------------

def test_rate_limits(make_front, front_kind):
    """Registrations per address, failed sign-ins per identity and per
    address (ten times the per-identity limit): 429 with Retry-After, and
    all is well again once the windows have passed. One front and one wait
    for all three, to keep the suite fast."""
    c = make_front(front_kind, ["--login-max-failures", "2",
                                "--login-window", "2", "--register-max", "2",
                                "--register-window", "2"], label="ratelimit")
    ends = []  # when each 429 said it would end

    def limited(r):
        expect_error(r, 429, "rate_limited")
        retry = int(r.headers["Retry-After"])
        assert 1 <= retry <= 2, retry
        ends.append(time.monotonic() + retry)

    # registrations: two per window
    a, b = unique_login("rla"), unique_login("rlb")
    user_a, _ = c.register(login=a)
    user_b, _ = c.register(login=b)
    late = unique_login("rlc")
    limited(c.post("/api/v1/users", {"login": late, "password": PASSWORD}))

    # a success clears the identity's count
    expect_error(c.login(login=a, password="wrong-password"), 401,
                 "invalid_credentials")
    assert c.login(login=a).status_code == 201
    # per identity: two failures, then even the right password waits
    for _ in range(2):
        expect_error(c.login(login=a, password="wrong-password"), 401,
                     "invalid_credentials")
    limited(c.login(login=a))
    limited(c.login(login=a.upper()))  # the same identity in other case
    # other identities are not held up
    assert c.login(login=b).status_code == 201

    # per address: 20 failures (3 so far) from any identities
    for _ in range(17):
        expect_error(c.login(login=unique_login("ghost")), 401,
                     "invalid_credentials")
    limited(c.login(login=b))

    time.sleep(max(ends) - time.monotonic() + 0.2)
    r = c.login(login=a)
    assert r.status_code == 201 and r.j["user_id"] == user_a["id"], r.text
    r = c.login(login=b)
    assert r.status_code == 201 and r.j["user_id"] == user_b["id"], r.text
    c.register(login=late)


# --- the profile --------------------------------------------------------

def test_me(api, person):
    user, token, login, phone = person
    r = api.get("/api/v1/me", token=token)
    assert r.status_code == 200
    check_user(r.j)
    assert r.j["id"] == user["id"]
    assert r.j["login"] == login and r.j["phone"] == phone
    assert r.j["registered_at"] == user["registered_at"]


def test_me_authtoken_alias(api):
    user, token = api.shared_user()
    r = api.get("/api/v1/me", headers={"authToken": token})
    assert r.status_code == 200 and r.j["id"] == user["id"]
    r = api.get("/api/v1/me", headers={"authToken": token + "x"})
    expect_error(r, 401, "invalid_token")


def test_patch_me(api):
    user, token = api.register()
    phone = unique_phone()
    key = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQ\n-----END PUBLIC KEY-----\n"
    change = {"nick": "Zoë 🦊", "status": "at lunch", "email": "z@example.org",
              "phone": phone_forms(phone)[1], "language": "ru-RU",
              "public_key": key, "first_name": "Zoë", "last_name": "Smith",
              "middle_name": "Q."}
    r = api.patch("/api/v1/me", change, token=token)
    assert r.status_code == 200, r.text
    check_user(r.j)
    want = dict(change, phone=phone)
    for k, v in want.items():
        assert r.j[k] == v, (k, r.j)
    assert r.j["login"] == user["login"]
    me = api.get("/api/v1/me", token=token).j
    assert me == r.j
    # the phone is now a way in
    assert api.login(phone=phone).status_code == 201

    # null clears; fields not named stay
    clear = {k: None for k in ("status", "email", "phone", "language",
                               "public_key", "first_name", "last_name",
                               "middle_name")}
    r = api.patch("/api/v1/me", clear, token=token)
    assert r.status_code == 200, r.text
    for k in clear:
        assert r.j[k] is None, (k, r.j)
    assert r.j["nick"] == "Zoë 🦊"
    expect_error(api.login(phone=phone), 401, "invalid_credentials")
    # an empty change changes nothing
    r = api.patch("/api/v1/me", {}, token=token)
    assert r.status_code == 200 and r.j == api.get("/api/v1/me",
                                                   token=token).j


@pytest.mark.parametrize("form", [0, 2], ids=["e164", "object"])
def test_patch_me_phone_forms(api, form):
    _, token = api.register()
    phone = unique_phone()
    r = api.patch("/api/v1/me", {"phone": phone_forms(phone)[form]},
                  token=token)
    assert r.status_code == 200 and r.j["phone"] == phone, r.text


def test_patch_me_phone_taken(api, person):
    _, token_a, _, phone_a = person
    _, token_b = api.register(phone=unique_phone())
    before = api.get("/api/v1/me", token=token_b).j
    r = api.patch("/api/v1/me", {"phone": phone_forms(phone_a)[1],
                                 "nick": "Thief"}, token=token_b)
    expect_error(r, 409, "phone_taken", "phone")
    assert api.get("/api/v1/me", token=token_b).j == before  # nothing changed
    # one's own number again is fine
    r = api.patch("/api/v1/me", {"phone": phone_a}, token=token_a)
    assert r.status_code == 200 and r.j["phone"] == phone_a


@pytest.mark.parametrize("body,code,field", [
    ({"email": "nope"}, "invalid_field", "email"),
    ({"email": "a@"}, "invalid_field", "email"),
    ({"nick": None}, "invalid_field", "nick"),
    ({"nick": ""}, "invalid_field", "nick"),
    ({"nick": "x" * 129}, "invalid_field", "nick"),
    ({"status": "x" * 513}, "invalid_field", "status"),
    ({"status": 5}, "invalid_field", "status"),
    ({"language": ["ru"]}, "invalid_field", "language"),
    ({"public_key": {"kty": "EC"}}, "invalid_field", "public_key"),
    ({"first_name": "line\nbreak"}, "invalid_field", "first_name"),
    ({"login": "newlogin"}, "invalid_field", "login"),
    ({"password": "newpassword"}, "invalid_field", "password"),
    ({"avatar": None}, "invalid_field", "avatar"),
    ({"phone": "8 999 123 45 67"}, "invalid_phone", "phone"),
    ({"phone": {"area_code": "7"}}, "invalid_phone", "phone"),
])
def test_patch_me_invalid(api, body, code, field):
    user, token = api.shared_user()
    before = api.get("/api/v1/me", token=token).j
    r = api.patch("/api/v1/me", dict(body, status="should not be stored")
                  if "status" not in body else body, token=token)
    expect_error(r, 400, code, field)
    assert api.get("/api/v1/me", token=token).j == before


def test_patch_me_needs_auth(api):
    r = api.patch("/api/v1/me", {"nick": "x"})
    expect_error(r, 401, "auth_required")


# --- other users --------------------------------------------------------

def test_user_get(api, person):
    owner, owner_token, login, phone = person
    api.patch("/api/v1/me", {"email": "owner@example.org", "status": "hi"},
              token=owner_token)
    viewer, viewer_token = api.shared_user()
    r = api.get(f"/api/v1/users/{owner['id']}", token=viewer_token)
    assert r.status_code == 200
    check_user(r.j)
    assert r.j["id"] == owner["id"] and r.j["login"] == login
    assert r.j["status"] == "hi"
    # phone and e-mail: only for the user (and, later, their contacts)
    assert r.j["phone"] is None and r.j["email"] is None
    r = api.get(f"/api/v1/users/{owner['id']}", token=owner_token)
    assert r.j["phone"] == phone and r.j["email"] == "owner@example.org"
    assert r.j == api.get("/api/v1/me", token=owner_token).j


def test_user_not_found(api):
    _, token = api.shared_user()
    r = api.get("/api/v1/users/999999999", token=token)
    err = expect_error(r, 404, "user_not_found", "id")
    assert "999999999" in err["message"]
    for bad in ("0", "abc", "-1", "1.5", "01", "9" * 19):
        r = api.get(f"/api/v1/users/{bad}", token=token)
        expect_error(r, 404, "not_found")


def test_user_get_needs_auth(api):
    user, _ = api.shared_user()
    r = api.get(f"/api/v1/users/{user['id']}")
    expect_error(r, 401, "auth_required")
