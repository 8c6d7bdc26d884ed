"""test_cgi.py: parley.fcgi as a plain CGI program: one request per run,
described by the CGI variables, its body on standard input (a pipe, not a
socket: a socket on fd 0 would make it a FastCGI server), the answer on
standard output as a CGI header block and the body."""
import json
import subprocess

import pytest

from conftest import (JSON_TYPE, PASSWORD, binary, sanitizer_report,
                      server_env, unique_login, unique_phone)

# Variables of our own environment that would be taken for the request's.
CGI_VARS = ("GATEWAY_INTERFACE", "REQUEST_METHOD", "REQUEST_URI",
            "QUERY_STRING", "CONTENT_LENGTH", "CONTENT_TYPE", "REMOTE_ADDR",
            "SCRIPT_NAME", "PATH_INFO", "SERVER_PROTOCOL")


class CgiResponse:
    def __init__(self, out, method):
        head, sep, body = out.partition(b"\r\n\r\n")
        assert sep, f"no end of the header block: {out[:300]!r}"
        lines = head.decode("latin-1").split("\r\n")
        assert lines[0].startswith("Status: "), lines[0]
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            name, colon, value = line.partition(": ")
            assert colon, f"bad header line {line!r}"
            self.headers[name.lower()] = value
        self.body = body
        self.j = None
        if self.status != 204:
            assert self.headers["content-type"] == JSON_TYPE
        if method == "HEAD":
            # the length of the body a GET would have had
            assert body == b"" and int(self.headers["content-length"]) > 0
            return
        if self.status != 204:
            self.j = json.loads(body)
        assert int(self.headers["content-length"]) == len(body)
        assert self.headers["x-content-type-options"] == "nosniff"
        assert self.headers["x-request-id"]


@pytest.fixture(scope="module")
def cgi(tmp_path_factory):
    """cgi(method, uri, body=None, token=None, **vars) runs one request
    against a database of this module; returns a CgiResponse."""
    db = str(tmp_path_factory.mktemp("cgi") / "c.db")
    program = binary("parley.fcgi")

    def run(method, uri, body=None, token=None, ctype="application/json",
            **extra):
        env = {k: v for k, v in server_env().items()
               if not k.startswith("HTTP_") and k not in CGI_VARS}
        path, _, query = uri.partition("?")
        env.update(GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD=method,
                   REQUEST_URI=uri, QUERY_STRING=query,
                   REMOTE_ADDR="192.0.2.7", SERVER_PROTOCOL="HTTP/1.1")
        data = b""
        if body is not None:
            data = body if isinstance(body, bytes) else \
                json.dumps(body).encode()
            env["CONTENT_LENGTH"] = str(len(data))
            env["CONTENT_TYPE"] = ctype
        if token:
            env["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        env.update(extra)
        proc = subprocess.run([program, "--db", db], input=data, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60)
        err = proc.stderr.decode("utf-8", "replace")
        assert proc.returncode == 0, err
        assert not sanitizer_report(err), err
        return CgiResponse(proc.stdout, method)

    return run


def test_cgi_register_login_me(cgi):
    login, phone = unique_login("cgi"), unique_phone()
    r = cgi("POST", "/api/v1/users", {"login": login, "phone": phone,
                                      "password": PASSWORD, "nick": "Cee"})
    assert r.status == 201, r.body
    user = r.j["user"]
    assert (user["login"], user["phone"], user["nick"]) == (login, phone, "Cee")
    assert r.j["session"]["user_id"] == user["id"]

    r = cgi("POST", "/api/v1/sessions", {"login": login, "password": PASSWORD})
    assert r.status == 201, r.body
    token = r.j["token"]
    assert r.j["user_id"] == user["id"]

    r = cgi("GET", "/api/v1/me", token=token)
    assert r.status == 200, r.body
    assert r.j["id"] == user["id"] and r.j["phone"] == phone

    r = cgi("GET", "/api/v1/me", HTTP_AUTHTOKEN=token)
    assert r.status == 200 and r.j["id"] == user["id"]

    r = cgi("PATCH", "/api/v1/me", {"status": "via CGI"}, token=token)
    assert r.status == 200 and r.j["status"] == "via CGI"

    r = cgi("POST", "/api/v1/sessions", {"login": login, "password": "nope!"})
    assert r.status == 401 and r.j["error"]["code"] == "invalid_credentials"

    r = cgi("DELETE", "/api/v1/sessions/current", token=token)
    assert r.status == 204 and r.body == b""
    assert "content-type" not in r.headers
    r = cgi("GET", "/api/v1/me", token=token)
    assert r.status == 401 and r.j["error"]["code"] == "invalid_token"
    assert r.headers["www-authenticate"] == "Bearer"


def test_cgi_service(cgi):
    r = cgi("GET", "/api/v1?x=1")
    assert r.status == 200 and r.j["name"] == "parley"
    r = cgi("HEAD", "/api/v1/ping")
    assert r.status == 200 and r.body == b""


def test_cgi_not_found(cgi):
    r = cgi("GET", "/api/v1/nope", HTTP_X_REQUEST_ID="cgi-404")
    assert r.status == 404
    assert r.j["error"]["code"] == "not_found"
    assert r.j["error"]["request_id"] == "cgi-404"
    assert r.headers["x-request-id"] == "cgi-404"


def test_cgi_method_not_allowed(cgi):
    r = cgi("DELETE", "/api/v1/me")
    assert r.status == 405 and r.j["error"]["code"] == "method_not_allowed"
    assert r.headers["allow"] == "GET, PATCH"


def test_cgi_no_token(cgi):
    r = cgi("GET", "/api/v1/me")
    assert r.status == 401 and r.j["error"]["code"] == "auth_required"
    assert r.headers["www-authenticate"] == "Bearer"


def test_cgi_too_large_by_content_length(cgi):
    """Refused by CONTENT_LENGTH alone, before reading (nothing is sent)."""
    r = cgi("POST", "/api/v1/users", CONTENT_LENGTH=str(9 * 1024 * 1024),
            CONTENT_TYPE="application/json")
    assert r.status == 413, r.body
    assert r.j["error"]["code"] == "payload_too_large"


def test_cgi_short_body(cgi):
    """The body ends before CONTENT_LENGTH: not valid JSON."""
    r = cgi("POST", "/api/v1/users", b'{"login":"x"', CONTENT_LENGTH="1000")
    assert r.status == 400 and r.j["error"]["code"] == "invalid_json"


def test_cgi_invalid_json(cgi):
    r = cgi("POST", "/api/v1/users", b"[1]")
    assert r.status == 400 and r.j["error"]["code"] == "invalid_json"
    r = cgi("POST", "/api/v1/users", b"<x/>", ctype="text/xml")
    assert r.status == 415
    assert r.j["error"]["code"] == "unsupported_media_type"


def test_cgi_empty_content_type(cgi):
    """A gateway that passes CONTENT_TYPE empty means no type."""
    r = cgi("POST", "/api/v1/sessions", {"login": "nobody", "password": "x"},
            ctype="")
    assert r.status == 401, r.body
    assert r.j["error"]["code"] == "invalid_credentials"


def test_cgi_without_gateway(tmp_path):
    """Neither a socket nor CGI variables: it says how to run it, exit 2."""
    env = {k: v for k, v in server_env().items() if k not in CGI_VARS}
    proc = subprocess.run([binary("parley.fcgi"), "--db",
                           str(tmp_path / "x.db")], env=env,
                          stdin=subprocess.PIPE, capture_output=True,
                          timeout=60)
    assert proc.returncode == 2, proc
    assert b"--listen" in proc.stderr
    assert not sanitizer_report(proc.stderr.decode("utf-8", "replace"))
