/*
 * tenants.c: embedding sites. A site has a name, the hash of its chat key
 * (the key itself is shown once, by parley-admin, and never stored), its
 * allowed web origins, and its users: users.tenant_id is the site's id,
 * users.external_id the site's own id for the user. Tenant 0 is the open
 * registration and has no row here.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

enum err
db_tenant_create(const char *name, const unsigned char *key_hash,
    int64_t now_ms, int64_t *id)
{
	enum err e;

	if ((e = tx_begin()) != ERR_OK)
		return e;
	if (exists(stmt("SELECT 1 FROM tenants WHERE name=?", "t", name))) {
		tx_rollback();
		return ERR_ALREADY_EXISTS;
	}
	e = exec_stmt(stmt("INSERT INTO tenants (name, key_hash, created_at)"
	    " VALUES (?,?,?)", "tbi", name, key_hash, TOKEN_HASH_BYTES, now_ms));
	if (e != ERR_OK) {
		tx_rollback();
		return e;
	}
	*id = sqlite3_last_insert_rowid(conn());
	return tx_commit();
}

json_t *
db_tenant_list(enum err *e)
{
	sqlite3_stmt *st;
	json_t *list = json_array();
	size_t i;
	int rc;

	st = stmt("SELECT id, name, iso(created_at) AS created_at,"
	    " iso(revoked_at) AS revoked_at FROM tenants ORDER BY id", "");
	if (st == NULL || list == NULL) {
		json_decref(list);
		*e = ERR_INTERNAL;
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(list, row_json(st));
	sqlite3_reset(st);
	*e = rc == SQLITE_DONE ? ERR_OK : map_rc(rc, "tenant list");
	for (i = 0; i < json_array_size(list) && *e == ERR_OK; i++) {
		json_t *t = json_array_get(list, i), *origins = json_array();
		st = stmt("SELECT origin FROM tenant_origins WHERE tenant_id=?"
		    " ORDER BY origin", "i",
		    (int64_t)json_integer_value(json_object_get(t, "id")));
		if (st == NULL || origins == NULL) {
			json_decref(origins);
			*e = ERR_INTERNAL;
			break;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			json_array_append_new(origins, json_string(
			    (const char *)sqlite3_column_text(st, 0)));
		sqlite3_reset(st);
		json_object_set_new(t, "origins", origins);
		if (rc != SQLITE_DONE)
			*e = map_rc(rc, "tenant origins");
	}
	if (*e != ERR_OK) {
		json_decref(list);
		return NULL;
	}
	return list;
}

enum err
db_tenant_revoke(const char *name, int64_t now_ms, int *ended)
{
	int64_t id;
	enum err e;

	*ended = 0;
	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* After this point every failure goes to err, which rolls back. */
	id = query_int64(stmt("SELECT id FROM tenants WHERE name=?", "t", name),
	    0);
	if (id == 0) {
		e = ERR_NOT_FOUND;
		goto err;
	}
	e = exec_stmt(stmt("UPDATE tenants SET revoked_at=coalesce(revoked_at,"
	    " ?) WHERE id=?", "ii", now_ms, id));
	if (e == ERR_OK)
		e = exec_stmt(stmt("DELETE FROM sessions WHERE user_id IN"
		    " (SELECT id FROM users WHERE tenant_id=?)", "i", id));
	if (e == ERR_OK)
		caches_stale();
	if (e != ERR_OK)
		goto err;
	*ended = sqlite3_changes(conn());
	return tx_commit();
err:
	tx_rollback();
	return e;
}

enum err
db_tenant_set_origins(const char *name, const char *const *origins, size_t n)
{
	int64_t id;
	enum err e;
	size_t i;

	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* After this point every failure goes to err, which rolls back. */
	id = query_int64(stmt("SELECT id FROM tenants WHERE name=?", "t", name),
	    0);
	if (id == 0) {
		e = ERR_NOT_FOUND;
		goto err;
	}
	e = exec_stmt(stmt("DELETE FROM tenant_origins WHERE tenant_id=?", "i",
	    id));
	for (i = 0; i < n && e == ERR_OK; i++)
		e = exec_stmt(stmt("INSERT OR IGNORE INTO tenant_origins"
		    " (tenant_id, origin) VALUES (?,?)", "it", id, origins[i]));
	if (e != ERR_OK)
		goto err;
	return tx_commit();
err:
	tx_rollback();
	return e;
}

enum err
db_tenant_by_key(const unsigned char *key_hash, int64_t *tenant)
{
	sqlite3_stmt *st = stmt("SELECT id FROM tenants WHERE key_hash=? AND"
	    " revoked_at IS NULL", "b", key_hash, TOKEN_HASH_BYTES);
	enum err e;
	int rc;

	if (st == NULL)
		return ERR_INTERNAL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*tenant = sqlite3_column_int64(st, 0);
		e = ERR_OK;
	} else {
		e = rc == SQLITE_DONE ? ERR_INVALID_CHAT_KEY :
		    map_rc(rc, "tenant by key");
	}
	sqlite3_reset(st);
	return e;
}

enum err
db_origin_allowed(const char *origin, int64_t tenant, bool *allowed)
{
	sqlite3_stmt *st;
	int rc;

	*allowed = false;
	if (tenant == 0)
		return ERR_OK;
	st = stmt("SELECT 1 FROM tenant_origins o JOIN tenants t"
	    " ON t.id=o.tenant_id AND t.revoked_at IS NULL"
	    " WHERE o.origin=?1 AND (?2<0 OR o.tenant_id=?2) LIMIT 1", "ti",
	    origin, tenant);
	if (st == NULL)
		return ERR_INTERNAL;
	rc = sqlite3_step(st);
	*allowed = rc == SQLITE_ROW;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ERR_OK :
	    map_rc(rc, "origin allowed");
}

enum err
db_site_user_upsert(int64_t tenant, const struct site_user *u,
    int64_t now_ms, int64_t *id, bool *created)
{
	enum err e;

	*created = false;
	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* After this point every failure goes to err, which rolls back. */
	*id = query_int64(stmt("SELECT id FROM users WHERE tenant_id=? AND"
	    " external_id=?", "it", tenant, u->external_id), 0);
	if (u->phone != NULL && exists(stmt("SELECT 1 FROM users WHERE"
	    " tenant_id=? AND phone=? AND id<>?", "iti", tenant, u->phone,
	    *id))) {
		e = ERR_PHONE_TAKEN;
		goto err;
	}
	if (*id == 0) {
		e = exec_stmt(stmt("INSERT INTO users (tenant_id, external_id,"
		    " nick, first_name, last_name, middle_name, email, phone,"
		    " avatar_url, registered_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
		    "itttttttti", tenant, u->external_id, u->name, u->name,
		    u->last_name, u->middle_name, u->email, u->phone,
		    u->avatar_url, now_ms));
		if (e != ERR_OK)
			goto err;
		*id = sqlite3_last_insert_rowid(conn());
		*created = true;
		return tx_commit();
	}
	/* The site's word is the whole profile; the row is written (and
	 * watchers told) only when something differs. */
	e = exec_stmt(stmt("UPDATE users SET nick=?2, first_name=?2,"
	    " last_name=?3, middle_name=?4, email=?5, phone=?6, avatar_url=?7"
	    " WHERE id=?1 AND (nick IS NOT ?2 OR first_name IS NOT ?2 OR"
	    " last_name IS NOT ?3 OR middle_name IS NOT ?4 OR email IS NOT ?5"
	    " COLLATE BINARY OR phone IS NOT ?6 OR avatar_url IS NOT ?7)",
	    "itttttt", *id, u->name, u->last_name, u->middle_name,
	    u->email, u->phone, u->avatar_url));
	if (e == ERR_OK && sqlite3_changes(conn()) > 0)
		e = emit_user_updated(*id, now_ms);
	if (e != ERR_OK)
		goto err;
	return tx_commit();
err:
	tx_rollback();
	return e;
}
