"""test_admin.py: parley-admin on a database that a front serves at the
same time: migrate, user add, user passwd, backup, and each --help."""
import glob
import os
import re
import sqlite3
import subprocess

import pytest

from conftest import (binary, expect_error, phone_forms, sanitizer_report,
                      server_env, unique_login, unique_phone)

NEW_PASSWORD = "a new password, longer"
ADMIN_PASSWORD = "admin-made password"


def admin(db, *args, stdin=None, expect=0):
    """Runs parley-admin --db db args...; asserts its exit status; returns
    its standard output."""
    proc = subprocess.run([binary("parley-admin"), "--db", db] + list(args),
                          input=(stdin or "").encode(), capture_output=True,
                          env=server_env(), timeout=60)
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    assert not sanitizer_report(err), err
    assert proc.returncode == expect, (args, proc.returncode, out, err)
    return out + err if expect else out


def migrated(tmp_path):
    db = str(tmp_path / "admin.db")
    out = admin(db, "migrate")
    m = re.search(r"schema (\d+) of (\d+)", out)
    assert m and m.group(1) == m.group(2) and int(m.group(1)) >= 1, out
    return db, int(m.group(1))


@pytest.mark.parametrize("words", [[], ["migrate"], ["user", "add"],
                                   ["user", "passwd"], ["backup"]],
                         ids=lambda w: " ".join(w) or "top")
def test_help(tmp_path, words):
    out = admin(str(tmp_path / "never.db"), *words, "--help")
    assert "usage: parley-admin" in out
    if not words:
        for cmd in ("migrate", "user add", "user passwd", "backup"):
            assert cmd in out
    assert not os.path.exists(tmp_path / "never.db")  # help opens nothing


def test_migrate_twice(tmp_path):
    db, version = migrated(tmp_path)
    out = admin(db, "migrate")
    assert f"schema {version} of {version}" in out
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == version


def test_migration_6_keeps_messages_and_never_reuses_their_ids(tmp_path):
    """A database at schema 5, with messages, migrated: every message keeps
    its id and fields, the indexes are back, and a deleted newest
    message's id is not given again (AUTOINCREMENT)."""
    db = str(tmp_path / "v5.db")
    root = os.path.join(os.path.dirname(__file__), "..", "..", "schema")
    rows = [(3, 1, 1, "three", None, None, "c3", 100, None),
            (7, 1, 2, None, None, "sealed", None, 200, 250)]
    with sqlite3.connect(db) as c:
        for f in sorted(glob.glob(os.path.join(root, "000[1-5]_*.sql"))):
            c.executescript(open(f).read())
        c.execute("PRAGMA user_version=5")
        c.executemany("INSERT INTO users (id, nick, registered_at)"
                      " VALUES (?, 'u', 1)", [(1,), (2,)])
        c.execute("INSERT INTO chats (id, type, created_by, created_at,"
                  " last_activity) VALUES (1, 'group', 1, 1, 1)")
        c.executemany("INSERT INTO messages VALUES (?,?,?,?,?,?,?,?,?)", rows)
    m = re.search(r"schema (\d+) of \1", admin(db, "migrate"))
    assert m and int(m.group(1)) >= 6
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT * FROM messages ORDER BY id").fetchall() \
            == rows
        indexes = {r[0] for r in c.execute(
            "SELECT name FROM sqlite_master WHERE tbl_name='messages'"
            " AND type='index'")}
        assert {"messages_chat", "messages_client"} <= indexes
        c.execute("DELETE FROM messages WHERE id=7")
        c.execute("INSERT INTO messages (chat_id, sender_id, text, sent_at)"
                  " VALUES (1, 1, 'next', 300)")
        assert c.execute("SELECT max(id) FROM messages").fetchone()[0] == 8


def test_admin_refusals(tmp_path):
    db, _ = migrated(tmp_path)
    login = unique_login("adm")
    admin(db, "user", "add", login, stdin=ADMIN_PASSWORD + "\n")
    admin(db, "user", "add", login, stdin=ADMIN_PASSWORD + "\n", expect=1)
    admin(db, "user", "add", "bad login", stdin=ADMIN_PASSWORD, expect=2)
    admin(db, "user", "add", unique_login(), "12345", stdin=ADMIN_PASSWORD,
          expect=2)
    admin(db, "user", "add", unique_login(), stdin="short\n", expect=2)
    admin(db, "user", "add", unique_login(), stdin="", expect=2)
    admin(db, "user", "passwd", unique_login("nobody"),
          stdin=NEW_PASSWORD, expect=1)
    admin(db, "user", "add", expect=2)                 # no login
    admin(db, "backup", expect=2)                      # no file
    admin(db, "frobnicate", expect=2)
    admin(db, expect=2)                                # no command


def test_user_add_then_login(tmp_path, make_front, front_kind):
    db, _ = migrated(tmp_path)
    login, phone = unique_login("adm"), unique_phone()
    out = admin(db, "user", "add", login, phone_forms(phone)[1],
                stdin=ADMIN_PASSWORD + "\n")
    m = re.match(rf"user (\d+) {login}$", out.strip())
    assert m, out
    uid = int(m.group(1))
    c = make_front(front_kind, db=db)
    r = c.login(login=login, password=ADMIN_PASSWORD)
    assert r.status_code == 201 and r.j["user_id"] == uid, r.text
    r = c.login(phone=phone, password=ADMIN_PASSWORD)
    assert r.status_code == 201 and r.j["user_id"] == uid, r.text
    me = c.get("/api/v1/me", token=r.j["token"]).j
    assert (me["id"], me["login"], me["phone"], me["nick"]) == \
        (uid, login, phone, login)
    # a user added while the front runs can sign in at once
    other = unique_login("adm")
    admin(db, "user", "add", other, stdin=ADMIN_PASSWORD + "\n")
    assert c.login(login=other, password=ADMIN_PASSWORD).status_code == 201


def test_passwd_ends_sessions(tmp_path, make_front, front_kind):
    db, _ = migrated(tmp_path)
    c = make_front(front_kind, db=db)
    login = unique_login("adm")
    user, token = c.register(login=login)
    token2 = c.login(login=login).j["token"]
    assert c.get("/api/v1/me", token=token).status_code == 200
    out = admin(db, "user", "passwd", login, stdin=NEW_PASSWORD + "\n")
    assert "sessions ended" in out
    for t in (token, token2):
        expect_error(c.get("/api/v1/me", token=t), 401, "invalid_token")
    expect_error(c.login(login=login), 401, "invalid_credentials")
    r = c.login(login=login, password=NEW_PASSWORD)
    assert r.status_code == 201 and r.j["user_id"] == user["id"]
    assert c.get("/api/v1/me", token=r.j["token"]).j["id"] == user["id"]


def test_backup_while_running(tmp_path, make_front, front_kind):
    db, version = migrated(tmp_path)
    c = make_front(front_kind, db=db)
    logins = [unique_login("bk") for _ in range(3)]
    for login in logins:
        c.register(login=login)
    copy = str(tmp_path / "backup.db")
    out = admin(db, "backup", copy)
    assert copy in out
    with sqlite3.connect(copy) as b:
        assert b.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert b.execute("PRAGMA user_version").fetchone()[0] == version
        have = {row[0] for row in b.execute("SELECT login FROM users")}
        assert set(logins) <= have, have
        # the session rows came along: a copy can replace the original
        n = b.execute("SELECT count(*) FROM sessions").fetchone()[0]
        assert n >= len(logins)
    # the front did not notice
    c.register()
    # and a front started on the copy serves the same users
    c2 = make_front(front_kind, db=copy)
    r = c2.login(login=logins[0])
    assert r.status_code == 201, r.text
