"""CORS: preflights (OPTIONS) and answers to pages of allowed origins get
Access-Control-Allow-Origin (and the rest); any other origin gets none of
those headers. Origins come from --cors-origins (every caller) and from
each site (parley-admin tenant origins: that site's users, and callers not
signed in)."""
import pytest

from conftest import expect_error
from test_admin import admin, migrated
from test_tenants import SESSIONS, add_site

GLOBAL = "https://global.example"
ONE = "https://one.example"
TWO = "http://localhost:3000"
GONE = "https://gone.example"
CORS_HEADERS = ("Access-Control-Allow-Origin", "Access-Control-Allow-Methods",
                "Access-Control-Allow-Headers", "Access-Control-Max-Age",
                "Access-Control-Expose-Headers", "Vary")
ASKED = ["Authorization", "authToken", "Content-Type", "X-Chat-Key",
         "X-Request-Id", "Idempotency-Key"]


def no_cors(r):
    present = [h for h in CORS_HEADERS if h in r.headers]
    assert not present, (present, dict(r.headers))


def allowed(r, origin):
    assert r.headers.get("Access-Control-Allow-Origin") == origin, \
        dict(r.headers)
    assert r.headers.get("Vary") == "Origin"


def split(v):
    return {x.strip() for x in v.split(",")}


@pytest.fixture
def sites(tmp_path, make_front, front_kind):
    """A front with --cors-origins GLOBAL and three sites: one (ONE), two
    (TWO), and a revoked one (GONE); returns (client, keys)."""
    db, _ = migrated(tmp_path)
    keys = {}
    for name, origin in (("one", ONE), ("two", TWO), ("gone", GONE)):
        keys[name] = add_site(db, name)[1]
        admin(db, "tenant", "origins", name, origin)
    admin(db, "tenant", "revoke", "gone")
    c = make_front(front_kind, ["--cors-origins", GLOBAL + " https://x.example"],
                   db=db)
    return c, keys


def preflight(c, path, origin, method="POST", headers=None):
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        h["Access-Control-Request-Headers"] = headers
    return c.request("OPTIONS", path, headers=h)


def test_preflight(sites):
    c, _ = sites
    for origin in (ONE, TWO, GLOBAL, "https://x.example",
                   "HTTPS://ONE.EXAMPLE"):
        r = preflight(c, "/api/v1/me", origin, "PATCH",
                      "authorization, content-type")
        assert r.status_code == 204 and r.content == b""
        allowed(r, origin)
        assert split(r.headers["Access-Control-Allow-Methods"]) == \
            {"GET", "PATCH"}
        assert split(r.headers["Access-Control-Allow-Headers"]) == set(ASKED)
        assert r.headers["Access-Control-Max-Age"] == "600"
        assert split(r.headers["Allow"]) == {"GET", "PATCH"}
    # every path of the API answers OPTIONS, with its own methods
    for path, methods in (("/api/v1/contacts/5", {"PUT", "DELETE"}),
                          ("/api/v1/chats/7/messages", {"GET", "POST"}),
                          (SESSIONS, {"POST"}), ("/api/v1", {"GET"}),
                          ("/api/v1/me/avatar", {"PUT", "DELETE"})):
        r = preflight(c, path, ONE)
        allowed(r, ONE)
        assert split(r.headers["Access-Control-Allow-Methods"]) == methods
    # a path that does not exist is still 404
    expect_error(preflight(c, "/api/v1/nope", ONE), 404, "not_found")


def test_preflight_from_other_origins(sites):
    c, _ = sites
    for origin in ("https://evil.example", GONE, "null",
                   "https://one.example.evil.example", "https://one.example:8443",
                   "http://one.example", ONE + "/", "https://global.example.",
                   ""):
        r = preflight(c, "/api/v1/me", origin, "PATCH")
        assert r.status_code == 204
        no_cors(r)
        assert split(r.headers["Allow"]) == {"GET", "PATCH"}
    # OPTIONS without Origin, or without a requested method: no preflight
    r = c.request("OPTIONS", "/api/v1/me")
    assert r.status_code == 204 and split(r.headers["Allow"]) == \
        {"GET", "PATCH"}
    no_cors(r)
    r = c.request("OPTIONS", "/api/v1/me", headers={"Origin": ONE})
    assert r.status_code == 204
    assert "Access-Control-Allow-Methods" not in r.headers


def test_requests(sites):
    c, keys = sites
    s1 = c.post(SESSIONS, {"user": {"id": 1, "name": "One"}},
                headers={"X-Chat-Key": keys["one"], "Origin": ONE})
    assert s1.status_code == 201
    allowed(s1, ONE)
    assert split(s1.headers["Access-Control-Expose-Headers"]) == \
        {"ETag", "Retry-After", "X-Request-Id"}
    t1 = s1.j["token"]
    # the session of site one, asked from site two's page: not readable
    r = c.post(SESSIONS, {"user": {"id": 1, "name": "One"}},
               headers={"X-Chat-Key": keys["one"], "Origin": TWO})
    assert r.status_code == 200
    no_cors(r)
    # a user of site one: its own site's origin and the global ones
    for origin in (ONE, GLOBAL):
        r = c.get("/api/v1/me", token=t1, headers={"Origin": origin})
        assert r.status_code == 200
        allowed(r, origin)
    for origin in (TWO, GONE, "https://evil.example"):
        no_cors(c.get("/api/v1/me", token=t1, headers={"Origin": origin}))
    # a user of the open registration: the global origins only
    o = c.post("/api/v1/users", {"login": "opener", "password": "long enough"},
               headers={"Origin": TWO})
    assert o.status_code == 201
    allowed(o, TWO)  # not signed in yet: any site's origin
    to = o.j["session"]["token"]
    allowed(c.get("/api/v1/me", token=to, headers={"Origin": GLOBAL}),
            GLOBAL)
    for origin in (ONE, TWO):
        no_cors(c.get("/api/v1/me", token=to, headers={"Origin": origin}))
    # errors carry the headers too, so that a page can read them
    r = c.get("/api/v1/users/999999", token=t1, headers={"Origin": ONE})
    expect_error(r, 404, "user_not_found")
    allowed(r, ONE)
    r = c.get("/api/v1/me", headers={"Origin": TWO})
    expect_error(r, 401, "auth_required")
    allowed(r, TWO)
    r = c.post(SESSIONS, {"user": {"id": 1, "name": "x"}},
               headers={"X-Chat-Key": keys["gone"], "Origin": GONE})
    expect_error(r, 401, "invalid_chat_key")
    no_cors(r)
    # no Origin: no CORS headers at all
    no_cors(c.get("/api/v1/me", token=t1))


def test_no_origins_configured(api):
    """The general fronts have no --cors-origins and no sites."""
    for origin in ("https://example.com", api.base):
        no_cors(preflight(api, "/api/v1/me", origin))
        no_cors(api.get("/api/v1", headers={"Origin": origin}))
