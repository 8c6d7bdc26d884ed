"""test_install.py: make install and make uninstall into a temporary
DESTDIR (the file list, modes, paths made to match PREFIX, the installed
programs run), and the manual pages (mandoc -Tlint, every option)."""
import os
import re
import stat
import subprocess

from conftest import BUILD_NAME, ROOT, binary

MAN = ["parleyd.8", "parley.fcgi.8", "parley-admin.8"]
UNITS = ["parley-fcgi.service", "parley-fcgi.socket", "parley-prune.service",
         "parley-prune.timer", "parleyd.service"]


def make(*args):
    """Runs make in the tree for this build (SAN=1 for build-san);
    returns its output."""
    san = ["SAN=1"] if BUILD_NAME == "build-san" else []
    proc = subprocess.run(["make", "-s", "-C", ROOT] + san + list(args),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def tree(root):
    """Every file under root, relative, with its mode."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            out[os.path.relpath(p, root)] = stat.S_IMODE(os.lstat(p).st_mode)
    return out


def expected(prefix):
    p = prefix.lstrip("/")
    www = sorted(os.path.relpath(os.path.join(d, f), os.path.join(ROOT, "www"))
                 for d, _, fs in os.walk(os.path.join(ROOT, "www"))
                 for f in fs)
    files = {f"{p}/sbin/{b}": 0o755
             for b in ("parleyd", "parley.fcgi", "parley-admin")}
    files.update({f"{p}/share/parley/www/{w}": 0o644 for w in www})
    files.update({f"{p}/share/man/man8/{m}": 0o644 for m in MAN})
    files.update({f"{p}/share/doc/parley/examples/{e}": 0o644
                  for e in ("nginx.conf", "apache.conf")})
    files.update({f"{p}/lib/systemd/system/{u}": 0o644 for u in UNITS})
    return files


def test_install_and_uninstall(tmp_path):
    dest = str(tmp_path / "stage")
    make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    got = tree(dest)
    assert got == expected("/usr"), sorted(set(got) ^ set(expected("/usr")))
    # the installed programs are this build's, and run
    with open(binary("parleyd"), "rb") as a, \
            open(os.path.join(dest, "usr/sbin/parleyd"), "rb") as b:
        assert a.read() == b.read()
    for prog in ("parleyd", "parley.fcgi", "parley-admin"):
        proc = subprocess.run([os.path.join(dest, "usr/sbin", prog),
                               "--help"], capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0 and "--db" in proc.stdout, proc
    # the units and pages name the installed paths, never /usr/local
    for f in got:
        if "/systemd/" in f or "/man8/" in f:
            with open(os.path.join(dest, f)) as fh:
                text = fh.read()
            assert "/usr/local" not in text, f
    with open(os.path.join(dest, "usr/lib/systemd/system/parleyd.service")) \
            as f:
        unit = f.read()
    assert "ExecStart=/usr/sbin/parleyd\n" in unit
    assert "PARLEY_WWW=/usr/share/parley/www\n" in unit

    # install twice is fine; uninstall removes every file and parley's
    # own directories
    make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    make("uninstall", f"DESTDIR={dest}", "PREFIX=/usr")
    assert tree(dest) == {}
    left = [d for d, _, _ in os.walk(dest) if "parley" in d]
    assert not left, left
    make("uninstall", f"DESTDIR={dest}", "PREFIX=/usr")  # and again


def test_default_prefix(tmp_path):
    dest = str(tmp_path / "stage")
    make("install", f"DESTDIR={dest}")
    assert tree(dest) == expected("/usr/local")
    with open(os.path.join(dest, "usr/local/lib/systemd/system/"
                           "parley-fcgi.service")) as f:
        assert "ExecStart=/usr/local/sbin/parley.fcgi\n" in f.read()
    make("uninstall", f"DESTDIR={dest}")
    assert tree(dest) == {}


def test_man_pages_lint():
    for page in MAN:
        path = os.path.join(ROOT, "docs", "man", page)
        # run beside the pages, so that their references to each other
        # are found
        proc = subprocess.run(["mandoc", "-Tlint", "-Wstyle", page],
                              cwd=os.path.dirname(path), capture_output=True,
                              text=True, timeout=60)
        # mandoc may add notices about the system's own database; any
        # message about our page fails, except that another package's
        # manual (spawn-fcgi(1), say) is not installed on this machine:
        # whether it is found depends on the machine, not on the page
        lines = (proc.stdout + proc.stderr).splitlines()
        foreign = [l for l in lines if "referenced manual not found" in l
                   and not any(f"Xr {m.split('.')[0]} " in l for m in MAN)]
        ours = [l for l in lines if page in l and l not in foreign]
        assert not ours, proc.stdout + proc.stderr
        assert proc.returncode == 0 or foreign, proc.stdout + proc.stderr
        out = subprocess.run(["mandoc", "-Tutf8", path], capture_output=True,
                             text=True, timeout=60).stdout
        out = re.sub(".\b", "", out)  # overstrike (bold, underline)
        assert "SYNOPSIS" in out and "SEE ALSO" in out


def help_options(prog):
    out = subprocess.run([binary(prog), "--help"], capture_output=True,
                         text=True, timeout=60).stdout
    return set(re.findall(r"^  --([a-z-]+)", out, re.M))


def test_man_pages_name_every_option():
    """parleyd.8 describes every option (each front takes the same ones);
    parley-admin.8 every command."""
    with open(os.path.join(ROOT, "docs", "man", "parleyd.8")) as f:
        page = f.read()
    documented = set(re.findall(r"^\.It Fl -([a-z-]+)", page, re.M))
    assert documented == help_options("parleyd"), \
        documented ^ help_options("parleyd")
    assert help_options("parley.fcgi") == help_options("parleyd")
    with open(os.path.join(ROOT, "docs", "man", "parley-admin.8")) as f:
        page = f.read()
    out = subprocess.run([binary("parley-admin"), "--help"],
                         capture_output=True, text=True, timeout=60).stdout
    commands = re.findall(r"^  ([a-z]+(?: [a-z]+)?) ", out.split(
        "commands", 1)[1] + " ", re.M)
    for cmd in commands:
        assert f".It Cm {cmd}" in page, cmd
