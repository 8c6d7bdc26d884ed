"""test_systemd.py: the systemd units of deploy/systemd, and socket
activation without systemd.

The units are installed (make install DESTDIR=root PREFIX=/usr) into a
temporary root that also holds this machine's own units (the targets they
name), and checked there by systemd-analyze: verify (syntax, the ExecStart
programs exist and run, the man pages of Documentation= exist) and
security --offline (the hardening's exposure score).

Socket activation is then done by hand as systemd does it: a listening
unix socket opened by the test, handed to parley.fcgi as descriptor 3
with LISTEN_FDS=1 and LISTEN_PID=its own pid, and nginx (deploy/
nginx.conf) in front of that socket."""
import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from conftest import (BUILD_NAME, OUT, Client, Front, Proc, binary,
                      health_ok, server_env, start_nginx, stop_front,
                      wait_until)
from helpers_chat import cursor, poll
from test_install import UNITS, make

SERVICES = [u for u in UNITS if u.endswith(".service")]
HOST_UNITS = "/usr/lib/systemd/system"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("sysroot"))
    make("install", f"DESTDIR={root}", "PREFIX=/usr")
    shutil.copytree(HOST_UNITS, os.path.join(root, "lib/systemd/system"),
                    symlinks=True)
    return root


def analyze(root, *args):
    env = dict(os.environ, MANPATH=os.path.join(root, "usr/share/man"),
               SYSTEMD_LOG_COLOR="0", SYSTEMD_PAGER="cat")
    return subprocess.run(["systemd-analyze", f"--root={root}"] + list(args),
                          capture_output=True, text=True, env=env,
                          timeout=60)


@pytest.mark.parametrize("unit", UNITS)
def test_verify(root, unit):
    proc = analyze(root, "verify",
                   os.path.join(root, "usr/lib/systemd/system", unit))
    assert proc.returncode == 0 and proc.stdout + proc.stderr == "", \
        proc.stdout + proc.stderr


def test_verify_notices_a_missing_program(root):
    """The check above would catch a wrong ExecStart path."""
    unit = os.path.join(root, "usr/lib/systemd/system/parleyd.service")
    etc = os.path.join(root, "etc/systemd/system")
    os.makedirs(etc, exist_ok=True)
    bad = os.path.join(etc, "parleyd-bad.service")
    with open(unit) as f, open(bad, "w") as g:
        g.write(f.read().replace("/usr/sbin/parleyd", "/usr/sbin/parleydx"))
    try:
        proc = analyze(root, "verify", bad)
    finally:
        os.unlink(bad)
    assert proc.returncode != 0 and "parleydx" in proc.stdout + proc.stderr


@pytest.mark.parametrize("unit", SERVICES)
def test_hardening(root, unit):
    path = os.path.join(root, "usr/lib/systemd/system", unit)
    proc = analyze(root, "security", "--offline=true", path)
    m = re.search(r"Overall exposure level for \S+: ([\d.]+)",
                  proc.stdout + proc.stderr)
    assert m, proc.stdout + proc.stderr
    assert float(m.group(1)) <= 2.0, proc.stdout
    with open(path) as f:
        text = f.read()
    for line in ("DynamicUser=yes", "User=parley", "StateDirectory=parley",
                 "ProtectSystem=strict", "NoNewPrivileges=yes",
                 "Environment=PARLEY_DB=/var/lib/parley/parley.db"):
        assert line + "\n" in text, (unit, line)


def test_socket_unit_matches_the_service(root):
    d = os.path.join(root, "usr/lib/systemd/system")
    with open(os.path.join(d, "parley-fcgi.socket")) as f:
        sock = f.read()
    with open(os.path.join(d, "parley-fcgi.service")) as f:
        svc = f.read()
    with open(os.path.join(d, "parley-prune.timer")) as f:
        timer = f.read()
    assert "ListenStream=/run/parley/fcgi.sock\n" in sock
    assert "SocketMode=0660\n" in sock and "SocketGroup=www-data\n" in sock
    # the service takes the socket from systemd: no socket of its own
    assert "ExecStart=/usr/sbin/parley.fcgi\n" in svc
    assert "PARLEY_LISTEN" not in svc.replace(
        "(but not PARLEY_LISTEN", "")
    assert "OnCalendar=" in timer  # parley-prune.timer starts its service


# --- socket activation, by hand ----------------------------------------------

LAUNCH = """
import os, sys
fd = int(sys.argv[1])
if fd != 3:
    os.dup2(fd, 3)
    os.close(fd)
os.environ.update(LISTEN_FDS="1", LISTEN_FDNAMES="parley-fcgi.socket",
                  LISTEN_PID=str(os.getpid() + int(sys.argv[2])))
os.execv(sys.argv[3], sys.argv[3:])
"""


class ActivatedProc(Proc):
    """parley.fcgi started the way systemd starts it: the listening socket
    sock at descriptor 3, LISTEN_FDS=1, LISTEN_PID its pid (plus
    pid_offset, to test a variable meant for another process)."""

    def __init__(self, label, sock, argv, pid_offset=0):
        os.makedirs(OUT, exist_ok=True)
        self.label = label
        self.argv = argv
        self.log = os.path.join(OUT, f"{BUILD_NAME}-{label}.log")
        self._logf = open(self.log, "wb")
        self.popen = subprocess.Popen(
            ["/usr/bin/python3", "-c", LAUNCH, str(sock.fileno()),
             str(pid_offset)] + argv,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self._logf, env=server_env(), pass_fds=[sock.fileno()])


def listening_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(128)
    return s


def test_socket_activation(tmp_path):
    path = str(tmp_path / "activated.sock")
    db = str(tmp_path / "a.db")
    s = listening_socket(path)
    inode = os.stat(path).st_ino
    front = Front("fcgi", "activated", str(tmp_path), db)
    try:
        fcgi = ActivatedProc("activated-fcgi", s, [
            binary("parley.fcgi"), "--db", db, "--threads", "4"])
        s.close()  # parley.fcgi holds it now, as systemd would
        front.procs.append(fcgi)
        wait_until("parley.fcgi starts", lambda: "threads" in fcgi.text(),
                   [fcgi])
        start_nginx(front, path)
        wait_until("nginx answers /health", lambda: health_ok(front.base),
                   front.procs)
        c = Client(front)
        user, token = c.register()
        assert c.get("/api/v1/me", token=token).j["id"] == user["id"]
        last = cursor(c, token)
        t0 = time.monotonic()
        assert poll(c, token, last, timeout=1) == ([], last)
        assert 0.9 <= time.monotonic() - t0 < 3
        # the socket file is still the one the test made: parley.fcgi
        # neither removed nor replaced it
        assert os.stat(path).st_ino == inode
    finally:
        stop_front(front)


def test_socket_activation_for_another_pid(tmp_path):
    """LISTEN_PID names another process (the variables leaked from a
    parent): descriptor 3 is not taken, and with no other way to serve
    parley.fcgi says so and exits 2."""
    s = listening_socket(str(tmp_path / "other.sock"))
    p = ActivatedProc("activated-other", s, [
        binary("parley.fcgi"), "--db", str(tmp_path / "o.db")], pid_offset=1)
    s.close()
    try:
        assert p.popen.wait(30) == 2
    finally:
        p.stop()
    assert "--listen" in p.text()
