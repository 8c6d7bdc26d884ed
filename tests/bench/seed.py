#!/usr/bin/python3
"""seed.py: fills a migrated parley database with what the benchmark needs,
straight through SQLite (registering thousands of users over HTTP would
spend minutes in argon2id):

  N pairs of users (a recipient and a sender) with a direct chat each and a
  session token each; a channel whose members are all the recipients and
  one extra sender; optionally M filler messages for the growth scenario,
  and K more direct chats (each with one message) for the first pair's
  recipient, written to OUT.crowd as PAIRS lines whose sender is that user.

Tokens are stored as parley stores them: BLAKE2b-256 of the token (what
libsodium's crypto_generichash computes). Writes PAIRS lines
"chat recipient_id recipient_token sender_id sender_token" to OUT.pairs and
"channel_id sender_token" to OUT.channel.

Usage: seed.py DB OUT N [FILLER_MESSAGES [CHATS_OF_FIRST_USER]]
"""
import hashlib
import os
import secrets
import sqlite3
import sys
import time


def main():
    db, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    filler = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    crowd = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    now = int(time.time() * 1000)
    far = now + 30 * 86400 * 1000
    c = sqlite3.connect(db)
    # No journal while seeding (a failed seed is thrown away): a 10M-message
    # history is written once, not once to the WAL and again to the file.
    c.execute("PRAGMA journal_mode=OFF")
    c.execute("PRAGMA synchronous=OFF")
    base = (c.execute("SELECT coalesce(max(id), 0) FROM users").fetchone()[0]
            + 1)
    tokens = {}

    def user(uid, login):
        token = secrets.token_urlsafe(32)
        tokens[uid] = token
        h = hashlib.blake2b(token.encode(), digest_size=32).digest()
        c.execute("INSERT INTO users (id, login, nick, registered_at)"
                  " VALUES (?,?,?,?)", (uid, login, login, now))
        c.execute("INSERT INTO sessions (user_id, token_hash, created_at,"
                  " expires_at) VALUES (?,?,?,?)", (uid, h, now, far))

    lines = []
    with c:
        for i in range(n):
            r, s = base + 2 * i, base + 2 * i + 1
            user(r, f"bench_r{r}")
            user(s, f"bench_s{s}")
            cur = c.execute(
                "INSERT INTO chats (type, created_by, created_at, direct_key,"
                " last_activity) VALUES ('direct',?,?,?,?)",
                (s, now, f"{r}:{s}", now))
            chat = cur.lastrowid
            c.executemany("INSERT INTO members (chat_id, user_id, joined_at)"
                          " VALUES (?,?,?)", [(chat, r, now), (chat, s, now)])
            lines.append(f"{chat} {r} {tokens[r]} {s} {tokens[s]}\n")
        owner = base + 2 * n
        user(owner, f"bench_owner{owner}")
        cur = c.execute(
            "INSERT INTO chats (type, title, created_by, created_at,"
            " last_activity) VALUES ('channel','bench',?,?,?)",
            (owner, now, now))
        channel = cur.lastrowid
        c.executemany("INSERT INTO members (chat_id, user_id, joined_at)"
                      " VALUES (?,?,?)",
                      [(channel, base + 2 * i, now) for i in range(n)] +
                      [(channel, owner, now)])
        # Filler history, spread over the pairs' chats, with its events:
        # what a database that has been in use for a while holds.
        if filler:
            first_chat = int(lines[0].split()[0])
            c.execute(
                "WITH RECURSIVE k(x) AS (SELECT 0 UNION ALL SELECT x+1 FROM k"
                " WHERE x < ?) INSERT INTO messages (chat_id, sender_id, text,"
                " sent_at) SELECT ? + x % ?, ? + 2 * (x % ?) + 1,"
                " 'filler message number ' || x, ? FROM k",
                (filler - 1, first_chat, n, base, n, now - 86400000))
            c.execute(
                "INSERT INTO events (user_id, type, message_id, at)"
                " SELECT m.sender_id - 1, 'message.new', m.id, m.sent_at"
                " FROM messages m WHERE m.text LIKE 'filler%'")
            # Indexed for search, as parley's indexer would have done
            # long ago (db/search.c): no backlog for it to catch up on
            # while the benchmark measures.
            c.execute("INSERT INTO messages_fts(rowid, text)"
                      " SELECT id, text FROM messages")
            c.execute("INSERT OR REPLACE INTO meta (key, value)"
                      " SELECT 'fts_indexed_upto', max(id) FROM messages")
        # The first recipient's other chats: one partner and one message
        # each, newest last.
        crowd_lines = []
        first = base
        for j in range(crowd):
            p = owner + 1 + j
            user(p, f"bench_p{p}")
            cur = c.execute(
                "INSERT INTO chats (type, created_by, created_at, direct_key,"
                " last_activity) VALUES ('direct',?,?,?,?)",
                (p, now, f"{first}:{p}", now + j))
            chat = cur.lastrowid
            c.executemany("INSERT INTO members (chat_id, user_id, joined_at)"
                          " VALUES (?,?,?)", [(chat, first, now),
                                              (chat, p, now)])
            cur = c.execute("INSERT INTO messages (chat_id, sender_id, text,"
                            " sent_at) VALUES (?,?,?,?)",
                            (chat, p, f"hello {j}", now + j))
            c.execute("UPDATE chats SET last_message_id=? WHERE id=?",
                      (cur.lastrowid, chat))
            crowd_lines.append(f"{chat} {p} {tokens[p]} {first} "
                               f"{tokens[first]}\n")
    with open(out + ".crowd", "w") as f:
        f.writelines(crowd_lines)
    with open(out + ".pairs", "w") as f:
        f.writelines(lines)
    with open(out + ".channel", "w") as f:
        f.write(f"{channel} {tokens[owner]}\n")
    c.execute("PRAGMA journal_mode=WAL")
    c.close()


if __name__ == "__main__":
    main()
