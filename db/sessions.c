/*
 * sessions.c: sign-in sessions. Only the hash of a token is stored.
 */
#include "bell.h"
#include "internal.h"

enum err
db_session_create(int64_t user, const unsigned char *token_hash,
    int64_t now_ms, int64_t expires_ms, int64_t *session_id)
{
	enum err e;

	e = exec_stmt(stmt("INSERT INTO sessions (user_id, token_hash,"
	    " created_at, expires_at) VALUES (?,?,?,?)", "ibii", user,
	    token_hash, TOKEN_HASH_BYTES, now_ms, expires_ms));
	if (e == ERR_OK)
		*session_id = sqlite3_last_insert_rowid(conn());
	return e;
}

enum err
db_session_find(const unsigned char *token_hash, int64_t now_ms,
    int64_t *user, int64_t *session, int64_t *tenant, int64_t *expires_ms)
{
	sqlite3_stmt *st;
	enum err e;
	int rc;

	st = stmt("SELECT s.id, s.user_id, u.tenant_id, s.expires_at"
	    " FROM sessions s JOIN users u ON u.id=s.user_id"
	    " WHERE s.token_hash=? AND s.expires_at>?", "bi", token_hash,
	    TOKEN_HASH_BYTES, now_ms);
	if (st == NULL)
		return ERR_INTERNAL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*session = sqlite3_column_int64(st, 0);
		*user = sqlite3_column_int64(st, 1);
		*tenant = sqlite3_column_int64(st, 2);
		*expires_ms = sqlite3_column_int64(st, 3);
		e = ERR_OK;
	} else {
		e = rc == SQLITE_DONE ? ERR_INVALID_TOKEN :
		    map_rc(rc, "session find");
	}
	sqlite3_reset(st);
	return e;
}

enum err
db_session_extend(int64_t session, int64_t expires_ms)
{
	return exec_stmt(stmt("UPDATE sessions SET expires_at=? WHERE id=?",
	    "ii", expires_ms, session));
}

enum err
db_session_delete(int64_t session)
{
	sqlite3_stmt *st = stmt("DELETE FROM sessions WHERE id=?"
	    " RETURNING user_id", "i", session);
	int64_t user = 0;
	int rc;

	if (st == NULL)
		return ERR_INTERNAL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		user = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return map_rc(rc, "session delete");
	/* The user's held polls wake, check their token again and end
	 * with 401 at once (tests/http/test_security.py). */
	if (user != 0)
		bell_ring(&user, 1);
	return ERR_OK;
}
