"""test_service.py: GET /api/v1, /health, /ping, the request id, the
headers every response carries, and the browser client's static files."""
import datetime
import os
import re

from conftest import ROOT, TIME_RE, WELCOME, expect_error


def makefile_version():
    with open(os.path.join(ROOT, "Makefile")) as f:
        m = re.search(r"^VERSION\s*:?=\s*(\S+)", f.read(), re.M)
    assert m, "no VERSION in the Makefile"
    return m.group(1)


def assert_recent(stamp):
    """stamp is RFC 3339 UTC with milliseconds and within a minute of now."""
    assert TIME_RE.match(stamp), stamp
    t = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - t).total_seconds()) < 60, (stamp, now)


def test_service_info(api):
    r = api.get("/api/v1")
    assert r.status_code == 200
    assert set(r.j) == {"name", "version", "welcome", "time"}, r.j
    assert r.j["name"] == "parley"
    assert r.j["version"] == makefile_version()
    assert r.j["welcome"] == WELCOME  # given with --welcome
    assert_recent(r.j["time"])
    assert r.headers.get("Cache-Control") == "no-store"


def test_health(api):
    r = api.get("/api/v1/health")
    assert r.status_code == 200
    assert r.j == {"ok": True}


def test_ping(api):
    r = api.get("/api/v1/ping")
    assert r.status_code == 200
    assert set(r.j) == {"time"}
    assert_recent(r.j["time"])


def test_trailing_slash_is_forgiven(api):
    r = api.get("/api/v1/ping/")
    assert r.status_code == 200 and "time" in r.j


def test_query_string_is_not_part_of_the_path(api):
    r = api.get("/api/v1/ping?x=1&y=%20")
    assert r.status_code == 200 and "time" in r.j


def test_head(api):
    r = api.request("HEAD", "/api/v1/ping")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"


def test_request_id_generated(api):
    a = api.get("/api/v1/ping").headers["X-Request-Id"]
    b = api.get("/api/v1/ping").headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{24}", a), a
    assert a != b


def test_request_id_echoed_from_header(api):
    r = api.get("/api/v1/ping", headers={"X-Request-Id": "client-42:a/b+c=."})
    assert r.headers["X-Request-Id"] == "client-42:a/b+c=."
    # and in the error body
    r = api.get("/api/v1/no-such-thing", headers={"X-Request-Id": "abc-123"})
    err = expect_error(r, 404, "not_found")
    assert err["request_id"] == "abc-123"
    assert r.headers["X-Request-Id"] == "abc-123"


def test_request_id_not_echoed_when_unsafe(api):
    for bad in ("has space", "x" * 65, 'quote"', "semi;colon", "ü"):
        r = api.get("/api/v1/ping",
                    headers={"X-Request-Id": bad.encode("utf-8")})
        rid = r.headers["X-Request-Id"]
        assert rid != bad and re.fullmatch(r"[0-9a-f]{24}", rid), (bad, rid)


def test_request_id_from_body_transaction(api):
    r = api.post("/api/v1/sessions", {"login": "nobody-tx", "password": "x",
                                      "transaction": "tx-7"})
    err = expect_error(r, 401, "invalid_credentials")
    assert err["request_id"] == "tx-7"
    assert r.headers["X-Request-Id"] == "tx-7"
    # socket-api sends a number
    r = api.post("/api/v1/sessions", {"transaction": 4711})
    err = expect_error(r, 400, "missing_field")
    assert err["request_id"] == "4711" == r.headers["X-Request-Id"]


def test_request_id_header_wins_over_transaction(api):
    r = api.post("/api/v1/sessions", {"transaction": "from-body"},
                 headers={"X-Request-Id": "from-header"})
    err = expect_error(r, 400, "missing_field")
    assert err["request_id"] == "from-header" == r.headers["X-Request-Id"]


def test_request_id_on_success_with_transaction(api):
    user, token = api.shared_user()
    r = api.patch("/api/v1/me", {"transaction": "patch-1"}, token=token)
    assert r.status_code == 200, r.text
    assert r.headers["X-Request-Id"] == "patch-1"


def test_static_index(api):
    r = api.get("/", check=False)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    with open(os.path.join(ROOT, "www", "index.html"), "rb") as f:
        assert r.content == f.read()
    r = api.get("/index.html", check=False)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith(
        "text/html")


def test_static_missing_is_json(api):
    for path in ("/no-such-file.txt", "/no/such/dir/", "/.hidden", "/api",
                 "/apix"):
        r = api.get(path)
        expect_error(r, 404, "not_found")


def test_static_wrong_method_is_json(api):
    for path in ("/", "/index.html", "/no-such-file"):
        r = api.post(path, {"a": 1})
        expect_error(r, 405, "method_not_allowed")
        assert [m.strip() for m in r.headers["Allow"].split(",")] == \
            ["GET", "HEAD"]
