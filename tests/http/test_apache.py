"""test_apache.py: parley behind Apache httpd, with deploy/apache.conf's
placeholders filled in, in each of its three ways:

  proxy_fcgi  mod_proxy_fcgi to a parley.fcgi we start on a unix socket
  fcgid       mod_fcgid starting parley.fcgi itself (fd 0 is its socket)
  cgi         mod_cgid running parley.fcgi as a CGI program per request

Each way gets the REST calls (register, login, /me: Authorization must
reach parley), a long-poll held for its timeout and one woken by a send,
a 5 MiB attachment up and down, and Apache's own errors as JSON. Apache
runs as root's children's user www-data (it refuses root), in a
temporary directory of its own that www-data may enter."""
import os
import pwd
import grp
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from conftest import (BUILD_NAME, OUT, WWW, Client, Front, Proc, binary,
                      check_response, expect_error, free_port, health_ok,
                      sanitizer_report, server_env, wait_until)
from helpers_chat import b64, cursor, direct, poll, send

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
APACHE = "/usr/sbin/apache2"
TEMPLATE = os.path.join(ROOT, "deploy", "apache.conf")
PLACEHOLDERS = {"@USER@", "@GROUP@", "@PREFIX@", "@LISTEN@", "@SOCKET@",
                "@WWW@", "@FCGI@", "@DB@"}
DEFINES = {"proxy_fcgi": [], "fcgid": ["-D", "PARLEY_FCGID"],
           "cgi": ["-D", "PARLEY_CGI"]}
APACHE_BAD = re.compile(r"\[[a-z_]+:(emerg|alert|crit)\]")


def template():
    with open(TEMPLATE) as f:
        return f.read()


def directives(name):
    """The argument strings of every `name ...` line outside comments."""
    out = []
    for line in template().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.split(" ", 1)[0] == name:
            out.append(line[len(name):].strip())
    return out


def run_user():
    """Apache's children's user and group: www-data when we are root
    (Apache refuses to serve as root), else ourselves."""
    if os.getuid() == 0:
        return "www-data", "www-data"
    return (pwd.getpwuid(os.getuid()).pw_name,
            grp.getgrgid(os.getgid()).gr_name)


def fill(prefix, listen, sock, db):
    user, group = run_user()
    conf = template()
    for key, value in (("@USER@", user), ("@GROUP@", group),
                       ("@PREFIX@", prefix), ("@LISTEN@", listen),
                       ("@SOCKET@", sock), ("@WWW@", WWW),
                       ("@FCGI@", binary("parley.fcgi")), ("@DB@", db)):
        assert key in conf, f"{key} is not in {TEMPLATE}"
        conf = conf.replace(key, value)
    left = re.findall(r"@[A-Z]+@", conf)
    assert not left, f"unfilled placeholders: {left}"
    # The sanitizers' settings for the programs Apache starts (tests only).
    san = {k: v for k, v in os.environ.items()
           if k in ("ASAN_OPTIONS", "UBSAN_OPTIONS")}
    if san:
        conf += "\n<IfModule mod_fcgid.c>\n" + "".join(
            f"FcgidInitialEnv {k} {v}\n" for k, v in san.items()) + \
            "</IfModule>\n<IfModule mod_cgid.c>\n" + "".join(
                f"SetEnv {k} {v}\n" for k, v in san.items()) + \
            "</IfModule>\n"
    return conf


class ApacheFront(Front):
    """Apache (and, for proxy_fcgi, parley.fcgi) in a directory of its
    own under /tmp: pytest's own temporary directories are closed to
    www-data."""

    def __init__(self, mode, sock=None):
        label = f"apache-{mode}"
        tmp = tempfile.mkdtemp(prefix="parley-apache-")
        os.chmod(tmp, 0o755)
        data = os.path.join(tmp, "data")
        os.mkdir(data)
        os.chmod(data, 0o770)  # parley as www-data writes the database
        if os.getuid() == 0:
            shutil.chown(data, "root", run_user()[1])
        super().__init__(mode, label, tmp, os.path.join(data, "p.db"))
        self.mode = mode
        self.sock = sock or os.path.join(tmp, "fcgi.sock")

    def start(self, with_parley=True):
        if self.mode == "proxy_fcgi" and with_parley:
            fcgi = Proc(f"{self.label}-fcgi", [
                binary("parley.fcgi"), "--db", self.db, "--listen",
                "unix:" + self.sock, "--threads", "16"])
            self.procs.append(fcgi)
            wait_until("parley.fcgi opens its socket",
                       lambda: os.path.exists(self.sock) and
                       "threads" in fcgi.text(), [fcgi])
            # Apache's children connect as www-data: the group may.
            shutil.chown(self.sock, group=run_user()[1])
            os.chmod(self.sock, 0o660)
        for attempt in range(5):
            port = free_port()
            conf = os.path.join(self.tmp, "apache.conf")
            with open(conf, "w") as f:
                f.write(fill(self.tmp, f"127.0.0.1:{port}", self.sock,
                             self.db))
            ap = Proc(self.label, [APACHE, "-f", conf, "-DFOREGROUND"] +
                      DEFINES[self.mode])

            def up():
                try:
                    with socket.create_connection(("127.0.0.1", port), 0.5):
                        return True
                except OSError:
                    return False

            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and ap.alive() and not up():
                time.sleep(0.02)
            if ap.alive() and up():
                self.procs.append(ap)
                self.base = f"http://127.0.0.1:{port}"
                return self
            ap.stop()
            if "Address already in use" not in ap.text() + self.error_log():
                pytest.fail(f"apache2 did not start:\n{ap.text()}\n"
                            f"{self.error_log()}")
        pytest.fail("apache2 found no free port in 5 attempts")

    def error_log(self):
        path = os.path.join(self.tmp, "error.log")
        if not os.path.exists(path):
            return ""
        with open(path, errors="replace") as f:
            return f.read()

    def stop(self):
        problems = super().stop()
        text = self.error_log()
        os.makedirs(OUT, exist_ok=True)
        with open(os.path.join(OUT, f"{BUILD_NAME}-{self.label}-error.log"),
                  "w") as f:
            f.write(text)
        bad = sanitizer_report(text)
        if bad:
            problems.append(f"{self.label} error.log: sanitizer: {bad}")
        for line in text.splitlines():
            if APACHE_BAD.search(line):
                problems.append(f"{self.label} error.log: {line}")
        shutil.rmtree(self.tmp, ignore_errors=True)
        return problems


@pytest.fixture(scope="module", params=list(DEFINES))
def apache(request):
    """A Client of Apache in front of parley, one per way, for the
    module."""
    front = ApacheFront(request.param)
    try:
        front.start()
        wait_until("Apache answers /health", lambda: health_ok(front.base),
                   front.procs)
    except BaseException:
        front.stop()
        raise
    yield Client(front)
    problems = front.stop()
    if problems:
        pytest.fail("server trouble:\n  " + "\n  ".join(problems),
                    pytrace=False)


# --- the configuration itself ----------------------------------------------

def test_placeholders_documented():
    text = template()
    head = "\n".join(l for l in text.splitlines() if l.startswith("#"))
    used = set(re.findall(r"@[A-Z]+@", "\n".join(
        l.split("#", 1)[0] for l in text.splitlines())))
    assert used == PLACEHOLDERS, used
    for p in used:
        assert p in head, f"{p} is not explained in the comments"


def test_limits_and_timeouts():
    (body,) = directives("LimitRequestBody")
    # above parley's 8 MiB, so that parley answers 413 itself; not far above
    assert 8 * 1024 ** 2 < int(body) <= 16 * 1024 ** 2, body
    assert directives("FcgidMaxRequestLen") == [body]
    (cond,) = [c for c in directives("RewriteCond") if "Content-Length" in c]
    assert f"-gt {body}" in cond
    # every wait for parley's answer outlasts the longest poll (60 s)
    (proxy,) = directives("ProxySet")
    assert int(re.search(r"timeout=(\d+)", proxy).group(1)) > 60
    assert "retry=0" in proxy
    for name in ("FcgidIOTimeout", "CGIDScriptTimeout"):
        (v,) = directives(name)
        assert int(v) > 60, (name, v)
    docs = " ".join(directives("ErrorDocument"))
    for code in ("404", "405", "413", "502", "503", "504"):
        assert re.search(rf"(^| ){code} ", docs), code


@pytest.mark.parametrize("mode", list(DEFINES))
def test_syntax(mode, tmp_path):
    conf = tmp_path / "apache.conf"
    conf.write_text(fill(str(tmp_path), "127.0.0.1:1", "/run/x.sock",
                         "/var/lib/parley/p.db"))
    proc = subprocess.run([APACHE, "-t", "-f", str(conf)] + DEFINES[mode],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "Syntax OK" in proc.stderr, proc.stderr


# --- the API through each way ------------------------------------------------

def test_register_login_me(apache):
    c = apache
    user, token = c.register(nick="Via Apache")
    r = c.login(login=user["login"])
    assert r.status_code == 201 and r.j["user_id"] == user["id"], r.text
    token = r.j["token"]
    me = c.get("/api/v1/me", token=token)
    assert me.status_code == 200 and me.j["id"] == user["id"], me.text
    r = c.patch("/api/v1/me", {"status": f"via {c.front.mode}"}, token=token)
    assert r.status_code == 200 and r.j["status"] == f"via {c.front.mode}"
    # the query string reaches parley, percent-escapes and all
    r = c.get(f"/api/v1/users?login={user['login']}&limit=%35", token=token)
    assert r.status_code == 200, r.text
    assert user["id"] in [u["id"] for u in r.j["users"]], r.j
    r = c.get("/api/v1/me", headers={"X-Request-Id": "ap-1"})
    err = expect_error(r, 401, "auth_required")
    assert err["request_id"] == "ap-1"
    r = c.get("/api/v1/nope?x=1")
    expect_error(r, 404, "not_found")  # parley's own 404, not Apache's


def test_long_poll_held_and_woken(apache):
    c = apache
    a, ta = c.register()
    b, tb = c.register()
    chat = direct(c, ta, b["id"])
    last = cursor(c, tb)
    hold = 1 if c.front.mode == "cgi" else 2
    t0 = time.monotonic()
    events, new_last = poll(c, tb, last, timeout=hold)
    took = time.monotonic() - t0
    assert events == [] and new_last == last
    assert hold - 0.1 <= took < hold + 2, took

    got = {}

    def held():
        got["events"], _ = poll(c, tb, last, timeout=10)
        got["t"] = time.monotonic()

    t = threading.Thread(target=held)
    t.start()
    time.sleep(0.5)  # held by now
    send(c, ta, chat, "through apache")
    sent = time.monotonic()
    t.join(15)
    assert "t" in got, "the held poll did not return"
    assert [e["data"]["text"] for e in got["events"]
            if e["type"] == "message.new"] == ["through apache"]
    print(f"\nwake through apache {c.front.mode}: "
          f"{(got['t'] - sent) * 1000:.1f} ms")
    assert got["t"] - sent < 1.0


def test_attachment_5mib(apache):
    c = apache
    a, ta = c.register()
    b, tb = c.register()
    chat = direct(c, ta, b["id"])
    data = os.urandom(5 * 1024 * 1024)
    r = c.post(f"/api/v1/chats/{chat}/messages",
               {"text": "the whole file",
                "attachment": {"mime": "application/octet-stream",
                               "name": "five.bin", "data": b64(data)}},
               token=ta)
    assert r.status_code == 201, r.text[:300]
    att = r.j["attachment"]
    assert att["size"] == len(data)
    r = c.get(att["url"], token=tb, check=False)
    assert r.status_code == 200 and r.content == data
    assert r.headers["Content-Type"] == "application/octet-stream"


def test_apache_errors_are_json(apache):
    c = apache
    r = c.get("/", check=False)
    assert r.status_code == 200 and b"parley" in r.content
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    r = c.get("/no-such-file.js", headers={"X-Request-Id": "ap-404"})
    assert expect_error(r, 404, "not_found")["request_id"] == "ap-404"
    r = c.post("/index.html", {"x": 1})
    expect_error(r, 405, "method_not_allowed")
    # declared larger than Apache takes: refused before it is read
    r = c.post("/api/v1/users", data=b"{" + b" " * (10 * 1024 * 1024) + b"}",
               headers={"Content-Type": "application/json",
                        "X-Request-Id": "ap-413"})
    assert expect_error(r, 413, "payload_too_large")["request_id"] == "ap-413"
    # under Apache's limit but over parley's: parley's own 413
    r = c.post("/api/v1/users", data=b"{" + b" " * (8 * 1024 * 1024) + b"}",
               headers={"Content-Type": "application/json"})
    err = expect_error(r, 413, "payload_too_large")
    assert "8388608" in err["message"]  # parley's message, not Apache's


def test_apache_without_parley():
    """parley.fcgi is down (its socket is absent): Apache answers 503 as
    JSON with Retry-After; the client's files are still served."""
    front = ApacheFront("proxy_fcgi")
    try:
        front.start(with_parley=False)
        c = Client(front)
        r = c.get("/api/v1", headers={"X-Request-Id": "down-1"})
        assert expect_error(r, 503, "unavailable")["request_id"] == "down-1"
        r = c.get("/api/v1", headers={"X-Request-Id": 'x","y":"z'})
        err = expect_error(r, 503, "unavailable")
        assert re.fullmatch(r"[A-Za-z0-9@_-]{16,}", err["request_id"]), err
        assert c.get("/", check=False).status_code == 200
        log = front.error_log()
    finally:
        problems = front.stop()
    assert not problems, problems
    assert "fcgi.sock" in log and "failed" in log
