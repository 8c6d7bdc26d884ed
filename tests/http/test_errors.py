"""test_errors.py: what every client gets wrong sooner or later: unknown
paths and methods, missing and bad tokens, oversized bodies, bodies that
are not JSON objects, other content types. Also the JSONTestSuite corpus
(shared/corpora/JSONTestSuite/test_parsing), read where it lies."""
import os

import pytest

from conftest import PASSWORD, expect_error, unique_login

MiB = 1024 * 1024
CORPUS = os.environ.get(
    "PARLEY_JSON_CORPUS",
    "/work/shared/corpora/JSONTestSuite/test_parsing")


# --- routing ------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/api/v1/nope", "/api/v2", "/api/v1/users/1/nope", "/api/v1//me",
    "/api/v1/me/avatar/x", "/api", "/api/", "/api/v1/USERS",
])
def test_unknown_path(api, path):
    r = api.get(path)
    expect_error(r, 404, "not_found", None)


@pytest.mark.parametrize("method,path,allow", [
    ("DELETE", "/api/v1/me", {"GET", "PATCH"}),
    ("PUT", "/api/v1", {"GET"}),
    ("POST", "/api/v1/ping", {"GET"}),
    ("PUT", "/api/v1/users", {"POST", "GET"}),
    ("GET", "/api/v1/sessions", {"POST"}),
    ("POST", "/api/v1/sessions/current", {"DELETE"}),
    ("DELETE", "/api/v1/users/7", {"GET"}),
])
def test_wrong_method(api, method, path, allow):
    r = api.request(method, path)
    err = expect_error(r, 405, "method_not_allowed")
    assert method in err["message"]
    got = {m.strip() for m in r.headers["Allow"].split(",")}
    assert got == allow, r.headers["Allow"]


# --- tokens -------------------------------------------------------------

def test_no_token(api):
    for method, path in (("GET", "/api/v1/me"), ("PATCH", "/api/v1/me"),
                         ("DELETE", "/api/v1/sessions/current"),
                         ("GET", "/api/v1/users/1")):
        kw = {"json_body": {}} if method == "PATCH" else {}
        r = api.request(method, path, **kw)
        expect_error(r, 401, "auth_required")
        assert r.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("headers", [
    {"Authorization": "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    {"Authorization": "Bearer "},
    {"Authorization": "Bearer"},
    {"Authorization": "Basic YWxpY2U6c2VjcmV0"},
    {"Authorization": "Token abc"},
    {"authToken": "not-a-token"},
], ids=["unknown", "empty", "bare", "basic", "other-scheme", "authToken"])
def test_bad_token(api, headers):
    r = api.get("/api/v1/me", headers=headers)
    expect_error(r, 401, "invalid_token")
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_token_of_another_front_format(api):
    """A real token, one character changed, is not a token."""
    _, token = api.shared_user()
    bad = token[:-1] + ("A" if token[-1] != "A" else "B")
    expect_error(api.get("/api/v1/me", token=bad), 401, "invalid_token")
    assert api.get("/api/v1/me", token=token).status_code == 200
    # the scheme's case does not matter (RFC 7235)
    r = api.get("/api/v1/me", headers={"Authorization": "bearer " + token})
    assert r.status_code == 200


# --- bodies -------------------------------------------------------------

@pytest.mark.parametrize("size", [8 * MiB + 1, 9 * MiB, 10 * MiB],
                         ids=["8MiB+1", "9MiB", "10MiB"])
def test_body_too_large(api, size):
    """parley refuses a body over 8 MiB; behind nginx, bodies over nginx's
    client_max_body_size (9 MiB) are refused by nginx, as JSON too."""
    r = api.request("POST", "/api/v1/users", data=b" " * size,
                    headers={"Content-Type": "application/json",
                             "X-Request-Id": "big-1"})
    err = expect_error(r, 413, "payload_too_large")
    assert err["request_id"] == "big-1"


def test_body_too_large_chunked(api):
    """Without a Content-Length (chunked), the body is counted as it comes."""
    def chunks():
        for _ in range(9):
            yield b" " * MiB

    r = api.request("POST", "/api/v1/users", data=chunks(),
                    headers={"Content-Type": "application/json"})
    expect_error(r, 413, "payload_too_large")


def test_body_of_8_mib_is_read(api):
    """8 MiB exactly is within the limit: the body is parsed."""
    head, tail = b'{"login":"x","pad":"', b'"}'
    body = head + b"p" * (8 * MiB - len(head) - len(tail)) + tail
    assert len(body) == 8 * MiB
    r = api.request("POST", "/api/v1/users", data=body,
                    headers={"Content-Type": "application/json"})
    expect_error(r, 400, "invalid_field", "pad")


def test_small_chunked_body_is_read(api):
    def chunks():
        yield b'{"login":"'
        yield b'nobody-chunked","password":"x"}'

    r = api.request("POST", "/api/v1/sessions", data=chunks(),
                    headers={"Content-Type": "application/json"})
    expect_error(r, 401, "invalid_credentials")


@pytest.mark.parametrize("body", [
    b"",
    b"{",
    b"}",
    b"not json",
    b'{"login":"a",}',
    b"{'login':'a'}",
    b'{"login":"a"} x',
    b'{"login":"a"}{}',
    b'{"login":"\xff"}',                 # not UTF-8
    b'{"login":"\xc3"}',                 # a cut UTF-8 sequence
    b'{"login":"\xed\xa0\x80"}',         # a UTF-8 encoded surrogate
    b'\xef\xbb\xbf{"login":"a"}',        # a byte order mark
    b'{"login":"a\x00b"}',               # a raw NUL
    b'{"login":"\\u0000"}',              # an escaped NUL
    b'{"login":"\\ud800"}',              # a lone surrogate
    b'{"a":1}\x00',
    b"[1, 2]",
    b'["login", "alice"]',
    b'"a string"',
    b"42",
    b"null",
    b"true",
    b'{"login":"a","login":"b"}',        # a duplicate key
    b'{"password":"12345678","password":"87654321","login":"dup"}',
], ids=lambda b: repr(b)[:40])
def test_invalid_json(api, body):
    r = api.request("POST", "/api/v1/users", data=body,
                    headers={"Content-Type": "application/json"})
    expect_error(r, 400, "invalid_json")


def test_invalid_json_on_patch(api):
    _, token = api.shared_user()
    r = api.request("PATCH", "/api/v1/me", data=b"[]", token=token,
                    headers={"Content-Type": "application/json"})
    expect_error(r, 400, "invalid_json")


@pytest.mark.parametrize("ctype", [
    "text/xml", "application/xml", "multipart/form-data; boundary=x",
    "application/octet-stream", "image/png", "application/jsonx",
])
def test_unsupported_media_type(api, ctype):
    r = api.request("POST", "/api/v1/sessions",
                    data=b'{"login":"a","password":"b"}',
                    headers={"Content-Type": ctype})
    expect_error(r, 415, "unsupported_media_type")


@pytest.mark.parametrize("ctype", [
    None, "application/json", "application/json; charset=utf-8",
    "Application/JSON", "text/plain",
    "application/x-www-form-urlencoded",  # curl -d without -H
])
def test_json_content_types(api, ctype):
    headers = {"Content-Type": ctype} if ctype else {}
    r = api.request("POST", "/api/v1/sessions",
                    data=b'{"login":"nobody-ct","password":"b"}',
                    headers=headers)
    expect_error(r, 401, "invalid_credentials")


# --- JSONTestSuite ------------------------------------------------------

def corpus_files(prefix):
    if not os.path.isdir(CORPUS):
        pytest.skip(f"no JSON corpus at {CORPUS}")
    names = sorted(n for n in os.listdir(CORPUS)
                   if n.startswith(prefix) and n.endswith(".json"))
    assert names, f"no {prefix}*.json in {CORPUS}"
    return names


def read(name):
    with open(os.path.join(CORPUS, name), "rb") as f:
        return f.read()


def test_corpus_rejected(api):
    """Every n_*.json (not JSON) is 400 invalid_json."""
    wrong = []
    for name in corpus_files("n_"):
        r = api.request("POST", "/api/v1/users", data=read(name),
                        headers={"Content-Type": "application/json"})
        if r.status_code != 400 or r.j["error"]["code"] != "invalid_json":
            wrong.append(f"{name}: {r.status_code} {r.text[:100]}")
    assert not wrong, "\n".join(wrong)


# Valid JSON that parley refuses on purpose: duplicate keys (which value
# would count?) and NUL characters in strings (C strings end there).
REFUSED_ON_PURPOSE = {
    "y_object_duplicated_key.json",
    "y_object_duplicated_key_and_value.json",
    "y_object_escaped_null_in_key.json",
}


def test_corpus_objects_accepted(api):
    """Every y_*.json that is an object parses: the answer is about its
    fields (missing_field, invalid_field), never invalid_json."""
    wrong, seen = [], 0
    for name in corpus_files("y_"):
        body = read(name)
        if not body.strip().startswith(b"{"):
            continue
        seen += 1
        r = api.request("POST", "/api/v1/users", data=body,
                        headers={"Content-Type": "application/json"})
        code = r.j["error"]["code"] if r.status_code >= 400 else None
        if name in REFUSED_ON_PURPOSE:
            if code != "invalid_json":
                wrong.append(f"{name}: {r.status_code} {r.text[:100]}")
        elif r.status_code != 400 or code not in ("missing_field",
                                                  "invalid_field"):
            wrong.append(f"{name}: {r.status_code} {r.text[:100]}")
    assert seen >= 10, seen
    assert not wrong, "\n".join(wrong)


def test_corpus_arrays_and_scalars_refused(api):
    """A y_*.json that is not an object is JSON, but not a request body."""
    wrong = []
    for name in corpus_files("y_"):
        body = read(name)
        if body.strip().startswith(b"{"):
            continue
        r = api.request("POST", "/api/v1/users", data=body,
                        headers={"Content-Type": "application/json"})
        if r.status_code != 400 or r.j["error"]["code"] != "invalid_json":
            wrong.append(f"{name}: {r.status_code} {r.text[:100]}")
    assert not wrong, "\n".join(wrong)


def test_register_after_all_that(api):
    """The server is still fine after the junk above."""
    login = unique_login()
    r = api.post("/api/v1/users", {"login": login, "password": PASSWORD})
    assert r.status_code == 201, r.text
