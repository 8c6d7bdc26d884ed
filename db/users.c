/*
 * users.c: accounts.
 */
#include <stdio.h>
#include <string.h>

#include "bell.h"
#include "internal.h"

static bool
phone_taken(int64_t tenant, const char *phone, int64_t except)
{
	return phone != NULL && exists(stmt("SELECT 1 FROM users"
	    " WHERE tenant_id=? AND phone=? AND id<>?", "iti", tenant, phone,
	    except));
}

enum err
db_user_create(const struct user_new *u, int64_t now_ms, int64_t *id)
{
	enum err e;

	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* After this point every failure goes to err, which rolls back. */
	if (u->login != NULL && exists(stmt("SELECT 1 FROM users"
	    " WHERE tenant_id=? AND login=?", "it", u->tenant_id, u->login))) {
		e = ERR_LOGIN_TAKEN;
		goto err;
	}
	if (phone_taken(u->tenant_id, u->phone, 0)) {
		e = ERR_PHONE_TAKEN;
		goto err;
	}
	e = exec_stmt(stmt("INSERT INTO users (tenant_id, login, phone, email,"
	    " nick, password_hash, registered_at) VALUES (?,?,?,?,?,?,?)",
	    "ittttti", u->tenant_id, u->login, u->phone, u->email, u->nick,
	    u->password_hash, now_ms));
	if (e != ERR_OK)
		goto err;
	*id = sqlite3_last_insert_rowid(conn());
	return tx_commit();
err:
	return tx_fail(e);
}

/* Turns the raw columns of a user row into the API's User: online as a
 * boolean, the avatar's ETag as its URL (versioned by the ETag, so that a
 * cache never shows an old one), else the URL its site gave, else null. */
json_t *
user_finish(json_t *u)
{
	json_t *avatar = json_object_get(u, "avatar");

	if (u == NULL)
		return NULL;
	json_object_set_new(u, "online",
	    json_boolean(json_integer_value(json_object_get(u, "online"))));
	if (json_is_string(avatar)) {
		char url[128];
		snprintf(url, sizeof(url), "/api/v1/users/%lld/avatar?v=%s",
		    (long long)json_integer_value(json_object_get(u, "id")),
		    json_string_value(avatar));
		json_object_set_new(u, "avatar", json_string(url));
	} else {
		json_object_set(u, "avatar", json_object_get(u, "avatar_url"));
	}
	json_object_del(u, "avatar_url");
	return u;
}

json_t *
db_user_get(int64_t viewer, int64_t id, int64_t now_ms, enum err *e)
{
	sqlite3_stmt *st;
	json_t *u = NULL;
	int rc;

	st = stmt("SELECT " USER_COLUMNS USER_FROM " WHERE u.id=?3 AND"
	    " u.tenant_id=(SELECT tenant_id FROM users WHERE id=?1)", "iii",
	    viewer, now_ms, id);
	if (st == NULL) {
		*e = ERR_INTERNAL;
		return NULL;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		u = user_finish(row_json(st));
		*e = u != NULL ? ERR_OK : ERR_INTERNAL;
	} else {
		*e = rc == SQLITE_DONE ? ERR_USER_NOT_FOUND :
		    map_rc(rc, "user get");
	}
	sqlite3_reset(st);
	return u;
}

json_t *
db_user_search(int64_t viewer, bool online, const char *phone,
    const char *login, const char *prefix, int64_t after, int limit,
    int64_t now_ms, enum err *e)
{
	sqlite3_stmt *st;
	json_t *list = json_array();
	int rc;

	/* A prefix matches with LIKE: its own % and _ are escaped. */
	char like[2 * 130 + 2];
	size_t n = 0;
	for (const char *p = prefix; p != NULL && *p != '\0' &&
	    n + 3 < sizeof(like); p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			like[n++] = '\\';
		like[n++] = *p;
	}
	like[n++] = '%';
	like[n] = '\0';

	st = stmt("SELECT " USER_COLUMNS USER_FROM " WHERE"
	    " u.tenant_id=(SELECT tenant_id FROM users WHERE id=?1)"
	    " AND (?3=0 OR u.online_until>?2)"
	    " AND (?4 IS NULL OR u.phone=?4)"
	    " AND (?5 IS NULL OR u.login=?5)"
	    " AND (?6 IS NULL OR u.nick LIKE ?7 ESCAPE '\\'"
	    "  OR u.login LIKE ?7 ESCAPE '\\')"
	    " AND u.id>?8 ORDER BY u.id LIMIT ?9", "iiittttii",
	    viewer, now_ms, (int64_t)online, phone, login, prefix, like, after,
	    (int64_t)limit);
	if (st == NULL || list == NULL) {
		json_decref(list);
		*e = ERR_INTERNAL;
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(list, user_finish(row_json(st)));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		*e = map_rc(rc, "user search");
		return NULL;
	}
	*e = ERR_OK;
	return list;
}

enum err
db_user_find(int64_t tenant, const char *login, const char *phone,
    int64_t *id, char *hash, size_t hashlen)
{
	sqlite3_stmt *st;
	enum err e;
	int rc;

	if (login != NULL)
		st = stmt("SELECT id, password_hash FROM users"
		    " WHERE tenant_id=? AND login=?", "it", tenant, login);
	else
		st = stmt("SELECT id, password_hash FROM users"
		    " WHERE tenant_id=? AND phone=?", "it", tenant, phone);
	if (st == NULL)
		return ERR_INTERNAL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 1);
		*id = sqlite3_column_int64(st, 0);
		snprintf(hash, hashlen, "%s", h != NULL ? h : "");
		e = ERR_OK;
	} else {
		e = rc == SQLITE_DONE ? ERR_USER_NOT_FOUND :
		    map_rc(rc, "user find");
	}
	sqlite3_reset(st);
	return e;
}

/* The columns PATCH /me may change, each with its own statement (the
 * statement cache is keyed by literal). */
static const struct {
	const char *column;
	const char *sql;
} updatable[] = {
	{ "nick", "UPDATE users SET nick=? WHERE id=?" },
	{ "first_name", "UPDATE users SET first_name=? WHERE id=?" },
	{ "last_name", "UPDATE users SET last_name=? WHERE id=?" },
	{ "middle_name", "UPDATE users SET middle_name=? WHERE id=?" },
	{ "status", "UPDATE users SET status=? WHERE id=?" },
	{ "email", "UPDATE users SET email=? WHERE id=?" },
	{ "phone", "UPDATE users SET phone=? WHERE id=?" },
	{ "language", "UPDATE users SET language=? WHERE id=?" },
	{ "public_key", "UPDATE users SET public_key=? WHERE id=?" },
};

enum err
db_user_update(int64_t id, const json_t *set, int64_t now_ms)
{
	const char *key;
	json_t *value;
	enum err e;
	size_t i;

	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* After this point every failure goes to err, which rolls back. */
	json_object_foreach((json_t *)set, key, value) {
		for (i = 0; i < sizeof(updatable) / sizeof(updatable[0]); i++)
			if (strcmp(updatable[i].column, key) == 0)
				break;
		if (i == sizeof(updatable) / sizeof(updatable[0])) {
			e = ERR_INTERNAL; /* defensive: the handler validates */
			goto err;
		}
		if (strcmp(key, "phone") == 0 && phone_taken(
		    db_user_tenant(id), json_string_value(value), id)) {
			e = ERR_PHONE_TAKEN;
			goto err;
		}
		e = exec_stmt(stmt(updatable[i].sql, "ti",
		    json_string_value(value), id));
		if (e != ERR_OK)
			goto err;
	}
	if (json_object_size(set) > 0 &&
	    (e = emit_user_updated(id, now_ms)) != ERR_OK)
		goto err;
	return tx_commit();
err:
	return tx_fail(e);
}

int64_t
db_user_tenant(int64_t id)
{
	return query_int64(stmt("SELECT tenant_id FROM users WHERE id=?", "i",
	    id), 0);
}

enum err
db_user_set_password(int64_t id, const char *hash, int64_t keep)
{
	enum err e;

	if ((e = tx_begin()) != ERR_OK)
		return e;
	e = exec_stmt(stmt("UPDATE users SET password_hash=? WHERE id=?", "ti",
	    hash, id));
	if (e == ERR_OK && sqlite3_changes(conn()) == 0)
		e = ERR_USER_NOT_FOUND;
	if (e == ERR_OK)
		e = exec_stmt(stmt("DELETE FROM sessions WHERE user_id=? AND id<>?",
		    "ii", id, keep));
	if (e == ERR_OK)
		caches_stale();
	if (e != ERR_OK)
		return tx_fail(e);
	if ((e = tx_commit()) == ERR_OK)
		bell_ring(&id, 1); /* held polls end with 401 at once */
	return e;
}
