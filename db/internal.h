/*
 * internal.h: what the files of db/ share; nothing outside db/ includes it.
 */
#ifndef PARLEY_DB_INTERNAL_H
#define PARLEY_DB_INTERNAL_H

#include <sqlite3.h>

#include "db.h"

/* The calling thread's connection, opened on first use; NULL (and logged)
 * when it cannot be opened. */
sqlite3 *conn(void);

/* A prepared statement for sql, cached per connection and reset; sql must
 * be a string literal (the cache is keyed by its address). Binds the
 * arguments given by types, one letter each:
 *   'i' int64_t   'I' int64_t, bound as NULL when 0
 *   't' const char * (NULL binds NULL)   'b' const void *, int (blob)
 * Returns NULL (and logs) on failure. */
sqlite3_stmt *stmt(const char *sql, const char *types, ...);

/* Steps st to completion of a statement that returns no rows and resets it. */
enum err exec_stmt(sqlite3_stmt *st);

/* Maps a SQLite result code to enum err, logging unexpected ones. */
enum err map_rc(int rc, const char *what);

/* BEGIN IMMEDIATE, COMMIT, ROLLBACK on the thread's connection. */
enum err tx_begin(void);
enum err tx_commit(void);
void tx_rollback(void);
/* Rolls back and returns e, or the error of a failed exists() or
 * query_int64() of the transaction (what really went wrong). */
enum err tx_fail(enum err e);

/* The current row of st as a JSON object: column names are keys;
 * INTEGER, REAL, TEXT and NULL map to their JSON kinds (BLOBs are left
 * out). */
json_t *row_json(sqlite3_stmt *st);

/* --- events (events.c) --- */

/* Queues one event for user inside the caller's transaction; the user's
 * bell rings when the transaction commits. data is JSON text or NULL
 * (message.new points at message_id instead). */
enum err emit(int64_t user, const char *type, int64_t message_id,
    const char *data, int64_t now_ms);

/* emit() to every member of chat but except (0: none). */
enum err emit_to_members(int64_t chat, const char *type, int64_t message_id,
    const char *data, int64_t except, int64_t now_ms);

/* emit() to those who watch user: who has user as a contact, and the
 * members of the direct chats and groups user is in (not channels: a
 * channel's crowd does not follow each member). With self, to user too. */
enum err emit_to_watchers(int64_t user, const char *type, const char *data,
    bool self, int64_t now_ms);

/* user.updated to user's watchers and user, each with the User as it sees
 * it. */
enum err emit_user_updated(int64_t user, int64_t now_ms);

/* Rings the bells of the users whose events the committed transaction
 * queued (tx_commit() calls it), or forgets them (tx_rollback()). */
void ring_pending(void);
void forget_pending(void);
/* Frees the thread's list (its connection is closing). */
void pending_free(void);

/* --- messages and chats --- */

/* The Message object of id, or NULL when there is none. */
json_t *message_json(int64_t id);

/* The Chat object of chat as viewer sees it, or NULL. */
json_t *chat_json(int64_t viewer, int64_t chat);

/* chat.created with the Chat as user sees it, to user. */
enum err announce_chat_to(int64_t chat, int64_t user, int64_t now_ms);

/* What a caller may do with a chat: see it (a member, or any user of the
 * tenant for a channel), act as a member, or act as its creator. */
enum chat_need { CHAT_SEE, CHAT_MEMBER, CHAT_CREATOR };

struct chat_role {
	char type[8];              /* "direct", "group", "channel" */
	bool member;
	bool creator;
};

/* The one check of who may see what in a chat: ERR_OK (and *r filled),
 * ERR_CHAT_NOT_FOUND when user may not even see it (so its existence does
 * not leak), ERR_FORBIDDEN when it may see but not do what is needed. */
enum err chat_check(int64_t user, int64_t chat, enum chat_need need,
    struct chat_role *r);

/* True if the query st (already bound) returns a row; resets st. A failed
 * step is false here, and makes the transaction around it fail at
 * tx_commit() (so does a failed query_int64()). */
bool exists(sqlite3_stmt *st);

/* The first column of the first row of st as an integer (dflt when no
 * row); resets st. */
int64_t query_int64(sqlite3_stmt *st, int64_t dflt);

#endif
