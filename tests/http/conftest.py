"""conftest.py: the servers the HTTP tests talk to, and a small client.

Every test that takes the fixture `api` runs twice, once per front:
  parleyd   $PARLEY_BUILD/parleyd on an ephemeral port, serving www/
  fcgi      $PARLEY_BUILD/parley.fcgi on a unix socket behind a real nginx
            whose configuration is deploy/nginx.conf with its placeholders
            filled in
Each front has its own fresh SQLite file in a temporary directory. The two
general fronts live for the whole session; tests that need other flags (rate
limits, a database made by parley-admin) start their own with start_front().

When a server stops (SIGTERM), its exit status and its stderr are checked:
a non-zero exit, or a sanitizer report ("ERROR: AddressSanitizer",
"runtime error:", "LeakSanitizer"), fails the test that owned it. The
stderr of every process is kept in tests/out/ (BUILD-LABEL.log).

Environment: PARLEY_BUILD, the directory of the binaries (build/ by
default; tests/run.py sets it to build/ and to build-san/); PARLEY_WRAP, a
command line put before parleyd and parley.fcgi (make valgrind sets it to
valgrind with --error-exitcode, so that a report is a bad exit status).
"""
import itertools
import json
import os
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("PARLEY_BUILD", os.path.join(ROOT, "build"))
BUILD_NAME = os.path.basename(os.path.normpath(BUILD))
OUT = os.path.join(ROOT, "tests", "out")
WWW = os.path.join(ROOT, "www")
NGINX = "/usr/sbin/nginx"
NGINX_TEMPLATE = os.path.join(ROOT, "deploy", "nginx.conf")
FRONTS = ["parleyd", "fcgi"]

JSON_TYPE = "application/json; charset=utf-8"
PASSWORD = "correct horse battery"
WELCOME = "Hello from the parley tests"
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer")
NGINX_BAD = re.compile(r"\[(emerg|alert|crit)\]")
UPSTREAM_GONE = re.compile(r"connect\(\) to unix:\S+ failed \((2|111):")
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
STARTUP_S = 30
WRAP = os.environ.get("PARLEY_WRAP", "").split()
STOP_S = 20

# The flags of the general fronts: room for the whole suite's registrations
# and failed sign-ins from one address, and for tests that hold many polls
# of one user (the rate limits have their own tests on fronts of their own).
GENERAL_FLAGS = ["--register-max", "100000", "--login-max-failures", "1000",
                 "--max-polls-per-user", "1000", "--welcome", WELCOME]

# The API's error codes and their statuses (API.md).
ERROR_STATUS = {
    "invalid_json": 400, "missing_field": 400, "invalid_field": 400,
    "invalid_phone": 400, "auth_required": 401, "invalid_token": 401,
    "invalid_credentials": 401, "invalid_chat_key": 401, "forbidden": 403,
    "not_found": 404, "user_not_found": 404, "chat_not_found": 404,
    "message_not_found": 404, "method_not_allowed": 405,
    "already_exists": 409, "login_taken": 409, "phone_taken": 409,
    "cursor_expired": 410, "payload_too_large": 413, "avatar_too_large": 413,
    "unsupported_media_type": 415, "rate_limited": 429, "internal": 500,
    "unavailable": 503, "storage_full": 507,
}


def binary(name):
    """The path of one of parley's programs in $PARLEY_BUILD."""
    path = os.path.join(BUILD, name)
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing: run make (and make SAN=1) first")
    return path


def server_env():
    """The environment of a server: ours (ASAN_OPTIONS and UBSAN_OPTIONS
    come from tests/run.py), less what would configure parley behind the
    flags' back or send the clients through a proxy."""
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("PARLEY_") or k.lower().endswith("_proxy"):
            del env[k]
    return env


_labels = itertools.count(1)


def sanitizer_report(text):
    """The first sanitizer line in text, or None."""
    for line in text.splitlines():
        if any(m in line for m in SANITIZER_MARKS):
            return line
    return None


class Proc:
    """One child process with its stderr in tests/out/BUILD-LABEL.log."""

    def __init__(self, label, argv, stdout=subprocess.DEVNULL):
        os.makedirs(OUT, exist_ok=True)
        self.label = label
        self.argv = argv
        self.log = os.path.join(OUT, f"{BUILD_NAME}-{label}.log")
        self._logf = open(self.log, "wb")
        self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                      stdout=stdout, stderr=self._logf,
                                      env=server_env(), cwd=ROOT)

    def text(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.popen.poll() is None

    def stop(self):
        """SIGTERMs the process and waits; returns a list of problems."""
        problems = []
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(STOP_S)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
                problems.append(f"{self.label} did not stop within {STOP_S} s"
                                " of SIGTERM")
        self._logf.close()
        rc = self.popen.returncode
        if rc != 0 and not any("did not stop" in p for p in problems):
            problems.append(f"{self.label} exited with status {rc}")
        text = self.text()
        bad = sanitizer_report(text)
        if bad:
            problems.append(f"{self.label}: sanitizer: {bad}")
        if self.argv[0] == NGINX:
            for line in text.splitlines():
                if NGINX_BAD.search(line):
                    problems.append(f"{self.label}: {line}")
        if problems:
            problems.append(f"(see {self.log})")
        return problems


def free_port():
    """A TCP port of 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, ok, procs, timeout=STARTUP_S):
    """Polls ok() until it is true; fails at once if a process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            if not p.alive():
                pytest.fail(f"{p.label} exited with status "
                            f"{p.popen.returncode} while {what}:\n{p.text()}")
        if ok():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out after {timeout} s while {what}")


def health_ok(base):
    s = requests.Session()
    s.trust_env = False  # never a proxy
    try:
        return s.get(base + "/api/v1/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False
    finally:
        s.close()


def nginx_conf(template, *, user, prefix, listen, sock, www):
    """deploy/nginx.conf with its placeholders filled in."""
    conf = template
    for key, value in (("@USER@", user), ("@PREFIX@", prefix),
                       ("@LISTEN@", listen), ("@SOCKET@", sock),
                       ("@WWW@", www)):
        assert key in conf, f"{key} is not in {NGINX_TEMPLATE}"
        conf = conf.replace(key, value)
    left = re.findall(r"@[A-Z]+@", conf)
    assert not left, f"unfilled placeholders in the nginx config: {left}"
    return conf


class Front:
    """A running front: its base URL and its processes."""

    def __init__(self, kind, label, tmp, db):
        self.kind = kind
        self.label = label
        self.tmp = tmp
        self.db = db
        self.base = None
        self.procs = []
        # A test that kills parley on purpose expects nginx to find its
        # socket gone now and then; that one [crit] line is then no fault.
        self.upstream_may_vanish = False

    def stop(self):
        """Stops every process (nginx first) and returns the problems."""
        problems = []
        for p in reversed(self.procs):
            problems += p.stop()
        if self.kind == "fcgi":
            # Keep nginx's own error log beside the stderr logs.
            src = os.path.join(self.tmp, "error.log")
            if os.path.exists(src):
                shutil.copy(src, os.path.join(
                    OUT, f"{BUILD_NAME}-{self.label}-nginx-error.log"))
                with open(src, errors="replace") as f:
                    for line in f:
                        if self.upstream_may_vanish and \
                                UPSTREAM_GONE.search(line):
                            continue
                        if NGINX_BAD.search(line):
                            problems.append(f"nginx error.log: {line.strip()}")
        return problems


def start_front(kind, tmp, flags=(), db=None, label=None):
    """Starts front kind ("parleyd" or "fcgi") with its database db (a new
    file in tmp by default) and parley's extra flags; returns a Front whose
    stop() the caller must call. tmp is a fresh directory of the caller."""
    label = f"{label or kind}-{next(_labels)}"
    db = db or os.path.join(tmp, "p.db")
    front = Front(kind, label, tmp, db)
    try:
        if kind == "parleyd":
            _start_parleyd(front, list(flags))
        elif kind == "fcgi":
            _start_fcgi(front, list(flags))
        else:
            raise ValueError(kind)
    except BaseException:
        front.stop()
        raise
    return front


def _start_parleyd(front, flags):
    p = Proc(front.label, WRAP + [binary("parleyd"), "--db", front.db, "--listen",
                           "127.0.0.1:0", "--www", WWW] + flags)
    front.procs.append(p)
    found = {}

    def listening():
        m = re.search(r"parleyd: listening on \S+ \(port (\d+)\)", p.text())
        if m:
            found["port"] = int(m.group(1))
        return bool(found)

    wait_until("parleyd starts", listening, [p])
    front.base = f"http://127.0.0.1:{found['port']}"
    wait_until("parleyd answers /health", lambda: health_ok(front.base), [p])


def _start_fcgi(front, flags):
    sock = os.path.join(front.tmp, "fcgi.sock")
    fcgi = Proc(front.label, WRAP + [binary("parley.fcgi"), "--db", front.db,
                              "--listen", "unix:" + sock, "--threads", "8"]
                + flags)
    front.procs.append(fcgi)
    wait_until("parley.fcgi opens its socket",
               lambda: os.path.exists(sock) and "threads" in fcgi.text(),
               [fcgi])
    start_nginx(front, sock)
    wait_until("nginx answers /health", lambda: health_ok(front.base),
               front.procs)


def start_nginx(front, sock):
    """Starts nginx for front, in front.tmp, passing /api/ to sock; sets
    front.base. A port taken between our look and nginx's bind is retried."""
    with open(NGINX_TEMPLATE) as f:
        template = f.read()
    user = pwd.getpwuid(os.getuid()).pw_name
    conf_path = os.path.join(front.tmp, "nginx.conf")
    for attempt in range(5):
        port = free_port()
        with open(conf_path, "w") as f:
            f.write(nginx_conf(template, user=user, prefix=front.tmp,
                               listen=f"127.0.0.1:{port}", sock=sock,
                               www=WWW))
        ng = Proc(f"{front.label}-nginx", [
            NGINX, "-p", front.tmp + "/", "-c", conf_path,
            "-e", os.path.join(front.tmp, "error.log"), "-g", "daemon off;"])
        base = f"http://127.0.0.1:{port}"

        def up():
            try:
                with socket.create_connection(("127.0.0.1", port), 0.5):
                    return True
            except OSError:
                return False

        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline and ng.alive() and not up():
            time.sleep(0.02)
        if ng.alive() and up():
            front.procs.append(ng)
            front.base = base
            return
        ng.stop()
        err = ""
        elog = os.path.join(front.tmp, "error.log")
        if os.path.exists(elog):
            with open(elog, errors="replace") as f:
                err = f.read()
        if "Address already in use" not in err + ng.text():
            pytest.fail(f"nginx did not start:\n{ng.text()}\n{err}")
    pytest.fail("nginx found no free port in 5 attempts")


def stop_front(front):
    """Stops front and fails the calling test on any problem."""
    problems = front.stop()
    if problems:
        pytest.fail("server trouble:\n  " + "\n  ".join(problems),
                    pytrace=False)


# --- the client ---------------------------------------------------------

_phones = itertools.count(random.randrange(10**6))


def unique_login(prefix="u"):
    """A login no other test uses: prefix and 12 hex digits."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def unique_phone():
    """A Russian-looking E.164 number (+7 999 XXX XX XX) no other test of
    this session uses."""
    return "+7999%07d" % (next(_phones) % 10**7)


def phone_forms(e164):
    """The three ways a client may write the number +7999XXXXXXX."""
    assert e164.startswith("+7") and len(e164) == 12
    d = e164[2:]
    return [e164, f"+7 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}",
            {"area_code": "7", "number": d}]


def check_response(r, method="GET"):
    """Asserts what every API response must satisfy; returns r with r.j,
    the parsed JSON body (None for 204 and HEAD)."""
    h = r.headers
    assert h.get("X-Content-Type-Options") == "nosniff", dict(h)
    rid = h.get("X-Request-Id")
    assert rid, f"no X-Request-Id: {dict(h)}"
    r.j = None
    if r.status_code == 204 or method == "HEAD":
        assert r.content == b"", r.content[:200]
        return r
    assert h.get("Content-Type") == JSON_TYPE, \
        f"{r.status_code} Content-Type {h.get('Content-Type')!r}: {r.text[:300]}"
    try:
        r.j = json.loads(r.content.decode("utf-8"))
    except ValueError:
        pytest.fail(f"not JSON ({r.status_code}): {r.content[:300]!r}")
    assert isinstance(r.j, dict), r.j
    if r.status_code >= 400:
        err = r.j.get("error")
        assert isinstance(err, dict), r.j
        assert set(r.j) == {"error"}, r.j
        assert isinstance(err.get("code"), str), r.j
        assert isinstance(err.get("message"), str) and err["message"], r.j
        assert ERROR_STATUS.get(err["code"]) == r.status_code, \
            f"code {err['code']} with status {r.status_code}"
        assert err.get("request_id") == rid, (err, rid)
        assert set(err) <= {"code", "message", "field", "request_id",
                            "last_id"}, err
        if err["code"] in ("auth_required", "invalid_token"):
            assert h.get("WWW-Authenticate") == "Bearer", dict(h)
        if err["code"] in ("rate_limited", "unavailable"):
            assert re.fullmatch(r"[1-9]\d*", h.get("Retry-After", "")), dict(h)
    return r


_MISSING = object()


def expect_error(r, status, code, field=_MISSING):
    """Asserts r is the error status/code (and field: a name, or None for
    none); returns the error object."""
    assert r.status_code == status, f"{r.status_code} {r.text[:300]}"
    err = r.j["error"]
    assert err["code"] == code, err
    if field is not _MISSING:
        assert err.get("field") == field, err
    return err


class Client:
    """A requests session on one front, which checks every response with
    check_response()."""

    def __init__(self, front):
        self.front = front
        self.kind = front.kind
        self.base = front.base
        self.s = requests.Session()
        self.s.trust_env = False  # never a proxy
        self._shared = None

    def url(self, path):
        return self.base + path

    def request(self, method, path, *, json_body=_MISSING, data=None,
                headers=None, token=None, check=True, **kw):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        if json_body is not _MISSING:
            data = json.dumps(json_body).encode()
            h.setdefault("Content-Type", "application/json")
        kw.setdefault("timeout", 60)
        kw.setdefault("allow_redirects", False)  # an API never redirects
        r = self.s.request(method, self.url(path), data=data, headers=h, **kw)
        if check:
            check_response(r, method)
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=_MISSING, **kw):
        return self.request("POST", path, json_body=body, **kw)

    def patch(self, path, body=_MISSING, **kw):
        return self.request("PATCH", path, json_body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    @staticmethod
    def auth(token):
        return {"Authorization": f"Bearer {token}"}

    def register(self, login=None, phone=None, password=PASSWORD, nick=None,
                 **extra):
        """Registers a new user (a unique login when neither login nor
        phone is given); returns (user, token)."""
        body = dict(extra)
        if login is None and phone is None:
            login = unique_login()
        if login is not None:
            body["login"] = login
        if phone is not None:
            body["phone"] = phone
        if password is not None:
            body["password"] = password
        if nick is not None:
            body["nick"] = nick
        r = self.post("/api/v1/users", body)
        assert r.status_code == 201, r.text
        return r.j["user"], r.j["session"]["token"]

    def login(self, password=PASSWORD, **identity):
        """POST /sessions; returns the response."""
        return self.post("/api/v1/sessions", dict(identity, password=password))

    def shared_user(self):
        """(user, token) of one user registered once per front, for tests
        that only read."""
        if self._shared is None:
            self._shared = self.register(nick="Shared")
        return self._shared


# --- fixtures -----------------------------------------------------------

@pytest.fixture(scope="session", autouse=True)
def _clean_logs():
    """Removes the logs of an earlier run of this build."""
    if os.path.isdir(OUT):
        for name in os.listdir(OUT):
            if name.startswith(BUILD_NAME + "-") and name.endswith(".log"):
                os.unlink(os.path.join(OUT, name))


def _session_front(kind, tmp_path_factory):
    front = start_front(kind, str(tmp_path_factory.mktemp(kind)),
                        GENERAL_FLAGS)
    yield front
    stop_front(front)


@pytest.fixture(scope="session")
def front_parleyd(tmp_path_factory):
    yield from _session_front("parleyd", tmp_path_factory)


@pytest.fixture(scope="session")
def front_fcgi(tmp_path_factory):
    yield from _session_front("fcgi", tmp_path_factory)


_clients = {}


@pytest.fixture(params=FRONTS)
def api(request):
    """A Client of the general front of this parameter (shared by the
    session)."""
    front = request.getfixturevalue(f"front_{request.param}")
    if id(front) not in _clients:
        _clients[id(front)] = Client(front)
    return _clients[id(front)]


@pytest.fixture(params=FRONTS)
def front_kind(request):
    """The name of a front, for tests that start their own."""
    return request.param


@pytest.fixture
def make_front(tmp_path):
    """start_front() for one test: make_front(kind, flags, db=None) returns
    a Client; every front it started is stopped and checked afterwards."""
    started = []

    def make(kind, flags=(), db=None, label=None):
        d = tempfile.mkdtemp(dir=tmp_path)
        front = start_front(kind, d, flags, db=db, label=label)
        started.append(front)
        return Client(front)

    yield make
    problems = []
    for front in started:
        problems += front.stop()
    if problems:
        pytest.fail("server trouble:\n  " + "\n  ".join(problems),
                    pytrace=False)
