"""test_crash.py: crash consistency. Sender threads send without pause,
each message with its own client_msg_id, retrying it until they get a
2xx; meanwhile the server process (parleyd, or parley.fcgi behind nginx)
is killed with SIGKILL at random moments and restarted on the same
database. Afterwards:
  - every message that got a 2xx exists, exactly once (no client_msg_id
    twice in the chat, however often it was retried);
  - every member's event stream, read from the start, holds message.new
    of each exactly once;
  - PRAGMA integrity_check says ok.
PARLEY_CRASH_KILLS (default 5) kills per front; `make crash` runs 10 per
front (20 in all).
"""
import os
import random
import signal
import sqlite3
import threading
import time

import requests

from conftest import (Proc, free_port, health_ok, start_front,
                      stop_front, wait_until)

KILLS = int(os.environ.get("PARLEY_CRASH_KILLS", "5"))
SENDERS = 4


def restart(front, n):
    """SIGKILLs the parley process of front and starts it again with the
    same arguments (parleyd on the same port; parley.fcgi on the same
    socket, behind the same nginx)."""
    old = front.procs[0]
    old.popen.send_signal(signal.SIGKILL)
    old.popen.wait()
    old._logf.close()
    new = Proc(f"{front.label}-r{n}", old.argv)
    front.procs[0] = new
    wait_until("the front restarts", lambda: health_ok(front.base), [new])


def sender(base, token, chat, prefix, stop, acked, problems):
    s = requests.Session()
    s.trust_env = False
    i = 0
    while not stop.is_set():
        cid = f"{prefix}-{i}"
        while True:  # the same client_msg_id until a 2xx
            try:
                r = s.post(f"{base}/api/v1/chats/{chat}/messages",
                           json={"text": cid, "client_msg_id": cid},
                           headers={"Authorization": f"Bearer {token}"},
                           timeout=15)
            except requests.RequestException:
                time.sleep(0.05)
                continue
            if r.status_code in (200, 201):
                acked[cid] = r.json()["id"]
                break
            if r.status_code not in (502, 503, 504):
                problems.append(f"{cid}: {r.status_code} {r.text[:200]}")
                return
            time.sleep(0.05)
        i += 1


def events_from_start(c, token):
    """message.new ids of the user's whole event stream, in order."""
    ids, last = [], 0
    while True:
        r = c.get(f"/api/v1/events?after={last}&timeout=0&limit=500",
                  token=token)
        assert r.status_code == 200, r.text
        ids += [e["data"]["id"] for e in r.j["events"]
                if e["type"] == "message.new"]
        if r.j["last_id"] == last:
            return ids
        last = r.j["last_id"]


def test_sigkill_under_sends(tmp_path, front_kind):
    from conftest import Client
    flags = ["--register-max", "1000", "--send-rate", "0"]
    if front_kind == "parleyd":
        flags += ["--listen", f"127.0.0.1:{free_port()}"]
    front = start_front(front_kind, str(tmp_path), flags)
    front.upstream_may_vanish = True  # we kill it
    try:
        c = Client(front)
        users = [c.register(nick=f"S{i}") for i in range(SENDERS + 1)]
        owner_token = users[0][1]
        chat = c.post("/api/v1/chats", {
            "type": "group", "title": "crash",
            "members": [u["id"] for u, _ in users[1:]]},
            token=owner_token).j["id"]
        stop = threading.Event()
        acked, problems = {}, []
        threads = [threading.Thread(target=sender, args=(
            front.base, users[i][1], chat, f"s{i}", stop, acked, problems))
            for i in range(SENDERS)]
        for t in threads:
            t.start()
        rnd = random.Random()
        counts = []
        try:
            for n in range(KILLS):
                time.sleep(rnd.uniform(0.3, 1.2))
                counts.append(len(acked))
                restart(front, n + 1)
            time.sleep(0.5)
        finally:
            stop.set()
            for t in threads:
                t.join(60)
        assert not problems, problems
        assert len(acked) > KILLS, f"only {len(acked)} sends got through"
        assert counts == sorted(counts)

        # every acknowledged message exactly once, each client_msg_id once
        msgs, before = [], 0
        while True:
            q = f"?limit=500&before={before}" if before else "?limit=500"
            page = c.get(f"/api/v1/chats/{chat}/messages{q}",
                         token=owner_token).j
            msgs = page["messages"] + msgs
            if not page["has_more"]:
                break
            before = page["messages"][0]["id"]
        by_cid = {}
        for m in msgs:
            by_cid.setdefault(m["client_msg_id"], []).append(m["id"])
        twice = {k: v for k, v in by_cid.items() if len(v) > 1}
        assert not twice, f"sent twice: {twice}"
        lost = {k: v for k, v in acked.items() if by_cid.get(k) != [v]}
        assert not lost, f"acknowledged but lost or changed: {lost}"

        # every member's stream holds each message once
        want = sorted(m["id"] for m in msgs)
        for u, token in users:
            got = events_from_start(c, token)
            assert sorted(got) == want, \
                f"user {u['id']}: {len(got)} events for {len(want)} messages"
        print(f"crash[{front_kind}]: {KILLS} SIGKILLs, {len(acked)}"
              f" acknowledged sends, {len(msgs)} messages, each once in"
              f" {len(users)} event streams")
    finally:
        stop_front(front)
    db = sqlite3.connect(front.db)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()
