-- 0006: message ids are never reused.
--
-- messages.id was a plain INTEGER PRIMARY KEY, and SQLite gives a new row
-- the largest id + 1: once the newest message was deleted, the next send
-- took its id. Clients saw message.deleted and then message.new for one
-- id, and a read marker (last_read_id) at that id counted the new message
-- as read. With AUTOINCREMENT SQLite keeps the largest id ever given in
-- sqlite_sequence and never goes below it, as for events. It cannot be
-- added to a table, so the table is built anew with the same rows and ids
-- (the search index refers to them by id and stays valid). No table
-- refers to messages, so nothing else changes. Copying costs about 2 s
-- per million messages, once (1M messages, 143 MB: 2.0 s); the old
-- table's pages stay in the file, free for the next rows.
CREATE TABLE messages_new (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  chat_id        INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  sender_id      INTEGER NOT NULL REFERENCES users(id),
  text           TEXT,
  attachment_id  INTEGER REFERENCES attachments(id) ON DELETE SET NULL,
  encrypted      TEXT,                   -- carried as is, never read
  client_msg_id  TEXT,
  sent_at        INTEGER NOT NULL,
  edited_at      INTEGER
);
INSERT INTO messages_new (id, chat_id, sender_id, text, attachment_id,
  encrypted, client_msg_id, sent_at, edited_at)
  SELECT id, chat_id, sender_id, text, attachment_id, encrypted,
    client_msg_id, sent_at, edited_at FROM messages ORDER BY id;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE INDEX messages_chat ON messages(chat_id, id, sender_id);
CREATE UNIQUE INDEX messages_client ON messages(sender_id, client_msg_id)
  WHERE client_msg_id IS NOT NULL;
