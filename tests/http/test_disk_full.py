"""test_disk_full.py: the database lives on a 3 MiB tmpfs (mounted for the
test; skipped where mounting is refused). Sends with attachments fill it:
writes then answer 507 storage_full with the JSON error; reads keep
working; every message acknowledged before is there; and when space
returns (the tmpfs is made larger with mount -o remount) writes succeed
again, with no restart. And the same with an operator's quota
(--max-db-mib) instead of a small disk."""
import base64
import os
import subprocess

import pytest

from conftest import expect_error

SIZE = "3m"


@pytest.fixture
def tmpfs(tmp_path):
    """A small tmpfs of its own; unmounted after the test's fronts stop
    (this fixture is set up before make_front, so torn down after it)."""
    d = str(tmp_path / "full")
    os.makedirs(d)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}",
                        "tmpfs", d], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    yield d
    subprocess.run(["umount", "-l", d], capture_output=True)


def test_disk_full(tmpfs, make_front, front_kind):
    c = make_front(front_kind, ["--max-attachment", str(1 << 20)],
                   db=os.path.join(tmpfs, "p.db"))
    a, at = c.register(nick="FullA")
    b, bt = c.register(nick="FullB")
    chat = c.post("/api/v1/chats", {"type": "direct", "user_id": b["id"]},
                  token=at).j["id"]
    blob = base64.b64encode(os.urandom(150 * 1024)).decode()
    acked, full = [], None
    for i in range(60):
        r = c.post(f"/api/v1/chats/{chat}/messages",
                   {"text": f"m{i}", "client_msg_id": f"c{i}",
                    "attachment": {"mime": "application/octet-stream",
                                   "data": blob}}, token=at)
        if r.status_code == 201:
            acked.append(r.j["id"])
            continue
        full = r
        break
    assert full is not None, "the disk never filled"
    assert acked, "not even one message fit"
    expect_error(full, 507, "storage_full")

    # small writes are refused too, or succeed: never anything else
    for body in ({"text": "small"}, {"text": "s2", "client_msg_id": "s2"}):
        r = c.post(f"/api/v1/chats/{chat}/messages", body, token=at)
        assert r.status_code in (201, 507), r.text
    r = c.patch("/api/v1/me", {"status": "x" * 500}, token=bt)
    assert r.status_code in (200, 507), r.text

    # reads work, and every acknowledged message is there, whole
    assert c.get("/api/v1/me", token=at).status_code == 200
    hist = c.get(f"/api/v1/chats/{chat}/messages?limit=500", token=bt).j
    ids = [m["id"] for m in hist["messages"]]
    assert set(acked) <= set(ids)
    att = hist["messages"][0]["attachment"]
    r = c.get(att["url"], token=bt, check=False)
    assert r.status_code == 200 and len(r.content) == 150 * 1024
    assert c.get("/api/v1/events?timeout=0", token=bt).status_code == 200

    # space returns: writes work again, without a restart
    subprocess.run(["mount", "-o", "remount,size=64m", tmpfs], check=True)
    r = c.post(f"/api/v1/chats/{chat}/messages",
               {"text": "after", "client_msg_id": f"c{len(acked)}",
                "attachment": {"mime": "application/octet-stream",
                               "data": blob}}, token=at)
    assert r.status_code == 201, r.text
    acked.append(r.j["id"])
    hist = c.get(f"/api/v1/chats/{chat}/messages?limit=500", token=bt).j
    assert set(acked) <= {m["id"] for m in hist["messages"]}
    # the database is sound
    out = subprocess.run(["sqlite3", c.front.db, "PRAGMA integrity_check"],
                         capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stdout + out.stderr


def test_database_quota(make_front, front_kind, tmp_path):
    """--max-db-mib: the same story as a full disk, with no mount: writes
    past the quota answer 507 storage_full, reads go on, nothing
    acknowledged is lost, and a restart with a larger quota writes again."""
    from conftest import stop_front
    db = str(tmp_path / "quota.db")
    c = make_front(front_kind, ["--max-db-mib", "1"], db=db)
    a, at = c.register(nick="QuotaA")
    b, bt = c.register(nick="QuotaB")
    chat = c.post("/api/v1/chats", {"type": "direct", "user_id": b["id"]},
                  token=at).j["id"]
    blob = base64.b64encode(os.urandom(100 * 1024)).decode()
    acked, full = [], None
    for i in range(30):
        r = c.post(f"/api/v1/chats/{chat}/messages",
                   {"text": f"q{i}", "attachment": {
                       "mime": "application/octet-stream", "data": blob}},
                   token=at)
        if r.status_code != 201:
            full = r
            break
        acked.append(r.j["id"])
    assert full is not None and acked
    expect_error(full, 507, "storage_full")
    assert os.path.getsize(db) <= 1024 * 1024
    hist = c.get(f"/api/v1/chats/{chat}/messages?limit=500", token=bt).j
    assert set(acked) <= {m["id"] for m in hist["messages"]}
    stop_front(c.front)
    c = make_front(front_kind, ["--max-db-mib", "64"], db=db)
    r = c.post(f"/api/v1/chats/{chat}/messages", {"text": "more room",
               "attachment": {"mime": "application/octet-stream",
                              "data": blob}}, token=at)
    assert r.status_code == 201, r.text
    hist = c.get(f"/api/v1/chats/{chat}/messages?limit=500", token=bt).j
    assert set(acked + [r.j["id"]]) <= {m["id"] for m in hist["messages"]}
