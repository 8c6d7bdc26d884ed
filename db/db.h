/*
 * db.h: parley's storage interface; db/ is the only code that names SQLite.
 *
 * Every function works on the calling thread's own connection, opened on
 * first use (one connection per thread, prepared statements cached). Read
 * models come back as new jansson objects whose keys are the API's field
 * names; the caller owns (and json_decref()s) them. Functions that change
 * anything run their own IMMEDIATE transaction and return ERR_OK only after
 * it committed; a busy database is ERR_UNAVAILABLE, a full disk
 * ERR_STORAGE_FULL.
 */
#ifndef PARLEY_DB_H
#define PARLEY_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../api/error.h"

#define TOKEN_HASH_BYTES 32

/* --- the database itself (conn.c) --- */

/* Opens path, creating it, and applies the migrations of schema/ that it
 * has not seen (PRAGMA user_version). Call once per process before any
 * thread uses the database. Returns 0 or -1 after printing why. */
int db_setup(const char *path, bool synchronous_full, int busy_timeout_ms);

/* Closes the calling thread's connection, if it has one. */
void db_thread_close(void);

/* ERR_OK if the database answers a query. */
enum err db_ping(void);

/* The schema version the database is at, and the newest this build knows. */
int db_schema_version(void);
int db_schema_latest(void);

/* Copies the live database into a new file at path with SQLite's online
 * backup, while other processes keep writing. */
enum err db_backup(const char *path);

/* --- users (users.c) --- */

struct user_new {
	int64_t tenant_id;          /* 0: open registration */
	const char *login;          /* may be NULL when phone is set */
	const char *phone;          /* E.164 or NULL */
	const char *email;          /* or NULL */
	const char *nick;
	const char *password_hash;  /* argon2id string, or NULL (site users) */
};

/* Creates a user; sets *id. ERR_LOGIN_TAKEN or ERR_PHONE_TAKEN when the
 * login or the phone belongs to another user of the same tenant. */
enum err db_user_create(const struct user_new *u, int64_t now_ms, int64_t *id);

/* The User object of id as viewer may see it (phone and e-mail only for
 * the user and their contacts), or NULL when there is none in viewer's
 * tenant (*e says ERR_USER_NOT_FOUND or a storage error). */
json_t *db_user_get(int64_t viewer, int64_t id, int64_t now_ms, enum err *e);

/* Finds a user of tenant by login or by E.164 phone (the other NULL); sets
 * *id and copies the password hash (NULL-terminated, "" when none) into
 * hash of size hashlen. ERR_USER_NOT_FOUND when there is none. */
enum err db_user_find(int64_t tenant, const char *login, const char *phone,
    int64_t *id, char *hash, size_t hashlen);

/* Applies the fields of the validated object set (keys are column names of
 * users, values strings or null) to user id. ERR_PHONE_TAKEN when a new
 * phone belongs to another user of the tenant. */
enum err db_user_update(int64_t id, const json_t *set);

/* The tenant of user id (0 for open registration or no such user). */
int64_t db_user_tenant(int64_t id);

/* Replaces the password hash of id and ends all of its sessions but keep
 * (0: all). */
enum err db_user_set_password(int64_t id, const char *hash, int64_t keep);

/* --- sessions (sessions.c) --- */

/* Stores a session for user with the hash of its token. */
enum err db_session_create(int64_t user, const unsigned char *token_hash,
    int64_t now_ms, int64_t expires_ms, int64_t *session_id);

/* Finds the live session of token_hash at now; sets *user, *session,
 * *tenant and *expires_ms. ERR_INVALID_TOKEN when there is none. */
enum err db_session_find(const unsigned char *token_hash, int64_t now_ms,
    int64_t *user, int64_t *session, int64_t *tenant, int64_t *expires_ms);

/* Moves a session's expiry to expires_ms. */
enum err db_session_extend(int64_t session, int64_t expires_ms);

/* Ends a session. */
enum err db_session_delete(int64_t session);

/* --- rate limits (ratelimit.c) --- */

/* Counts one hit of key in a fixed window of window_s seconds. Sets
 * *retry_after_s to 0 when the count (this hit included) is within max,
 * else to the seconds until the window ends. */
enum err db_rate_hit(const char *key, int max, int window_s, int64_t now_ms,
    int *retry_after_s);

/* Like db_rate_hit() without counting: is key already over max? */
enum err db_rate_check(const char *key, int max, int window_s,
    int64_t now_ms, int *retry_after_s);

/* Forgets key (a successful login clears its failures). */
enum err db_rate_clear(const char *key);

#endif
