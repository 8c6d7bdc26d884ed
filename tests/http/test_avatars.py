"""Avatars: PUT /me/avatar (raw bytes or base64 JSON; the type is read
from the bytes), GET /users/{id}/avatar (type, ETag, caching, 304),
DELETE /me/avatar, the User's avatar URL, user.updated, and every
refusal: not an image (415), truncated (400), too many bytes or pixels
(413 avatar_too_large)."""
import base64
import re

from conftest import check_response, expect_error
import images
from helpers_chat import direct, drain, cursor, of_type

KiB = 1024
URL_RE = re.compile(r"^/api/v1/users/(\d+)/avatar\?v=([0-9a-f]{32})$")


def put_raw(api, token, data, content_type="application/octet-stream"):
    return api.request("PUT", "/api/v1/me/avatar", data=data, token=token,
                       headers={"Content-Type": content_type})


def put_b64(api, token, data):
    return api.request("PUT", "/api/v1/me/avatar", token=token, json_body={
        "image_base64": base64.b64encode(data).decode()})


def fetch(api, url, token, **headers):
    """GETs an avatar (not JSON: checked here by hand)."""
    r = api.get(url, token=token, headers=headers, check=False)
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    assert r.headers.get("X-Request-Id")
    return r


def test_png_round_trip(api):
    a, ta = api.register()
    b, tb = api.register()
    png = images.png(5, 4)
    # The declared type is ignored: the bytes say PNG.
    r = put_raw(api, ta, png, "application/octet-stream")
    assert r.status_code == 200, r.text
    url = r.j["avatar"]
    m = URL_RE.match(url)
    assert m and int(m.group(1)) == a["id"], url
    etag = m.group(2)
    assert api.get(f"/api/v1/users/{a['id']}", token=tb).j["avatar"] == url
    assert api.get("/api/v1/me", token=ta).j["avatar"] == url

    # Another user of the site fetches it by its versioned URL.
    r = fetch(api, url, tb)
    assert r.status_code == 200
    assert r.content == png
    assert r.headers["Content-Type"] == "image/png"
    assert r.headers["ETag"] == f'"{etag}"'
    assert r.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    # Without the version: the same bytes, revalidated each time.
    plain = f"/api/v1/users/{a['id']}/avatar"
    r = fetch(api, plain, tb)
    assert r.content == png and r.headers["Cache-Control"] == "private, no-cache"
    # Revalidation: 304 with no body, for the ETag in any form.
    for inm in (f'"{etag}"', f'W/"{etag}"', f'"other", "{etag}"', "*"):
        r = fetch(api, plain, tb, **{"If-None-Match": inm})
        assert r.status_code == 304, (inm, r.status_code)
        assert r.content == b""
        assert r.headers["ETag"] == f'"{etag}"'
    r = fetch(api, plain, tb, **{"If-None-Match": '"0123"'})
    assert r.status_code == 200 and r.content == png
    r = api.request("HEAD", plain, token=tb, check=False)
    assert r.status_code == 200 and r.content == b""
    assert r.headers["Content-Type"] == "image/png"
    # Only signed-in users fetch avatars.
    expect_error(api.get(plain), 401, "auth_required")


def test_jpeg_gif_webp_and_base64(api):
    a, ta = api.register()
    seen = set()
    for data, mime, how in ((images.jpeg(), "image/jpeg", "raw"),
                            (images.jpeg(), "image/jpeg", "b64"),
                            (images.gif(), "image/gif", "raw"),
                            (images.webp(), "image/webp", "b64"),
                            (images.png(), "image/png", "raw")):
        # A JPEG declared as PNG is still a JPEG.
        r = put_raw(api, ta, data, "image/png") if how == "raw" else \
            put_b64(api, ta, data)
        assert r.status_code == 200, r.text
        url = r.j["avatar"]
        seen.add(url)
        got = fetch(api, url, ta)
        assert got.status_code == 200
        assert (got.headers["Content-Type"], got.content) == (mime, data)
    # Each different image is a new URL; the same one the same.
    assert len(seen) == 4
    # An old URL serves the current image, but never as immutable.
    old = next(u for u in seen if u != url)
    r = fetch(api, old, ta)
    assert r.content == images.png()
    assert r.headers["Cache-Control"] == "private, no-cache"


def test_refusals(api):
    a, ta = api.register()
    assert put_raw(api, ta, images.gif()).status_code == 200
    before = api.get("/api/v1/me", token=ta).j["avatar"]

    # A text file renamed avatar.png: not an image, whatever it says.
    text = b"hello, I am a text file called avatar.png\n" * 3
    expect_error(put_raw(api, ta, text, "image/png"), 415,
                 "unsupported_media_type")
    expect_error(put_b64(api, ta, text), 415, "unsupported_media_type",
                 "image_base64")
    expect_error(put_raw(api, ta, b"<svg xmlns='http://www.w3.org/2000/svg'/>",
                         "image/svg+xml"), 415, "unsupported_media_type")
    # Truncated images.
    for data in (images.png()[:40], images.jpeg()[:100], images.gif()[:20],
                 images.webp()[:30], images.png()[:5]):
        expect_error(put_raw(api, ta, data, "image/png"), 400,
                     "invalid_field")
    expect_error(put_b64(api, ta, images.jpeg()[:-2]), 400, "invalid_field",
                 "image_base64")
    # Over 256 KiB: a real PNG with bytes after it.
    big = images.png() + b"\0" * (256 * KiB)
    expect_error(put_raw(api, ta, big), 413, "avatar_too_large")
    expect_error(put_b64(api, ta, big), 413, "avatar_too_large",
                 "image_base64")
    # Just at the limit is fine (trailing bytes are ignored).
    edge = images.png() + b"\0" * (256 * KiB - len(images.png()))
    assert put_raw(api, ta, edge).status_code == 200
    assert put_raw(api, ta, images.gif()).status_code == 200
    # A pixel flood: a small file that declares 100000 x 100000, and a
    # side just over the bound.
    for size in ((100000, 100000), (4097, 1), (1, 4097)):
        flood = images.png(2, 2, size=size)
        assert len(flood) < 200
        err = expect_error(put_raw(api, ta, flood), 413, "avatar_too_large")
        assert "pixels" in err["message"]
    assert put_raw(api, ta, images.png(1, 1, size=(4096, 4096))).status_code \
        == 200
    assert put_raw(api, ta, images.gif()).status_code == 200
    # Bodies that are no image at all.
    expect_error(put_raw(api, ta, b""), 400, "missing_field")
    expect_error(api.request("PUT", "/api/v1/me/avatar", token=ta,
                             json_body={"image_base64": "***"}),
                 400, "invalid_field", "image_base64")
    expect_error(api.request("PUT", "/api/v1/me/avatar", token=ta,
                             json_body={"image": "x"}),
                 400, "invalid_field", "image")
    expect_error(api.request("PUT", "/api/v1/me/avatar", token=ta,
                             json_body={}), 400, "missing_field",
                 "image_base64")
    expect_error(put_raw(api, ta, b'{"image_base64": ', "text/plain"), 400,
                 "invalid_json")
    expect_error(put_raw(api, None, images.png()), 401, "auth_required")
    # None of that changed the avatar.
    assert api.get("/api/v1/me", token=ta).j["avatar"] == before


def test_delete(api):
    a, ta = api.register()
    b, tb = api.register()
    url = put_raw(api, ta, images.png()).j["avatar"]
    r = api.delete("/api/v1/me/avatar", token=ta)
    assert r.status_code == 204
    assert api.get("/api/v1/me", token=ta).j["avatar"] is None
    assert api.get(f"/api/v1/users/{a['id']}", token=tb).j["avatar"] is None
    r = api.get(url, token=tb)
    expect_error(r, 404, "not_found")
    # Deleting what is not there is done already.
    assert api.delete("/api/v1/me/avatar", token=ta).status_code == 204
    expect_error(api.get("/api/v1/users/999999999/avatar", token=tb), 404,
                 "user_not_found", "id")
    expect_error(api.delete("/api/v1/me/avatar"), 401, "auth_required")


def test_changes_reach_watchers(api):
    a, ta = api.register()
    b, tb = api.register()
    direct(api, ta, b["id"])
    after = cursor(api, tb)
    url = put_raw(api, ta, images.jpeg()).j["avatar"]
    events, after = drain(api, tb, after, wait_for="user.updated")
    mine = [u for u in of_type(events, "user.updated") if u["id"] == a["id"]]
    assert mine and mine[-1]["avatar"] == url
    assert api.delete("/api/v1/me/avatar", token=ta).status_code == 204
    events, after = drain(api, tb, after, wait_for="user.updated")
    mine = [u for u in of_type(events, "user.updated") if u["id"] == a["id"]]
    assert mine and mine[-1]["avatar"] is None
    # A delete of nothing tells no one.
    assert api.delete("/api/v1/me/avatar", token=ta).status_code == 204
    events, _ = drain(api, tb, after)
    assert of_type(events, "user.updated") == []


def test_wrong_methods(api):
    _, t = api.register()
    r = api.request("POST", "/api/v1/me/avatar", token=t)
    err = expect_error(r, 405, "method_not_allowed")
    assert {m.strip() for m in r.headers["Allow"].split(",")} == \
        {"PUT", "DELETE"}
    r = api.request("PUT", "/api/v1/users/1/avatar", token=t)
    expect_error(r, 405, "method_not_allowed")
    check_response(r)
