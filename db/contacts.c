/*
 * contacts.c: each user's contacts. A row (owner, contact) says that owner
 * added contact: contact then sees owner's phone and e-mail (USER_COLUMNS)
 * and watches owner (presence, user.updated). Contacts are always users of
 * the owner's tenant: every function here checks it.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* True if user is a user of owner's tenant. */
static bool
same_tenant(int64_t owner, int64_t user)
{
	return exists(stmt("SELECT 1 FROM users WHERE id=?2 AND"
	    " tenant_id=(SELECT tenant_id FROM users WHERE id=?1)", "ii", owner,
	    user));
}

/* The Contact of the current row of a CONTACT query: its User and the
 * name the owner gave it. */
static json_t *
contact_from_row(sqlite3_stmt *st)
{
	json_t *u = row_json(st), *name;

	if (u == NULL)
		return NULL;
	name = json_incref(json_object_get(u, "contact_name"));
	json_object_del(u, "contact_name");
	return json_pack("{s:o, s:o}", "user", user_finish(u), "name",
	    name != NULL ? name : json_null());
}

/* The contacts of owner (?1) as it sees them at now (?2). */
#define CONTACT_SELECT \
	"SELECT " USER_COLUMNS ", k.name AS contact_name FROM contacts k" \
	" JOIN users u ON u.id=k.contact_id" \
	" LEFT JOIN contacts c ON c.owner_id=u.id AND c.contact_id=?1" \
	" WHERE k.owner_id=?1" \
	" AND u.tenant_id=(SELECT tenant_id FROM users WHERE id=?1)"

json_t *
db_contact_list(int64_t owner, int64_t after, int limit, int64_t now_ms,
    enum err *e)
{
	sqlite3_stmt *st;
	json_t *list = json_array();
	int rc;

	st = stmt(CONTACT_SELECT " AND u.id>?3 ORDER BY u.id LIMIT ?4", "iiii",
	    owner, now_ms, after, (int64_t)limit);
	if (st == NULL || list == NULL) {
		json_decref(list);
		*e = ERR_INTERNAL;
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(list, contact_from_row(st));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		*e = map_rc(rc, "contact list");
		return NULL;
	}
	*e = ERR_OK;
	return list;
}

json_t *
db_contact_get(int64_t owner, int64_t contact, int64_t now_ms, enum err *e)
{
	sqlite3_stmt *st;
	json_t *c = NULL;
	int rc;

	st = stmt(CONTACT_SELECT " AND u.id=?3", "iii", owner, now_ms, contact);
	if (st == NULL) {
		*e = ERR_INTERNAL;
		return NULL;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		c = contact_from_row(st);
		*e = c != NULL ? ERR_OK : ERR_INTERNAL;
	} else if (rc == SQLITE_DONE) {
		*e = ERR_NOT_FOUND;
	} else {
		*e = map_rc(rc, "contact get");
	}
	sqlite3_reset(st);
	if (*e == ERR_NOT_FOUND && !same_tenant(owner, contact))
		*e = ERR_USER_NOT_FOUND;
	return c;
}

/* user.updated of about to the one user to, with the User as it sees it
 * now (inside the caller's transaction). */
static enum err
tell(int64_t to, int64_t about, int64_t now_ms)
{
	enum err e;
	json_t *u = db_user_get(to, about, now_ms, &e);
	char *data = u != NULL ? json_dumps(u, JSON_COMPACT) : NULL;

	if (u != NULL)
		e = data != NULL ? emit(to, "user.updated", 0, data, now_ms) :
		    ERR_INTERNAL;
	free(data);
	json_decref(u);
	return e;
}

/* Adds or renames inside the caller's transaction; *created says which.
 * A new contact is told (it sees owner's phone and e-mail now). */
static enum err
contact_upsert(int64_t owner, int64_t contact, const char *name,
    int64_t now_ms, bool *created)
{
	enum err e;

	*created = !exists(stmt("SELECT 1 FROM contacts WHERE owner_id=? AND"
	    " contact_id=?", "ii", owner, contact));
	e = exec_stmt(stmt("INSERT INTO contacts (owner_id, contact_id, name,"
	    " added_at) VALUES (?,?,?,?) ON CONFLICT(owner_id, contact_id) DO"
	    " UPDATE SET name=excluded.name", "iiti", owner, contact, name,
	    now_ms));
	if (e == ERR_OK && *created)
		e = tell(contact, owner, now_ms);
	return e;
}

enum err
db_contact_put(int64_t owner, int64_t contact, const char *name,
    int64_t now_ms, bool *created)
{
	enum err e;

	*created = false;
	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* After this point every failure goes to err, which rolls back. */
	if (!same_tenant(owner, contact)) {
		e = ERR_USER_NOT_FOUND;
		goto err;
	}
	if ((e = contact_upsert(owner, contact, name, now_ms, created)) !=
	    ERR_OK)
		goto err;
	return tx_commit();
err:
	*created = false;
	tx_rollback();
	return e;
}

enum err
db_contact_delete(int64_t owner, int64_t contact, int64_t now_ms)
{
	enum err e;

	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* After this point every failure goes to err, which rolls back. */
	if (!same_tenant(owner, contact)) {
		e = ERR_USER_NOT_FOUND;
		goto err;
	}
	e = exec_stmt(stmt("DELETE FROM contacts WHERE owner_id=? AND"
	    " contact_id=?", "ii", owner, contact));
	if (e == ERR_OK && sqlite3_changes(conn()) == 0)
		e = ERR_NOT_FOUND;
	if (e == ERR_OK)
		e = tell(contact, owner, now_ms);
	if (e != ERR_OK)
		goto err;
	return tx_commit();
err:
	tx_rollback();
	return e;
}

/* Appends id to the set *ids (of *n) unless it is there; returns false
 * when it was there already, or (with *e) when out of memory. */
static bool
add_once(int64_t **ids, size_t *n, size_t *cap, int64_t id, enum err *e)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*ids)[i] == id)
			return false;
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		int64_t *p = realloc(*ids, c * sizeof(*p));
		if (p == NULL) {
			*e = ERR_INTERNAL;
			return false;
		}
		*ids = p;
		*cap = c;
	}
	(*ids)[(*n)++] = id;
	return true;
}

json_t *
db_contact_import(int64_t owner, const struct contact_entry *entries,
    size_t n, int64_t now_ms, size_t *unmatched, enum err *e)
{
	int64_t *ids = NULL, *found = NULL;
	size_t nids = 0, capids = 0, nfound, capfound = 0, i, j;
	json_t *matched = NULL;
	sqlite3_stmt *st;
	bool created;
	int rc;

	*unmatched = 0;
	if ((*e = tx_begin()) != ERR_OK)
		return NULL;
	/* After this point every failure goes to err, which rolls back. */
	for (i = 0; i < n && *e == ERR_OK; i++) {
		/* The entry's users: collected first, no write while st reads. */
		nfound = 0;
		st = stmt("SELECT id FROM users WHERE tenant_id=(SELECT tenant_id"
		    " FROM users WHERE id=?1) AND id<>?1 AND ((?2 IS NOT NULL AND"
		    " phone=?2) OR (?3 IS NOT NULL AND email=?3)) ORDER BY id",
		    "itt", owner, entries[i].phone, entries[i].email);
		if (st == NULL) {
			*e = ERR_INTERNAL;
			goto err;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(st, 0);
			if (nfound == capfound) {
				size_t c = capfound ? 2 * capfound : 4;
				int64_t *p = realloc(found, c * sizeof(*p));
				if (p == NULL) {
					*e = ERR_INTERNAL;
					break;
				}
				found = p;
				capfound = c;
			}
			found[nfound++] = id;
		}
		sqlite3_reset(st);
		if (*e == ERR_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
			*e = map_rc(rc, "contact import");
		if (*e != ERR_OK)
			goto err;
		if (nfound == 0)
			(*unmatched)++;
		for (j = 0; j < nfound && *e == ERR_OK; j++)
			if (add_once(&ids, &nids, &capids, found[j], e))
				*e = contact_upsert(owner, found[j],
				    entries[i].name, now_ms, &created);
		if (*e != ERR_OK)
			goto err;
	}
	if ((matched = json_array()) == NULL) {
		*e = ERR_INTERNAL;
		goto err;
	}
	for (i = 0; i < nids; i++) {
		json_t *c = db_contact_get(owner, ids[i], now_ms, e);
		if (c == NULL)
			goto err;
		json_array_append_new(matched, c);
	}
	if ((*e = tx_commit()) != ERR_OK) {
		json_decref(matched);
		matched = NULL;
	}
	free(ids);
	free(found);
	return matched;
err:
	tx_rollback();
	json_decref(matched);
	free(ids);
	free(found);
	return NULL;
}
