"""The long-poll event queue: cursors, holding and waking, delivery and
read receipts, presence, isolation, and the no-loss/no-duplicate guarantee
under concurrent senders, retries and dropped connections. Every case runs
on both fronts; the cross-process case runs parleyd and parley.fcgi on one
database file."""
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import threading
import time

import pytest
import requests

from conftest import binary, expect_error
from helpers_chat import (cursor, direct, drain, of_type, poll, send,
                          settled_cursor)


def test_cursor_basics(api):
    a, ta = api.register()
    t0 = time.monotonic()
    r = api.get("/api/v1/events", token=ta)
    assert time.monotonic() - t0 < 1.0
    assert r.j["events"] == [] and isinstance(r.j["last_id"], int)
    assert "no-store" in r.headers["Cache-Control"]
    if api.kind == "parleyd":  # nginx consumes X-Accel-* itself
        assert r.headers["X-Accel-Buffering"] == "no"
    for q in ["after=x", "after=-1", "timeout=61", "timeout=-1", "limit=0",
              "limit=501"]:
        expect_error(api.get(f"/api/v1/events?{q}", token=ta), 400,
                     "invalid_field")
    expect_error(api.get("/api/v1/events?after=0"), 401, "auth_required")


def test_held_poll_times_out_with_the_same_cursor(api):
    a, ta = api.register()
    last = cursor(api, ta)
    t0 = time.monotonic()
    events, new_last = poll(api, ta, last, timeout=1)
    took = time.monotonic() - t0
    assert events == [] and new_last == last
    assert 0.9 <= took < 3.0, took


def wake_latency(poll_api, poll_token, send_api, send_token, chat, rounds=5):
    """Holds a poll, sends from another client, and measures the time from
    the send's answer to the poll's answer; returns the latencies (s)."""
    out = []
    for i in range(rounds):
        after = cursor(poll_api, poll_token)
        got = {}

        def hold():
            events, _ = poll(poll_api, poll_token, after, timeout=10)
            got["t"] = time.monotonic()
            got["events"] = events

        t = threading.Thread(target=hold)
        t.start()
        time.sleep(0.3)  # the poll is held by now
        send(send_api, send_token, chat, f"wake {i}")
        sent = time.monotonic()
        t.join(15)
        assert "t" in got, "the held poll did not return"
        assert [e["data"]["text"] for e in got["events"]
                if e["type"] == "message.new"] == [f"wake {i}"]
        out.append(got["t"] - sent)
    return out


def test_held_poll_wakes_on_send(api):
    a, ta = api.register()
    b, tb = api.register()
    d = direct(api, ta, b["id"])
    lat = wake_latency(api, tb, api, ta, d)
    print(f"\nwake latency on {api.kind}: "
          f"median {statistics.median(lat) * 1000:.1f} ms, "
          f"max {max(lat) * 1000:.1f} ms")
    assert statistics.median(lat) <= 0.050, lat
    assert max(lat) <= 0.250, lat


def test_held_polls_take_no_thread(front_kind, make_front):
    """With 2 worker threads, 12 held polls leave the server free to answer
    at once, and each poll is woken by its own message. Were a held poll to
    occupy a thread, GET /me would wait for the polls' 20 s timeout."""
    api = make_front(front_kind, ["--threads", "2"])
    a, ta = api.register()
    users = [api.register() for _ in range(12)]
    chats = [direct(api, ta, u["id"]) for u, _ in users]
    afters = [cursor(api, t) for _, t in users]
    got = {}

    def hold(k):
        got[k] = poll(api, users[k][1], afters[k], timeout=20)[0]

    polls = [threading.Thread(target=hold, args=(k,)) for k in range(12)]
    for t in polls:
        t.start()
    time.sleep(0.5)  # the polls are held by now
    t0 = time.monotonic()
    assert api.get("/api/v1/me", token=ta).status_code == 200
    assert time.monotonic() - t0 < 1.0, "a held poll occupies a thread"
    assert not got, "a poll returned before its message"
    for k in range(12):
        send(api, ta, chats[k], f"to {k}")
    for t in polls:
        t.join(10)
    for k in range(12):
        texts = [e["data"]["text"] for e in got.get(k, [])
                 if e["type"] == "message.new"]
        assert texts == [f"to {k}"], (k, got.get(k))


def test_wake_across_processes(make_front, tmp_path):
    """Two parley.fcgi processes and a parleyd on one database file deliver
    to each other's held polls."""
    db = str(tmp_path / "shared.db")
    fronts = {"parleyd": make_front("parleyd", db=db),
              "fcgi-1": make_front("fcgi", db=db),
              "fcgi-2": make_front("fcgi", db=db)}
    a, ta = fronts["parleyd"].register()
    b, tb = fronts["fcgi-1"].register()
    d = direct(fronts["fcgi-2"], ta, b["id"])
    for poll_on, send_on in [("parleyd", "fcgi-1"), ("fcgi-1", "parleyd"),
                             ("fcgi-1", "fcgi-2"), ("fcgi-2", "fcgi-1"),
                             ("fcgi-2", "parleyd"), ("parleyd", "fcgi-2")]:
        lat = wake_latency(fronts[poll_on], tb, fronts[send_on], ta, d,
                           rounds=3)
        name = f"{send_on} -> {poll_on}"
        print(f"\nwake latency {name}: median "
              f"{statistics.median(lat) * 1000:.1f} ms, "
              f"max {max(lat) * 1000:.1f} ms")
        assert statistics.median(lat) <= 0.050, (name, lat)
        assert max(lat) <= 0.250, (name, lat)


def test_no_loss_no_duplicates(front_kind, make_front):
    """4 senders x 500 messages to one recipient who polls with small
    limits and drops its connection at random; some sends are retried with
    the same client_msg_id. Every message arrives exactly once, in order
    within its chat."""
    api = make_front(front_kind, ["--register-max", "1000", "--threads", "32"])
    r, tr = api.register()
    senders = [api.register() for _ in range(4)]
    n_each = 500
    start = cursor(api, tr)
    sent = {}         # message id -> (sender index, i)
    errors = []

    def sender(k):
        s = requests.Session()
        s.trust_env = False
        user, token = senders[k]
        rnd = random.Random(k)
        try:
            for i in range(n_each):
                body = {"to": {"user_id": r["id"]}, "text": f"s{k}-{i}",
                        "client_msg_id": f"s{k}-{i}"}
                tries = 2 if rnd.random() < 0.1 else 1  # lost answers
                ids = set()
                for _ in range(tries):
                    resp = s.post(api.url("/api/v1/messages"), json=body,
                                  headers=api.auth(token), timeout=30)
                    assert resp.status_code in (200, 201), resp.text
                    ids.add(resp.json()["id"])
                assert len(ids) == 1
                sent[ids.pop()] = (k, i)
        except Exception as e:  # reported by the main thread
            errors.append(repr(e))

    threads = [threading.Thread(target=sender, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()

    received = []
    after = start
    rnd = random.Random(99)
    s = requests.Session()
    s.trust_env = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        drop = rnd.random() < 0.15
        try:
            resp = s.get(api.url(f"/api/v1/events?after={after}&timeout=2"
                                 f"&limit={rnd.randint(1, 9)}"),
                         headers=api.auth(tr),
                         timeout=(5, 0.02) if drop else 30)
        except requests.exceptions.ReadTimeout:
            s.close()  # the connection is dropped mid-poll
            s = requests.Session()
            s.trust_env = False
            continue
        assert resp.status_code == 200, resp.text
        j = resp.json()
        received += [e for e in j["events"] if e["type"] == "message.new"]
        assert j["last_id"] >= after
        after = j["last_id"]
        if not any(t.is_alive() for t in threads) and len(sent) == \
                4 * n_each and len(received) >= len(sent):
            break
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    ids = [e["data"]["id"] for e in received]
    assert len(ids) == len(set(ids)), "a message arrived twice"
    assert set(ids) == set(sent), \
        f"lost {len(set(sent) - set(ids))} of {len(sent)}"
    event_ids = [e["id"] for e in received]
    assert event_ids == sorted(event_ids)
    per_chat = {}
    for e in received:
        k, i = sent[e["data"]["id"]]
        per_chat.setdefault(e["data"]["chat_id"], []).append(i)
    assert len(per_chat) == 4
    for seq in per_chat.values():
        assert seq == list(range(n_each)), "out of order within a chat"


def test_cursor_expired_edges(front_kind, make_front, tmp_path):
    db = str(tmp_path / "expire.db")
    api = make_front(front_kind, db=db)
    a, ta = api.register()
    b, tb = api.register()
    d = direct(api, ta, b["id"])
    for i in range(3):
        send(api, ta, d, f"old {i}")
    # b's polls make events too (its presence, receipts to a), and an
    # acknowledgement's receipts are written after the poll's answer
    # (group_commit_later()): let them settle before taking the largest id
    # issued, until it stays the same for a while
    poll(api, tb, 0)
    poll(api, tb, cursor(api, tb))
    last = settled_cursor(api, tb)
    # beyond any id issued: the database was replaced
    assert poll(api, tb, last)[1] == last
    err = expect_error(api.get(f"/api/v1/events?after={last + 1}&timeout=0",
                               token=tb), 410, "cursor_expired")
    assert err["last_id"] == last
    # make the first events old, and let retention remove them
    with sqlite3.connect(db, timeout=10) as c:
        ids = [row[0] for row in c.execute(
            "SELECT id FROM events ORDER BY id LIMIT 4")]
        c.execute("UPDATE events SET at = at - 8 * 86400000 WHERE id <= ?",
                  (ids[-1],))
    subprocess.run([binary("parley-admin"), "--db", db, "prune"], check=True,
                   capture_output=True)
    floor = ids[-1]
    err = expect_error(api.get(f"/api/v1/events?after={floor - 1}&timeout=0",
                               token=tb), 410, "cursor_expired")
    assert err["last_id"] == last
    events, _ = poll(api, tb, floor)  # at the floor nothing was missed
    assert [e["data"]["text"] for e in events
            if e["type"] == "message.new"][-1] == "old 2"


def test_delivery_receipts_from_the_cursor(api):
    a, ta = api.register()
    b, tb = api.register()
    d = direct(api, ta, b["id"])
    b_last = cursor(api, tb)
    m = send(api, ta, d, "did you get this?")
    a_last = cursor(api, ta)
    events, b_next = poll(api, tb, b_last)
    assert m["id"] in [x["id"] for x in of_type(events, "message.new")]
    # nothing is delivered until b's cursor passes the message
    events, _ = poll(api, ta, a_last)
    assert not of_type(events, "message.delivered")
    poll(api, tb, b_next)
    poll(api, tb, b_next)  # the same cursor twice: one receipt
    events, _ = drain(api, ta, a_last)
    assert of_type(events, "message.delivered") == [
        {"chat_id": d, "message_id": m["id"], "user_id": b["id"]}]


def test_events_are_for_members_only(api):
    a, ta = api.register()
    b, tb = api.register()
    c, tc = api.register()
    d = direct(api, ta, b["id"])
    c_last = cursor(api, tc)
    send(api, ta, d, "private")
    api.patch("/api/v1/me", {"status": "busy"}, token=ta)
    events, _ = drain(api, tc, c_last)
    assert events == []


def test_user_updated_reaches_chat_peers(api):
    a, ta = api.register(phone=None)
    b, tb = api.register()
    direct(api, ta, b["id"])
    b_last = cursor(api, tb)
    api.patch("/api/v1/me", {"status": "on holiday",
                             "email": "a@example.org"}, token=ta)
    events, _ = drain(api, tb, b_last, wait_for="user.updated")
    u = of_type(events, "user.updated")[0]
    assert u["id"] == a["id"] and u["status"] == "on holiday"
    assert u["email"] is None  # b is not a's contact


def test_presence_online_and_offline(front_kind, make_front):
    api = make_front(front_kind, ["--presence-grace", "1"])
    a, ta = api.register()
    b, tb = api.register()
    direct(api, ta, b["id"])
    a_last = cursor(api, ta)
    # a poll without after counts too, with its timeout: 1 s here
    b_last = api.get("/api/v1/events?timeout=1", token=tb).j["last_id"]
    poll(api, tb, b_last, timeout=1)
    assert api.get(f"/api/v1/users/{b['id']}", token=ta).j["online"] is True
    online = api.get("/api/v1/users?online=true", token=ta).j["users"]
    assert b["id"] in [u["id"] for u in online]
    events, a_last = drain(api, ta, a_last, wait_for="presence")
    on = of_type(events, "presence")
    assert on and on[0]["user_id"] == b["id"] and on[0]["online"] is True
    # b stops polling: offline after its timeout + 1 s, and a hears of it
    events, _ = drain(api, ta, a_last, wait_for="presence", timeout=10)
    off = [p for p in of_type(events, "presence") if not p["online"]]
    assert off and off[0]["user_id"] == b["id"]
    u = api.get(f"/api/v1/users/{b['id']}", token=ta).j
    assert u["online"] is False and u["last_online"] is not None
    online = api.get("/api/v1/users?online=true", token=ta).j["users"]
    assert b["id"] not in [u["id"] for u in online]


def test_clients_that_go_away_during_a_held_poll(api):
    a, ta = api.register()
    b, tb = api.register()
    d = direct(api, ta, b["id"])
    last = cursor(api, tb)
    host, port = api.base.split("//")[1].split(":")
    socks = []
    for _ in range(20):
        s = socket.create_connection((host, int(port)))
        s.sendall(f"GET /api/v1/events?after={last}&timeout=30 HTTP/1.1\r\n"
                  f"Host: x\r\nAuthorization: Bearer {tb}\r\n\r\n".encode())
        socks.append(s)
    time.sleep(0.5)  # the polls are held; now their clients leave
    for s in socks:
        s.close()
    # the server still serves at once (no thread or slot is kept by the
    # polls of the clients that left), and a new poll still wakes at once
    t0 = time.monotonic()
    lat = wake_latency(api, tb, api, ta, d, rounds=2)
    assert max(lat) <= 0.250, lat
    assert time.monotonic() - t0 < 5, "held polls of gone clients block"


def channel_of(api, owner_token, member, member_token):
    """A new channel of the owner's that member has joined; its id."""
    ch = api.post("/api/v1/chats", {"type": "channel", "title": "News"},
                  token=owner_token).j["id"]
    api.post(f"/api/v1/chats/{ch}/members", {"user_id": member["id"]},
             token=member_token)
    return ch


def test_channel_messages_get_no_delivery_receipts(api):
    a, ta = api.register()
    b, tb = api.register()
    ch = channel_of(api, ta, b, tb)
    b_last = cursor(api, tb)
    m = send(api, ta, ch, "to everyone")
    events, b_next = poll(api, tb, b_last)
    assert m["id"] in [x["id"] for x in of_type(events, "message.new")]
    a_last = cursor(api, ta)
    poll(api, tb, b_next)  # b's cursor passes the message
    events, _ = drain(api, ta, a_last)
    assert not of_type(events, "message.delivered")


def test_a_direct_message_after_channel_polls_gets_its_receipt(api):
    # b's polls past channel messages are answered without a write; the
    # server remembers how far it checked (db_events_ack()), and a direct
    # message after that stretch still gets its receipt, once
    a, ta = api.register()
    b, tb = api.register()
    ch = channel_of(api, ta, b, tb)
    d = direct(api, ta, b["id"])
    b_last = cursor(api, tb)
    for i in range(3):
        send(api, ta, ch, f"news {i}")
        _, b_last = drain(api, tb, b_last)
    a_last = cursor(api, ta)
    m = send(api, ta, d, "and this one is for you")
    events, b_last = drain(api, tb, b_last)
    assert [x["id"] for x in of_type(events, "message.new")] == [m["id"]]
    poll(api, tb, b_last)  # b's cursor passes the direct message
    events, a_last = drain(api, ta, a_last)
    assert of_type(events, "message.delivered") == [
        {"chat_id": d, "message_id": m["id"], "user_id": b["id"]}]
    # a channel message and a direct one read in one poll: one receipt
    send(api, ta, ch, "more news")
    m2 = send(api, ta, d, "and another for you")
    events, b_last = drain(api, tb, b_last)
    assert [x["id"] for x in of_type(events, "message.new")][-1] == m2["id"]
    events, _ = drain(api, ta, a_last)
    assert of_type(events, "message.delivered") == [
        {"chat_id": d, "message_id": m2["id"], "user_id": b["id"]}]
