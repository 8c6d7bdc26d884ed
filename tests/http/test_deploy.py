"""test_deploy.py: deploy/nginx.conf keeps the settings parley relies on,
and nginx's own errors are JSON (parley.fcgi not running)."""
import os
import re
import socket

from conftest import (NGINX_TEMPLATE, Client, Front, expect_error,
                      start_nginx)


def template():
    with open(NGINX_TEMPLATE) as f:
        return f.read()


def directives(text, name):
    """The argument strings of every `name ...;` outside comments."""
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith(name + " "):
            out.append(line[len(name):].strip().rstrip(";").strip())
    return out


def size_bytes(v):
    m = re.fullmatch(r"(\d+)([kKmM]?)", v)
    assert m, v
    return int(m.group(1)) * {"": 1, "k": 1024, "m": 1024 ** 2}[
        m.group(2).lower()]


def seconds(v):
    m = re.fullmatch(r"(\d+)(s|m)?", v)
    assert m, v
    return int(m.group(1)) * (60 if m.group(2) == "m" else 1)


def test_placeholders_documented():
    text = template()
    head = "\n".join(l for l in text.splitlines() if l.startswith("#"))
    used = set(re.findall(r"@[A-Z]+@", "\n".join(
        l.split("#", 1)[0] for l in text.splitlines())))
    assert used == {"@USER@", "@PREFIX@", "@LISTEN@", "@SOCKET@", "@WWW@"}
    for p in used:
        assert p in head, f"{p} is not explained in the comments"


def test_body_limit_above_parleys():
    (v,) = directives(template(), "client_max_body_size")
    # above parley's 8 MiB, so that parley answers 413 itself; not far above
    assert 8 * 1024 ** 2 < size_bytes(v) <= 16 * 1024 ** 2, v


def test_read_timeout_above_longest_poll():
    (v,) = directives(template(), "fastcgi_read_timeout")
    assert seconds(v) > 60, v


def test_fastcgi_params_and_error_pages():
    text = template()
    assert "/etc/nginx/fastcgi_params" in directives(text, "include")
    pages = " ".join(directives(text, "error_page"))
    for code in ("413", "502", "503", "504"):
        assert re.search(rf"\b{code}\b", pages), code
    assert directives(text, "fastcgi_pass") == ["unix:@SOCKET@"]


def test_nginx_without_parley(tmp_path):
    """parley.fcgi is down (its socket refuses): nginx answers 503 as JSON,
    with Retry-After and a request id."""
    sock = str(tmp_path / "down.sock")
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(sock)  # bound, never listening: connections are refused
    front = Front("fcgi", "nginx-alone", str(tmp_path), None)
    try:
        start_nginx(front, sock)
        c = Client(front)
        r = c.get("/api/v1", headers={"X-Request-Id": "down-1"})
        err = expect_error(r, 503, "unavailable")
        assert err["request_id"] == "down-1"
        r = c.post("/api/v1/sessions", {"login": "a", "password": "b"})
        expect_error(r, 503, "unavailable")
        # an unsafe request id is not echoed into the JSON
        r = c.get("/api/v1", headers={"X-Request-Id": 'x","y":"z'})
        err = expect_error(r, 503, "unavailable")
        assert re.fullmatch(r"[0-9a-f]{32}", err["request_id"]), err
        # the client's files are still served
        r = c.get("/", check=False)
        assert r.status_code == 200
    finally:
        problems = front.stop()
        dead.close()
    assert not problems, problems
    with open(os.path.join(tmp_path, "error.log")) as f:
        assert "Connection refused" in f.read()
