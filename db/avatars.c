/*
 * avatars.c: users' uploaded avatars. The bytes live in avatars; their
 * version (etag) is repeated in users.avatar_etag, from which every User
 * builds its avatar URL without reading this table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum err
db_avatar_set(int64_t user, const char *mime, int64_t width, int64_t height,
    const void *data, size_t len, const char *etag, int64_t now_ms)
{
	enum err e;

	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* After this point every failure goes to err, which rolls back. */
	e = exec_stmt(stmt("INSERT OR REPLACE INTO avatars (user_id, mime,"
	    " width, height, data, etag, updated_at) VALUES (?,?,?,?,?,?,?)",
	    "itiibti", user, mime, width, height, data, (int)len, etag,
	    now_ms));
	if (e == ERR_OK)
		e = exec_stmt(stmt("UPDATE users SET avatar_etag=? WHERE id=?",
		    "ti", etag, user));
	if (e == ERR_OK)
		e = emit_user_updated(user, now_ms);
	if (e != ERR_OK)
		goto err;
	return tx_commit();
err:
	tx_rollback();
	return e;
}

enum err
db_avatar_delete(int64_t user, int64_t now_ms, bool *removed)
{
	enum err e;

	*removed = false;
	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* After this point every failure goes to err, which rolls back. */
	e = exec_stmt(stmt("DELETE FROM avatars WHERE user_id=?", "i", user));
	if (e != ERR_OK)
		goto err;
	if (sqlite3_changes(conn()) == 0) {
		tx_rollback(); /* none: nothing to tell anyone */
		return ERR_OK;
	}
	e = exec_stmt(stmt("UPDATE users SET avatar_etag=NULL WHERE id=?", "i",
	    user));
	if (e == ERR_OK)
		e = emit_user_updated(user, now_ms);
	if (e != ERR_OK)
		goto err;
	*removed = true;
	return tx_commit();
err:
	tx_rollback();
	return e;
}

enum err
db_avatar_get(int64_t viewer, int64_t user, bool with_data, struct avatar *a)
{
	sqlite3_stmt *st;
	enum err e;
	int rc;

	memset(a, 0, sizeof(*a));
	/* The user, if it is one of viewer's tenant, and its avatar if any.
	 * The blob is read only when it is wanted: a revalidation
	 * (If-None-Match) needs the etag alone, and length() of a blob does
	 * not load it. */
	if (with_data)
		st = stmt("SELECT a.mime, a.etag, a.width, a.height, a.data"
		    " FROM users u LEFT JOIN avatars a ON a.user_id=u.id"
		    " WHERE u.id=?2 AND u.tenant_id=(SELECT tenant_id FROM users"
		    " WHERE id=?1)", "ii", viewer, user);
	else
		st = stmt("SELECT a.mime, a.etag, a.width, a.height,"
		    " length(a.data) FROM users u LEFT JOIN avatars a"
		    " ON a.user_id=u.id WHERE u.id=?2 AND u.tenant_id=(SELECT"
		    " tenant_id FROM users WHERE id=?1)", "ii", viewer, user);
	if (st == NULL)
		return ERR_INTERNAL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		e = ERR_USER_NOT_FOUND;
	} else if (rc != SQLITE_ROW) {
		e = map_rc(rc, "avatar get");
	} else if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		e = ERR_NOT_FOUND;
	} else {
		snprintf(a->mime, sizeof(a->mime), "%s",
		    (const char *)sqlite3_column_text(st, 0));
		snprintf(a->etag, sizeof(a->etag), "%s",
		    (const char *)sqlite3_column_text(st, 1));
		a->width = sqlite3_column_int64(st, 2);
		a->height = sqlite3_column_int64(st, 3);
		e = ERR_OK;
		if (!with_data) {
			a->len = (size_t)sqlite3_column_int64(st, 4);
		} else {
			const void *p = sqlite3_column_blob(st, 4);
			a->len = (size_t)sqlite3_column_bytes(st, 4);
			a->data = malloc(a->len ? a->len : 1);
			if (a->data == NULL || (p == NULL && a->len > 0)) {
				free(a->data);
				a->data = NULL;
				e = ERR_INTERNAL;
			} else {
				memcpy(a->data, p, a->len);
			}
		}
	}
	sqlite3_reset(st);
	return e;
}
