-- 0004: the unread count without a table lookup per message.
--
-- A Chat's unread_count counts the messages after the member's read
-- marker that others sent. With messages_chat on (chat_id, id) each of
-- those messages cost a lookup in the table for its sender: a user's chat
-- list took 19 ms with 10 chats once 20,000 of their own messages followed
-- the marker (docs/BENCHMARKS.md). With sender_id in the index the count
-- reads the index alone. It replaces the old index, so a send still
-- writes one entry, and history pages use its (chat_id, id) prefix.
DROP INDEX messages_chat;
CREATE INDEX messages_chat ON messages(chat_id, id, sender_id);
