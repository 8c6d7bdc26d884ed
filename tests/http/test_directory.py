"""The user directory: GET /users by phone, login, name prefix, paged.
(online=true is tested with presence in test_events.py.)"""
from conftest import expect_error, phone_forms, unique_login, unique_phone


def test_find_by_phone_login_and_prefix(api):
    me, t = api.register()
    phone = unique_phone()
    stem = unique_login("dir")
    a, _ = api.register(login=stem + "a", phone=phone, nick="Zed " + stem)
    b, _ = api.register(login=stem + "b")
    r = api.get(f"/api/v1/users?phone={phone.replace('+', '%2B')}", token=t)
    assert [u["id"] for u in r.j["users"]] == [a["id"]]
    assert r.j["users"][0]["phone"] is None  # not my contact
    form = phone_forms(phone)[1].replace("+", "%2B").replace(" ", "%20")
    r = api.get(f"/api/v1/users?phone={form}", token=t)
    assert [u["id"] for u in r.j["users"]] == [a["id"]]
    r = api.get(f"/api/v1/users?login={stem.upper()}b", token=t)
    assert [u["id"] for u in r.j["users"]] == [b["id"]]
    r = api.get(f"/api/v1/users?q={stem}", token=t)
    assert [u["id"] for u in r.j["users"]] == [a["id"], b["id"]]
    r = api.get(f"/api/v1/users?q=Zed%20{stem}", token=t)  # a nick prefix
    assert [u["id"] for u in r.j["users"]] == [a["id"]]
    r = api.get(f"/api/v1/users?q={stem}&limit=1", token=t)
    assert [u["id"] for u in r.j["users"]] == [a["id"]]
    r = api.get(f"/api/v1/users?q={stem}&limit=1&after={a['id']}", token=t)
    assert [u["id"] for u in r.j["users"]] == [b["id"]]
    r = api.get("/api/v1/users?q=%25", token=t)  # % is no wildcard
    assert r.j["users"] == []


def test_directory_errors(api):
    _, t = api.register()
    expect_error(api.get("/api/v1/users", token=t), 400, "missing_field")
    expect_error(api.get("/api/v1/users?phone=123", token=t), 400,
                 "invalid_phone", "phone")
    expect_error(api.get("/api/v1/users?online=yes", token=t), 400,
                 "invalid_field", "online")
    expect_error(api.get("/api/v1/users?q=x&limit=0", token=t), 400,
                 "invalid_field")
    expect_error(api.get("/api/v1/users?q=x"), 401, "auth_required")
