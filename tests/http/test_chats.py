"""Chats: direct, group, channel; members; read markers; typing; who may
see what. Every case runs on both fronts."""
from conftest import expect_error
from helpers_chat import cursor, direct, drain, of_type, send


def test_direct_chat_is_one_per_pair(api):
    a, ta = api.register()
    b, tb = api.register()
    r = api.post("/api/v1/chats", {"type": "direct", "user_id": b["id"]},
                 token=ta)
    assert r.status_code == 201
    chat = r.j
    assert chat["type"] == "direct" and sorted(chat["members"]) == sorted(
        [a["id"], b["id"]])
    assert chat["title"] == b["nick"]  # the other member's nick
    assert chat["last_message"] is None and chat["unread_count"] == 0
    again = api.post("/api/v1/chats", {"type": "direct", "user_id": b["id"]},
                     token=ta)
    assert again.status_code == 200 and again.j["id"] == chat["id"]
    other_side = api.post("/api/v1/chats",
                          {"type": "direct", "user_id": a["id"]}, token=tb)
    assert other_side.status_code == 200 and other_side.j["id"] == chat["id"]
    assert other_side.j["title"] == a["nick"]


def test_create_chat_errors(api):
    _, ta = api.register()
    expect_error(api.post("/api/v1/chats", {"type": "direct"}, token=ta),
                 400, "missing_field", "user_id")
    expect_error(api.post("/api/v1/chats", {"type": "direct",
                                            "user_id": 10**12}, token=ta),
                 404, "user_not_found")
    expect_error(api.post("/api/v1/chats", {"type": "room", "title": "x"},
                          token=ta), 400, "invalid_field", "type")
    expect_error(api.post("/api/v1/chats", {"title": "x"}, token=ta),
                 400, "missing_field", "type")
    expect_error(api.post("/api/v1/chats", {"type": "group"}, token=ta),
                 400, "missing_field", "title")
    expect_error(api.post("/api/v1/chats", {"type": "group", "title": "x",
                                            "members": "1"}, token=ta),
                 400, "invalid_field", "members")
    expect_error(api.post("/api/v1/chats", {"type": "group", "title": "x",
                                            "members": [10**12]}, token=ta),
                 404, "user_not_found", "members")
    expect_error(api.post("/api/v1/chats", {"type": "group", "title": ""},
                          token=ta), 400, "invalid_field", "title")
    expect_error(api.post("/api/v1/chats", {"type": "direct"}), 401,
                 "auth_required")


def test_group_members_and_visibility(api):
    a, ta = api.register()
    b, tb = api.register()
    c, tc = api.register()
    r = api.post("/api/v1/chats", {"type": "group", "title": "Team",
                                   "members": [b["id"]]}, token=ta)
    assert r.status_code == 201, r.text
    g = r.j["id"]
    assert sorted(r.j["members"]) == sorted([a["id"], b["id"]])
    # c is no member: the chat does not exist for c
    expect_error(api.get(f"/api/v1/chats/{g}", token=tc), 404,
                 "chat_not_found")
    expect_error(api.get(f"/api/v1/chats/{g}/messages", token=tc), 404,
                 "chat_not_found")
    expect_error(api.post(f"/api/v1/chats/{g}/messages", {"text": "hi"},
                          token=tc), 404, "chat_not_found")
    expect_error(api.post(f"/api/v1/chats/{g}/members", {"user_id": c["id"]},
                          token=tc), 404, "chat_not_found")
    # a member adds c; c now sees it and got chat.created
    c_last = cursor(api, tc)
    r = api.post(f"/api/v1/chats/{g}/members", {"user_id": c["id"]}, token=tb)
    assert r.status_code == 201 and c["id"] in r.j["members"]
    r = api.post(f"/api/v1/chats/{g}/members", {"user_id": c["id"]}, token=tb)
    assert r.status_code == 200
    events, _ = drain(api, tc, c_last)
    assert [d["id"] for d in of_type(events, "chat.created")] == [g]
    assert api.get(f"/api/v1/chats/{g}", token=tc).status_code == 200
    # only the creator removes others
    expect_error(api.delete(f"/api/v1/chats/{g}/members/{a['id']}", token=tb),
                 403, "forbidden")
    assert api.delete(f"/api/v1/chats/{g}/members/{c['id']}",
                      token=ta).status_code == 204
    expect_error(api.get(f"/api/v1/chats/{g}", token=tc), 404,
                 "chat_not_found")
    expect_error(api.delete(f"/api/v1/chats/{g}/members/{c['id']}", token=ta),
                 404, "user_not_found")
    expect_error(api.delete(f"/api/v1/chats/{g}/members/abc", token=ta),
                 400, "invalid_field")
    expect_error(api.get("/api/v1/chats/999999999", token=ta), 404,
                 "chat_not_found")


def test_channel_join_and_leave(api):
    a, ta = api.register()
    b, tb = api.register()
    c, tc = api.register()
    ch = api.post("/api/v1/chats", {"type": "channel", "title": "News"},
                  token=ta).j["id"]
    # anyone sees a channel, but reads its messages only once joined
    assert api.get(f"/api/v1/chats/{ch}", token=tb).j["title"] == "News"
    expect_error(api.get(f"/api/v1/chats/{ch}/messages", token=tb), 403,
                 "forbidden")
    # joining is for oneself; a member may not add a third
    r = api.post(f"/api/v1/chats/{ch}/members", {"user_id": b["id"]},
                 token=tb)
    assert r.status_code == 201
    expect_error(api.post(f"/api/v1/chats/{ch}/members", {"user_id": c["id"]},
                          token=tb), 403, "forbidden")
    a_last = cursor(api, ta)
    assert api.delete(f"/api/v1/chats/{ch}/members/me",
                      token=tb).status_code == 204
    events, _ = drain(api, ta, a_last)
    assert {"chat_id": ch, "user_id": b["id"]} in of_type(
        events, "chat.member_left")
    # once left, b hears nothing of the channel
    b_last = cursor(api, tb)
    send(api, ta, ch, "after you left")
    events, _ = drain(api, tb, b_last)
    assert not [e for e in events if e["data"].get("chat_id") == ch]


def test_direct_chat_members_are_fixed(api):
    a, ta = api.register()
    b, _ = api.register()
    c, _ = api.register()
    d = direct(api, ta, b["id"])
    expect_error(api.post(f"/api/v1/chats/{d}/members", {"user_id": c["id"]},
                          token=ta), 403, "forbidden")
    expect_error(api.delete(f"/api/v1/chats/{d}/members/{b['id']}", token=ta),
                 403, "forbidden")


def test_leaving_a_direct_chat_hides_it_until_a_message(api):
    a, ta = api.register()
    b, tb = api.register()
    d = direct(api, ta, b["id"])
    assert api.delete(f"/api/v1/chats/{d}/members/me",
                      token=ta).status_code == 204
    ids = [c["id"] for c in api.get("/api/v1/chats", token=ta).j["chats"]]
    assert d not in ids
    send(api, tb, d, "come back")
    ids = [c["id"] for c in api.get("/api/v1/chats", token=ta).j["chats"]]
    assert d in ids


def test_list_is_latest_activity_first_with_unread(api):
    a, ta = api.register()
    b, tb = api.register()
    c, tc = api.register()
    ab = direct(api, ta, b["id"])
    ac = direct(api, ta, c["id"])
    send(api, tb, ab, "one")
    send(api, tc, ac, "two")
    m3 = send(api, tb, ab, "three")
    chats = api.get("/api/v1/chats", token=ta).j["chats"]
    assert [x["id"] for x in chats[:2]] == [ab, ac]
    first = chats[0]
    assert first["last_message"]["id"] == m3["id"]
    assert first["unread_count"] == 2 and first["last_read_id"] == 0
    r = api.post(f"/api/v1/chats/{ab}/read", {"message_id": m3["id"]},
                 token=ta)
    assert r.status_code == 204
    first = api.get(f"/api/v1/chats/{ab}", token=ta).j
    assert first["unread_count"] == 0 and first["last_read_id"] == m3["id"]
    r = api.get("/api/v1/chats?limit=1", token=ta)
    assert len(r.j["chats"]) == 1
    expect_error(api.get("/api/v1/chats?limit=0", token=ta), 400,
                 "invalid_field", "limit")


def test_read_marker_and_receipt(api):
    a, ta = api.register()
    b, tb = api.register()
    d = direct(api, ta, b["id"])
    m = send(api, ta, d, "read me")
    a_last = cursor(api, ta)
    assert api.post(f"/api/v1/chats/{d}/read", {"message_id": m["id"]},
                    token=tb).status_code == 204
    events, _ = drain(api, ta, a_last, wait_for="message.read")
    assert {"chat_id": d, "message_id": m["id"], "user_id": b["id"]} in \
        of_type(events, "message.read")
    # the marker only moves forward: reading it again says nothing more
    a_last = cursor(api, ta)
    assert api.post(f"/api/v1/chats/{d}/read", {"message_id": m["id"]},
                    token=tb).status_code == 204
    events, _ = drain(api, ta, a_last)
    assert not of_type(events, "message.read")
    # a message of another chat, or none
    other = direct(api, tb, api.register()[0]["id"])
    m2 = send(api, tb, other, "elsewhere")
    expect_error(api.post(f"/api/v1/chats/{d}/read", {"message_id": m2["id"]},
                          token=tb), 404, "message_not_found")
    expect_error(api.post(f"/api/v1/chats/{d}/read", {}, token=tb), 400,
                 "missing_field", "message_id")


def test_typing_reaches_the_others_only(api):
    a, ta = api.register()
    b, tb = api.register()
    d = direct(api, ta, b["id"])
    a_last, b_last = cursor(api, ta), cursor(api, tb)
    assert api.post(f"/api/v1/chats/{d}/typing", token=ta).status_code == 204
    events, _ = drain(api, tb, b_last, wait_for="typing")
    assert {"chat_id": d, "user_id": a["id"]} in of_type(events, "typing")
    events, _ = drain(api, ta, a_last)
    assert not of_type(events, "typing")
    c, tc = api.register()
    expect_error(api.post(f"/api/v1/chats/{d}/typing", token=tc), 404,
                 "chat_not_found")
