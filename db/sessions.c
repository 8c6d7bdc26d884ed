/*
 * sessions.c: sign-in sessions. Only the hash of a token is stored.
 *
 * Every authenticated request looks its token up. From the database that
 * is a read which, after any other connection's commit, starts from an
 * emptied page cache (SQLite keeps none across another writer's commit):
 * 15-19% of the time of a send or a poll (docs/BENCHMARKS.md). So each
 * process keeps the tokens it checked lately. An entry holds until its
 * session expires or until the cache epoch in the bell moves, which
 * every write that ends sessions moves after its commit, in whichever
 * process (caches_stale()).
 */
#include <pthread.h>
#include <string.h>

#include "bell.h"
#include "internal.h"

#define SESSION_CACHE_SLOTS 16384 /* a power of two; ~1.2 MiB */

static struct session_entry {
	unsigned char token_hash[TOKEN_HASH_BYTES];
	int64_t user, session, tenant, expires_ms;
	uint32_t epoch;
	bool used;
} session_cache[SESSION_CACHE_SLOTS];
static pthread_mutex_t session_cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* The slot of a token: its hash is already uniform. */
static struct session_entry *
session_slot(const unsigned char *token_hash)
{
	uint32_t h;

	memcpy(&h, token_hash, sizeof(h));
	return &session_cache[h & (SESSION_CACHE_SLOTS - 1)];
}

static bool
session_cached(const unsigned char *token_hash, int64_t now_ms,
    uint32_t epoch, struct session_entry *out)
{
	struct session_entry *c = session_slot(token_hash);
	bool hit;

	pthread_mutex_lock(&session_cache_lock);
	hit = c->used && c->epoch == epoch && c->expires_ms > now_ms &&
	    memcmp(c->token_hash, token_hash, TOKEN_HASH_BYTES) == 0;
	if (hit)
		*out = *c;
	pthread_mutex_unlock(&session_cache_lock);
	return hit;
}

static void
session_remember(const struct session_entry *e)
{
	struct session_entry *c = session_slot(e->token_hash);

	pthread_mutex_lock(&session_cache_lock);
	*c = *e;
	pthread_mutex_unlock(&session_cache_lock);
}

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
	struct session_entry c = { .used = true };
	sqlite3_stmt *st;
	enum err e;
	int rc;

	/* The epoch first, then a snapshot begun after it: an entry is never
	 * newer in epoch than in what it read. */
	c.epoch = bell_cache_epoch();
	if (session_cached(token_hash, now_ms, c.epoch, &c)) {
		*user = c.user;
		*session = c.session;
		*tenant = c.tenant;
		*expires_ms = c.expires_ms;
		return ERR_OK;
	}
	db_read_renew();
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
		memcpy(c.token_hash, token_hash, TOKEN_HASH_BYTES);
		c.user = *user;
		c.session = *session;
		c.tenant = *tenant;
		c.expires_ms = *expires_ms;
		session_remember(&c);
	} else {
		e = rc == SQLITE_DONE ? ERR_INVALID_TOKEN :
		    map_rc(rc, "session find");
	}
	sqlite3_reset(st);
	return e;
}

enum err
db_session_extend(const unsigned char *token_hash, int64_t session,
    int64_t expires_ms)
{
	struct session_entry *c = session_slot(token_hash);
	enum err e = exec_stmt(stmt("UPDATE sessions SET expires_at=?"
	    " WHERE id=?", "ii", expires_ms, session));

	/* This process's entry learns the new expiry (another process's
	 * still has the old one: it extends once more, or reads again when
	 * that passes). */
	pthread_mutex_lock(&session_cache_lock);
	if (e == ERR_OK && c->used && c->session == session)
		c->expires_ms = expires_ms;
	pthread_mutex_unlock(&session_cache_lock);
	return e;
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
	caches_stale();
	/* The user's held polls wake, check their token again and end
	 * with 401 at once (tests/http/test_security.py). */
	if (user != 0)
		bell_ring(&user, 1);
	return ERR_OK;
}
