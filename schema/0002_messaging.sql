-- 0002: chats, members, messages, attachments, the per-user event queue.

CREATE TABLE chats (
  id               INTEGER PRIMARY KEY,
  tenant_id        INTEGER NOT NULL DEFAULT 0,
  type             TEXT NOT NULL CHECK (type IN ('direct', 'group', 'channel')),
  title            TEXT,
  created_by       INTEGER NOT NULL REFERENCES users(id),
  created_at       INTEGER NOT NULL,
  direct_key       TEXT UNIQUE,          -- "LOW:HIGH" user ids of a direct chat
  last_message_id  INTEGER,
  last_activity    INTEGER NOT NULL      -- orders the chat list
);

CREATE TABLE members (
  chat_id       INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  joined_at     INTEGER NOT NULL,
  last_read_id  INTEGER NOT NULL DEFAULT 0,
  hidden        INTEGER NOT NULL DEFAULT 0,  -- a direct chat its member left
  PRIMARY KEY (chat_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_user ON members(user_id, chat_id);

-- An attachment is stored once, with the chat it was sent into.
CREATE TABLE attachments (
  id          INTEGER PRIMARY KEY,
  chat_id     INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  mime        TEXT NOT NULL,
  name        TEXT,
  size        INTEGER NOT NULL,
  data        BLOB NOT NULL,
  created_at  INTEGER NOT NULL
);

CREATE TABLE messages (
  id             INTEGER PRIMARY KEY,
  chat_id        INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  sender_id      INTEGER NOT NULL REFERENCES users(id),
  text           TEXT,
  attachment_id  INTEGER REFERENCES attachments(id) ON DELETE SET NULL,
  encrypted      TEXT,                   -- carried as is, never read
  client_msg_id  TEXT,
  sent_at        INTEGER NOT NULL,
  edited_at      INTEGER
);
CREATE INDEX messages_chat ON messages(chat_id, id);
CREATE UNIQUE INDEX messages_client ON messages(sender_id, client_msg_id)
  WHERE client_msg_id IS NOT NULL;

-- Full-text search over message texts (external content: the text is
-- stored once, in messages). Not kept up to date by triggers: indexing on
-- every send would cost more than the rest of the send (FTS5 writes its
-- pending terms at every savepoint). The indexer (db/search.c) adds new
-- messages in batches, up to meta 'fts_indexed_upto'; a search runs it
-- first, so it always sees every committed message.
CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages',
  content_rowid='id', tokenize='unicode61 remove_diacritics 2');

-- The per-user event queue. Ids are never reused (AUTOINCREMENT), so a
-- cursor beyond the largest id issued means the database was replaced.
-- message.new rows point at their message (stored once) and carry no data;
-- the other types carry their JSON.
CREATE TABLE events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id     INTEGER NOT NULL,
  type        TEXT NOT NULL,
  message_id  INTEGER,
  data        TEXT,
  at          INTEGER NOT NULL
);
CREATE INDEX events_user ON events(user_id, id);
CREATE INDEX events_at ON events(at);
-- typing notices are pruned after seconds: find them without the rest
CREATE INDEX events_typing ON events(at) WHERE type = 'typing';
CREATE INDEX sessions_expiry ON sessions(expires_at);

-- Per-user delivery state: events up to acked_id are held by a device
-- (message.delivered was sent for them).
CREATE TABLE cursors (
  user_id   INTEGER PRIMARY KEY,
  acked_id  INTEGER NOT NULL DEFAULT 0
);

-- Settings the database carries: 'events_pruned_upto' is the largest event
-- id removed by retention; a cursor below it has missed events.
CREATE TABLE meta (
  key    TEXT PRIMARY KEY,
  value  INTEGER NOT NULL
) WITHOUT ROWID;

-- Presence: whether the last sweep saw the user online (so that only a
-- crossing of the line emits an event).
ALTER TABLE users ADD COLUMN presence_online INTEGER NOT NULL DEFAULT 0;
CREATE INDEX users_presence ON users(online_until) WHERE presence_online = 1;
