/*
 * messages.c: messages and attachments. A message is stored once; each
 * member's queue gets a small message.new row pointing at it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../api/text.h"

/* A Message's attachment: {id, mime, name, size, url}, or null without. */
static json_t *
attachment_json(int64_t id, json_t *mime, json_t *name, json_t *size)
{
	char url[64];

	if (id == 0)
		return json_null();
	snprintf(url, sizeof(url), "/api/v1/attachments/%lld", (long long)id);
	return json_pack("{s:I, s:O, s:O, s:O, s:s}", "id", (json_int_t)id,
	    "mime", mime, "name", name, "size", size, "url", url);
}

json_t *
message_from_row(sqlite3_stmt *st)
{
	json_t *m = row_json(st), *a;

	if (m == NULL)
		return NULL;
	a = attachment_json(json_integer_value(json_object_get(m,
	    "attachment_id")), json_object_get(m, "mime"),
	    json_object_get(m, "name"), json_object_get(m, "size"));
	json_object_del(m, "attachment_id");
	json_object_del(m, "mime");
	json_object_del(m, "name");
	json_object_del(m, "size");
	json_object_set_new(m, "attachment", a);
	return m;
}

json_t *
message_json(int64_t id)
{
	sqlite3_stmt *st = stmt("SELECT " MESSAGE_COLUMNS MESSAGE_FROM
	    " WHERE m.id=?", "i", id);
	json_t *m = NULL;

	if (st == NULL)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		m = message_from_row(st);
	sqlite3_reset(st);
	return m;
}

json_t *
messages_from(sqlite3_stmt *st, enum err *e)
{
	json_t *list = json_array();
	int rc;

	if (st == NULL || list == NULL) {
		json_decref(list);
		*e = ERR_INTERNAL;
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(list, message_from_row(st));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		*e = map_rc(rc, "messages");
		return NULL;
	}
	*e = ERR_OK;
	return list;
}

/* json_string(s), or null for NULL. */
static json_t *
string_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* The Message m just stored as id: what message_json(id) would read back
 * (tests/http/test_messages.py compares them), made without the read,
 * which was 5% of the group committer's time per send. */
static json_t *
message_sent_json(int64_t id, const struct message_new *m,
    int64_t attachment, int64_t now_ms)
{
	json_t *mime = NULL, *name = NULL, *size = NULL, *a;
	char sent_at[32];

	if (attachment != 0) {
		mime = json_string(m->mime);
		name = string_or_null(m->name);
		size = json_integer((json_int_t)m->size);
	}
	a = attachment_json(attachment, mime, name, size);
	json_decref(mime);
	json_decref(name);
	json_decref(size);
	time_format(now_ms, sent_at);
	return json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:s, s:n, s:o}",
	    "id", (json_int_t)id, "chat_id", (json_int_t)m->chat,
	    "sender_id", (json_int_t)m->sender, "text", string_or_null(m->text),
	    "encrypted", string_or_null(m->encrypted),
	    "client_msg_id", string_or_null(m->client_msg_id),
	    "sent_at", sent_at, "edited_at", "attachment", a);
}

/* A send as one transaction, run by the group committer: j's results. */
struct send_job {
	const struct message_new *m;
	int64_t now_ms;
	enum err e;
	int64_t id;             /* the new message's id, 0 for none */
	int64_t attachment;     /* its attachment's id, 0 for none */
	json_t *repeat;         /* a retry's first answer, read again */
};

static void
message_send_tx(struct send_job *j)
{
	const struct message_new *m = j->m;
	struct chat_role r;
	int64_t id, attachment = 0;

	if ((j->e = tx_begin()) != ERR_OK)
		return;
	/* After this point every failure goes to err, which rolls back. */
	if ((j->e = chat_check(m->sender, m->chat, CHAT_MEMBER, &r)) != ERR_OK)
		goto err;
	if (m->client_msg_id != NULL) {
		id = query_int64(stmt("SELECT id FROM messages WHERE sender_id=?"
		    " AND client_msg_id=?", "it", m->sender, m->client_msg_id), 0);
		if (id != 0) {
			/* A retry: the first answer again, nothing sent. */
			tx_rollback();
			j->repeat = message_json(id);
			j->e = j->repeat != NULL ? ERR_OK : ERR_INTERNAL;
			return;
		}
	}
	if (m->mime != NULL) {
		j->e = exec_stmt(stmt("INSERT INTO attachments (chat_id, mime, name,"
		    " size, data, created_at) VALUES (?,?,?,?,?,?)", "ittibi",
		    m->chat, m->mime, m->name, (int64_t)m->size, m->data,
		    (int)m->size, j->now_ms));
		if (j->e != ERR_OK)
			goto err;
		attachment = sqlite3_last_insert_rowid(conn());
	}
	j->e = exec_stmt(stmt("INSERT INTO messages (chat_id, sender_id, text,"
	    " attachment_id, encrypted, client_msg_id, sent_at) VALUES"
	    " (?,?,?,?,?,?,?)", "iitItti", m->chat, m->sender, m->text,
	    attachment, m->encrypted, m->client_msg_id, j->now_ms));
	if (j->e != ERR_OK)
		goto err;
	id = sqlite3_last_insert_rowid(conn());
	j->e = exec_stmt(stmt("UPDATE chats SET last_message_id=?,"
	    " last_activity=? WHERE id=?", "iii", id, j->now_ms, m->chat));
	/* a direct chat its member had left comes back */
	if (j->e == ERR_OK && strcmp(r.type, "direct") == 0)
		j->e = exec_stmt(stmt("UPDATE members SET hidden=0 WHERE"
		    " chat_id=? AND hidden=1", "i", m->chat));
	if (j->e == ERR_OK)
		j->e = emit_to_members(m->chat, "message.new", id, NULL, 0,
		    j->now_ms);
	if (j->e != ERR_OK)
		goto err;
	if ((j->e = tx_commit()) != ERR_OK)
		return;
	j->id = id;
	j->attachment = attachment;
	return;
err:
	tx_rollback();
}

static void
send_job(void *arg)
{
	struct send_job *j = arg;

	/* run again: the first run was rolled back */
	json_decref(j->repeat);
	j->repeat = NULL;
	j->id = j->attachment = 0;
	message_send_tx(j);
}

struct db_send {
	struct send_job job;
	struct commit_job *commit;
};

struct db_send *
db_message_send_begin(const struct message_new *m, int64_t now_ms)
{
	struct db_send *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->job.m = m;
	s->job.now_ms = now_ms;
	if ((s->commit = group_commit_job(send_job, &s->job)) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
db_message_send_queue(struct db_send *s, void (*done)(void *), void *arg)
{
	group_commit_queue(s->commit, done, arg);
}

json_t *
db_message_send_end(struct db_send *s, bool *created, enum err *e)
{
	enum err batch = group_commit_end(s->commit);
	struct send_job *j = &s->job;
	json_t *msg = NULL;

	*created = false;
	*e = batch != ERR_OK ? batch : j->e;
	if (*e == ERR_OK && j->repeat != NULL) {
		msg = j->repeat;
		j->repeat = NULL;
	} else if (*e == ERR_OK) {
		/* Made here, not in the committer, which every send waits
		 * for: jansson's allocations there were freed by this thread,
		 * and the two fought over the committer's malloc arena. */
		msg = message_sent_json(j->id, j->m, j->attachment, j->now_ms);
		*created = msg != NULL;
		if (msg == NULL)
			*e = ERR_INTERNAL;
	}
	json_decref(j->repeat); /* the batch did not commit */
	free(s);
	return msg;
}

json_t *
db_message_history(int64_t viewer, int64_t chat, int64_t before,
    int64_t after, int limit, bool *has_more, enum err *e)
{
	struct chat_role r;
	sqlite3_stmt *st;
	json_t *list;
	int64_t lim = (int64_t)limit + 1; /* one more tells has_more */

	*has_more = false;
	if ((*e = chat_check(viewer, chat, CHAT_MEMBER, &r)) != ERR_OK)
		return NULL;
	if (after > 0)
		st = stmt("SELECT " MESSAGE_COLUMNS MESSAGE_FROM " WHERE"
		    " m.chat_id=? AND m.id>? ORDER BY m.id LIMIT ?", "iii", chat,
		    after, lim);
	else
		st = stmt("SELECT " MESSAGE_COLUMNS MESSAGE_FROM " WHERE"
		    " m.chat_id=? AND m.id<? ORDER BY m.id DESC LIMIT ?", "iii",
		    chat, before > 0 ? before : INT64_MAX, lim);
	list = messages_from(st, e);
	if (list == NULL)
		return NULL;
	if (json_array_size(list) > (size_t)limit) {
		*has_more = true;
		json_array_remove(list, (size_t)limit);
	}
	if (after <= 0) {
		/* Read newest first; a page is in ascending order. */
		size_t i, n = json_array_size(list);
		json_t *asc = json_array();
		for (i = n; i > 0; i--)
			json_array_append(asc, json_array_get(list, i - 1));
		json_decref(list);
		list = asc;
	}
	return list;
}

/* The chat of message id if user may change it: ERR_MESSAGE_NOT_FOUND
 * unless user is a member of its chat, ERR_FORBIDDEN unless the sender. */
static enum err
own_message(int64_t user, int64_t id, int64_t *chat)
{
	sqlite3_stmt *st = stmt("SELECT m.chat_id, m.sender_id FROM messages m"
	    " JOIN members b ON b.chat_id=m.chat_id AND b.user_id=? WHERE m.id=?",
	    "ii", user, id);
	int64_t sender = 0;

	if (st == NULL)
		return ERR_INTERNAL;
	*chat = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*chat = sqlite3_column_int64(st, 0);
		sender = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (*chat == 0)
		return ERR_MESSAGE_NOT_FOUND;
	return sender == user ? ERR_OK : ERR_FORBIDDEN;
}

json_t *
db_message_edit(int64_t user, int64_t id, const char *text, int64_t now_ms,
    enum err *e)
{
	int64_t chat;
	json_t *msg = NULL;
	char *data = NULL;

	if ((*e = tx_begin()) != ERR_OK)
		return NULL;
	/* After this point every failure goes to err, which rolls back. */
	if ((*e = own_message(user, id, &chat)) != ERR_OK)
		goto err;
	if ((*e = fts_forget(id)) != ERR_OK)
		goto err;
	*e = exec_stmt(stmt("UPDATE messages SET text=?, edited_at=? WHERE id=?",
	    "tii", text, now_ms, id));
	if (*e == ERR_OK)
		*e = fts_reindex(id);
	if (*e != ERR_OK)
		goto err;
	msg = message_json(id);
	data = msg != NULL ? json_dumps(msg, JSON_COMPACT) : NULL;
	if (data == NULL) {
		*e = ERR_INTERNAL;
		goto err;
	}
	*e = emit_to_members(chat, "message.updated", 0, data, 0, now_ms);
	free(data);
	if (*e != ERR_OK || (*e = tx_commit()) != ERR_OK) {
		tx_rollback();
		json_decref(msg);
		return NULL;
	}
	return msg;
err:
	tx_rollback();
	json_decref(msg);
	return NULL;
}

enum err
db_message_delete(int64_t user, int64_t id, int64_t now_ms)
{
	int64_t chat, attachment;
	char data[96];
	enum err e;

	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* After this point every failure goes to err, which rolls back. */
	if ((e = own_message(user, id, &chat)) != ERR_OK)
		goto err;
	attachment = query_int64(stmt("SELECT attachment_id FROM messages"
	    " WHERE id=?", "i", id), 0);
	e = fts_forget(id);
	if (e == ERR_OK)
		e = exec_stmt(stmt("DELETE FROM messages WHERE id=?", "i", id));
	if (e == ERR_OK && attachment != 0)
		e = exec_stmt(stmt("DELETE FROM attachments WHERE id=?", "i",
		    attachment));
	if (e == ERR_OK)
		e = exec_stmt(stmt("UPDATE chats SET last_message_id=(SELECT"
		    " max(id) FROM messages WHERE chat_id=?1) WHERE id=?1", "i",
		    chat));
	snprintf(data, sizeof(data), "{\"chat_id\":%lld,\"message_id\":%lld}",
	    (long long)chat, (long long)id);
	if (e == ERR_OK)
		e = emit_to_members(chat, "message.deleted", 0, data, 0, now_ms);
	if (e != ERR_OK)
		goto err;
	return tx_commit();
err:
	return tx_fail(e);
}

enum err
db_attachment_get(int64_t user, int64_t id, char **data, size_t *len,
    char *mime, size_t mimelen, char *name, size_t namelen)
{
	sqlite3_stmt *st = stmt("SELECT a.mime, a.name, a.data FROM attachments a"
	    " JOIN members b ON b.chat_id=a.chat_id AND b.user_id=?"
	    " WHERE a.id=?", "ii", user, id);
	enum err e = ERR_NOT_FOUND;
	int rc;

	*data = NULL;
	*len = 0;
	if (st == NULL)
		return ERR_INTERNAL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *nm = (const char *)sqlite3_column_text(st, 1);
		size_t n = (size_t)sqlite3_column_bytes(st, 2);
		snprintf(mime, mimelen, "%s", sqlite3_column_text(st, 0));
		snprintf(name, namelen, "%s", nm != NULL ? nm : "");
		*data = malloc(n ? n : 1);
		if (*data != NULL) {
			memcpy(*data, sqlite3_column_blob(st, 2), n);
			*len = n;
			e = ERR_OK;
		} else {
			e = ERR_INTERNAL;
		}
	} else if (rc != SQLITE_DONE) {
		e = map_rc(rc, "attachment");
	}
	sqlite3_reset(st);
	return e;
}
