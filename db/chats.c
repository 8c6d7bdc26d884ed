/*
 * chats.c: chats and their members, and the one check of who may see and
 * do what in a chat (chat_check()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum err
chat_check(int64_t user, int64_t chat, enum chat_need need,
    struct chat_role *r)
{
	sqlite3_stmt *st;
	bool same_tenant;
	int rc;

	memset(r, 0, sizeof(*r));
	st = stmt("SELECT c.type, c.created_by=?1, m.user_id IS NOT NULL,"
	    " c.tenant_id=u.tenant_id FROM chats c JOIN users u ON u.id=?1"
	    " LEFT JOIN members m ON m.chat_id=c.id AND m.user_id=?1"
	    " WHERE c.id=?2", "ii", user, chat);
	if (st == NULL)
		return ERR_INTERNAL;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? ERR_CHAT_NOT_FOUND :
		    map_rc(rc, "chat check");
	}
	snprintf(r->type, sizeof(r->type), "%s",
	    (const char *)sqlite3_column_text(st, 0));
	r->creator = sqlite3_column_int(st, 1) != 0;
	r->member = sqlite3_column_int(st, 2) != 0;
	same_tenant = sqlite3_column_int(st, 3) != 0;
	sqlite3_reset(st);

	/* Seeing: members, and anyone of the tenant for a channel. Others
	 * get not-found, so that a chat's existence does not leak. */
	if (!r->member && !(same_tenant && strcmp(r->type, "channel") == 0))
		return ERR_CHAT_NOT_FOUND;
	if (need == CHAT_MEMBER && !r->member)
		return ERR_FORBIDDEN;
	if (need == CHAT_CREATOR && !(r->member && r->creator))
		return ERR_FORBIDDEN;
	return ERR_OK;
}

/* The data of chat.member_joined, chat.member_left and typing. */
static void
chat_user_data(char *buf, size_t len, int64_t chat, int64_t user)
{
	snprintf(buf, len, "{\"chat_id\":%lld,\"user_id\":%lld}",
	    (long long)chat, (long long)user);
}

json_t *
chat_json(int64_t viewer, int64_t chat)
{
	sqlite3_stmt *st;
	json_t *c, *members;
	int64_t last;

	st = stmt("SELECT c.id, c.type, CASE WHEN c.type='direct' THEN"
	    " (SELECT u.nick FROM members o JOIN users u ON u.id=o.user_id"
	    "  WHERE o.chat_id=c.id AND o.user_id<>?1 LIMIT 1) ELSE c.title END"
	    " AS title, c.created_by, iso(c.created_at) AS created_at,"
	    " c.last_message_id, coalesce(m.last_read_id, 0) AS last_read_id,"
	    " CASE WHEN m.user_id IS NULL THEN 0 ELSE (SELECT count(*) FROM"
	    "  messages x WHERE x.chat_id=c.id AND x.id>m.last_read_id AND"
	    "  x.sender_id<>?1) END AS unread_count"
	    " FROM chats c LEFT JOIN members m ON m.chat_id=c.id AND m.user_id=?1"
	    " WHERE c.id=?2", "ii", viewer, chat);
	if (st == NULL)
		return NULL;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return NULL;
	}
	c = row_json(st);
	sqlite3_reset(st);
	if (c == NULL)
		return NULL;

	members = json_array();
	st = stmt("SELECT user_id FROM members WHERE chat_id=? ORDER BY user_id",
	    "i", chat);
	while (st != NULL && members != NULL && sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(members,
		    json_integer(sqlite3_column_int64(st, 0)));
	if (st != NULL)
		sqlite3_reset(st);
	json_object_set_new(c, "members", members);

	last = json_integer_value(json_object_get(c, "last_message_id"));
	json_object_del(c, "last_message_id");
	{
		json_t *m = last != 0 ? message_json(last) : NULL;
		json_object_set_new(c, "last_message", m != NULL ? m : json_null());
	}
	return c;
}

/* chat.created to every member, each with the Chat as it sees it. */
static enum err
announce_chat(int64_t chat, int64_t now_ms)
{
	sqlite3_stmt *st = stmt("SELECT user_id FROM members WHERE chat_id=?",
	    "i", chat);
	int64_t *users = NULL;
	size_t n = 0, i;
	enum err e = ERR_OK;

	if (st == NULL)
		return ERR_INTERNAL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t *p = realloc(users, (n + 1) * sizeof(*users));
		if (p == NULL) {
			e = ERR_INTERNAL;
			break;
		}
		users = p;
		users[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	for (i = 0; i < n && e == ERR_OK; i++)
		e = announce_chat_to(chat, users[i], now_ms);
	free(users);
	return e;
}

enum err
announce_chat_to(int64_t chat, int64_t user, int64_t now_ms)
{
	json_t *c = chat_json(user, chat);
	char *data = c != NULL ? json_dumps(c, JSON_COMPACT) : NULL;
	enum err e = data != NULL ? emit(user, "chat.created", 0, data, now_ms) :
	    ERR_INTERNAL;

	free(data);
	json_decref(c);
	return e;
}

enum err
db_chat_direct(int64_t me, int64_t other, int64_t now_ms, int64_t *chat,
    bool *created)
{
	char key[48];
	enum err e;
	int64_t tenant;

	*created = false;
	snprintf(key, sizeof(key), "%lld:%lld",
	    (long long)(me < other ? me : other),
	    (long long)(me < other ? other : me));
	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* After this point every failure goes to err, which rolls back. */
	tenant = db_user_tenant(me);
	if (!exists(stmt("SELECT 1 FROM users WHERE id=? AND tenant_id=?", "ii",
	    other, tenant))) {
		e = ERR_USER_NOT_FOUND;
		goto err;
	}
	*chat = query_int64(stmt("SELECT id FROM chats WHERE direct_key=?", "t",
	    key), 0);
	if (*chat != 0) {
		e = exec_stmt(stmt("UPDATE members SET hidden=0 WHERE chat_id=?"
		    " AND user_id=?", "ii", *chat, me));
		if (e != ERR_OK)
			goto err;
		return tx_commit();
	}
	e = exec_stmt(stmt("INSERT INTO chats (tenant_id, type, created_by,"
	    " created_at, direct_key, last_activity) VALUES"
	    " (?, 'direct', ?, ?, ?, ?)", "iiiti", tenant, me, now_ms, key,
	    now_ms));
	if (e != ERR_OK)
		goto err;
	*chat = sqlite3_last_insert_rowid(conn());
	e = exec_stmt(stmt("INSERT OR IGNORE INTO members (chat_id, user_id,"
	    " joined_at) VALUES (?1, ?2, ?4), (?1, ?3, ?4)", "iiii", *chat, me,
	    other, now_ms));
	if (e == ERR_OK)
		e = announce_chat(*chat, now_ms);
	if (e != ERR_OK)
		goto err;
	*created = true;
	return tx_commit();
err:
	return tx_fail(e);
}

enum err
db_chat_create(int64_t me, const char *type, const char *title,
    const int64_t *members, size_t n, int64_t now_ms, int64_t *chat,
    int64_t *bad_user)
{
	int64_t tenant;
	enum err e;
	size_t i;

	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* After this point every failure goes to err, which rolls back. */
	tenant = db_user_tenant(me);
	e = exec_stmt(stmt("INSERT INTO chats (tenant_id, type, title,"
	    " created_by, created_at, last_activity) VALUES (?,?,?,?,?,?)",
	    "ittiii", tenant, type, title, me, now_ms, now_ms));
	if (e != ERR_OK)
		goto err;
	*chat = sqlite3_last_insert_rowid(conn());
	e = exec_stmt(stmt("INSERT INTO members (chat_id, user_id, joined_at)"
	    " VALUES (?,?,?)", "iii", *chat, me, now_ms));
	for (i = 0; i < n && e == ERR_OK; i++) {
		if (!exists(stmt("SELECT 1 FROM users WHERE id=? AND tenant_id=?",
		    "ii", members[i], tenant))) {
			*bad_user = members[i];
			e = ERR_USER_NOT_FOUND;
			break;
		}
		e = exec_stmt(stmt("INSERT OR IGNORE INTO members (chat_id,"
		    " user_id, joined_at) VALUES (?,?,?)", "iii", *chat,
		    members[i], now_ms));
	}
	if (e == ERR_OK)
		e = announce_chat(*chat, now_ms);
	if (e != ERR_OK)
		goto err;
	return tx_commit();
err:
	return tx_fail(e);
}

json_t *
db_chat_get(int64_t viewer, int64_t chat, enum err *e)
{
	struct chat_role r;
	json_t *c;

	if ((*e = chat_check(viewer, chat, CHAT_SEE, &r)) != ERR_OK)
		return NULL;
	c = chat_json(viewer, chat);
	*e = c != NULL ? ERR_OK : ERR_INTERNAL;
	return c;
}

json_t *
db_chat_list(int64_t viewer, int limit, enum err *e)
{
	sqlite3_stmt *st;
	json_t *list = json_array();
	int64_t *ids = NULL;
	size_t n = 0, i;
	int rc;

	/* Two sends in one millisecond give their chats the same activity
	 * time: the later message (ids grow in commit order) goes first. */
	st = stmt("SELECT c.id FROM members m JOIN chats c ON c.id=m.chat_id"
	    " WHERE m.user_id=? AND m.hidden=0"
	    " ORDER BY c.last_activity DESC, coalesce(c.last_message_id, 0) DESC,"
	    " c.id DESC LIMIT ?", "ii", viewer, (int64_t)limit);
	if (st == NULL || list == NULL || (ids = malloc((size_t)limit *
	    sizeof(*ids))) == NULL) {
		if (st != NULL)
			sqlite3_reset(st);
		json_decref(list);
		*e = ERR_INTERNAL;
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < (size_t)limit)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	for (i = 0; i < n; i++) {
		json_t *c = chat_json(viewer, ids[i]);
		if (c != NULL)
			json_array_append_new(list, c);
	}
	free(ids);
	*e = ERR_OK;
	return list;
}

enum err
db_chat_join(int64_t actor, int64_t chat, int64_t user, int64_t now_ms,
    bool *added)
{
	struct chat_role r;
	char data[96];
	enum err e;

	*added = false;
	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* After this point every failure goes to err, which rolls back. */
	if ((e = chat_check(actor, chat, CHAT_SEE, &r)) != ERR_OK)
		goto err;
	/* A direct chat has its two; a channel is joined by oneself (or its
	 * creator adds); a group's members add others. */
	if (strcmp(r.type, "direct") == 0 ||
	    (strcmp(r.type, "channel") == 0 && user != actor && !r.creator) ||
	    (strcmp(r.type, "group") == 0 && !r.member)) {
		e = ERR_FORBIDDEN;
		goto err;
	}
	if (!exists(stmt("SELECT 1 FROM users u JOIN chats c ON"
	    " c.tenant_id=u.tenant_id WHERE u.id=? AND c.id=?", "ii", user,
	    chat))) {
		e = ERR_USER_NOT_FOUND;
		goto err;
	}
	if (exists(stmt("SELECT 1 FROM members WHERE chat_id=? AND user_id=?",
	    "ii", chat, user))) {
		tx_rollback();
		return ERR_OK;
	}
	e = exec_stmt(stmt("INSERT INTO members (chat_id, user_id, joined_at)"
	    " VALUES (?,?,?)", "iii", chat, user, now_ms));
	chat_user_data(data, sizeof(data), chat, user);
	if (e == ERR_OK)
		e = emit_to_members(chat, "chat.member_joined", 0, data, user,
		    now_ms);
	if (e == ERR_OK) /* the newcomer learns the whole chat */
		e = announce_chat_to(chat, user, now_ms);
	if (e != ERR_OK)
		goto err;
	*added = true;
	return tx_commit();
err:
	return tx_fail(e);
}

enum err
db_chat_leave(int64_t actor, int64_t chat, int64_t user, int64_t now_ms)
{
	struct chat_role r;
	char data[96];
	enum err e;

	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* After this point every failure goes to err, which rolls back. */
	if ((e = chat_check(actor, chat, CHAT_MEMBER, &r)) != ERR_OK)
		goto err;
	if (user != actor && (strcmp(r.type, "direct") == 0 || !r.creator)) {
		e = ERR_FORBIDDEN;
		goto err;
	}
	if (!exists(stmt("SELECT 1 FROM members WHERE chat_id=? AND user_id=?",
	    "ii", chat, user))) {
		e = ERR_USER_NOT_FOUND;
		goto err;
	}
	if (strcmp(r.type, "direct") == 0) {
		e = exec_stmt(stmt("UPDATE members SET hidden=1 WHERE chat_id=?"
		    " AND user_id=?", "ii", chat, user));
	} else {
		/* Everyone, the one who leaves included (its other devices),
		 * hears of it; then it is gone and hears no more. */
		chat_user_data(data, sizeof(data), chat, user);
		e = emit_to_members(chat, "chat.member_left", 0, data, 0, now_ms);
		if (e == ERR_OK)
			e = exec_stmt(stmt("DELETE FROM members WHERE chat_id=?"
			    " AND user_id=?", "ii", chat, user));
	}
	if (e != ERR_OK)
		goto err;
	return tx_commit();
err:
	return tx_fail(e);
}

enum err
db_chat_read(int64_t user, int64_t chat, int64_t message, int64_t now_ms)
{
	struct chat_role r;
	char data[128];
	enum err e;

	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* After this point every failure goes to err, which rolls back. */
	if ((e = chat_check(user, chat, CHAT_MEMBER, &r)) != ERR_OK)
		goto err;
	if (!exists(stmt("SELECT 1 FROM messages WHERE id=? AND chat_id=?",
	    "ii", message, chat))) {
		e = ERR_MESSAGE_NOT_FOUND;
		goto err;
	}
	if (!exists(stmt("SELECT 1 FROM members WHERE chat_id=? AND user_id=?"
	    " AND last_read_id<?", "iii", chat, user, message))) {
		tx_rollback(); /* the marker is there already */
		return ERR_OK;
	}
	e = exec_stmt(stmt("UPDATE members SET last_read_id=? WHERE chat_id=?"
	    " AND user_id=?", "iii", message, chat, user));
	snprintf(data, sizeof(data), "{\"chat_id\":%lld,\"message_id\":%lld,"
	    "\"user_id\":%lld}", (long long)chat, (long long)message,
	    (long long)user);
	if (e == ERR_OK)
		e = emit_to_members(chat, "message.read", 0, data, 0, now_ms);
	if (e != ERR_OK)
		goto err;
	return tx_commit();
err:
	return tx_fail(e);
}

enum err
db_chat_typing(int64_t user, int64_t chat, int64_t now_ms)
{
	struct chat_role r;
	char data[96];
	enum err e;

	if ((e = chat_check(user, chat, CHAT_MEMBER, &r)) != ERR_OK)
		return e;
	if ((e = tx_begin()) != ERR_OK)
		return e;
	chat_user_data(data, sizeof(data), chat, user);
	e = emit_to_members(chat, "typing", 0, data, user, now_ms);
	if (e != ERR_OK)
		return tx_fail(e);
	return tx_commit();
}
