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

/* A write's transaction on the thread's connection: BEGIN IMMEDIATE,
 * COMMIT (then the bells ring), ROLLBACK; inside a batch of the group
 * committer, a SAVEPOINT of the batch instead (see conn.c). */
enum err tx_begin(void);
enum err tx_commit(void);
void tx_rollback(void);
/* Rolls back and returns e, or the error of a failed exists() or
 * query_int64() of the transaction (what really went wrong). */
enum err tx_fail(enum err e);

/* The group committer's own transaction around a batch of jobs (commit.c):
 * between them, tx_begin() and friends mark jobs, each in a SAVEPOINT
 * with savepoints, else only noting whether a failing job had written
 * (batch_tainted(): then batch_abandon() rolls the batch back, to be run
 * again with savepoints). batch_commit() commits and rings the bells of
 * every job; on failure it rolls back. A batch that is not durable
 * commits without syncing (when the database is set to synchronous=FULL:
 * with NORMAL, no commit syncs anyway). */
enum err batch_begin(bool durable, bool savepoints);
bool batch_tainted(void);
void batch_abandon(void);
enum err batch_commit(void);

/* The name of the VFS that writes a commit's WAL frames in one system
 * call (walvfs.c), registered on first use; NULL if it could not be. */
const char *walvfs_name(void);

/* True when the database is private to each connection (":memory:", ""):
 * then no other thread may write it for the caller. */
bool db_private(void);

/* Runs fn(arg) inside the next batch of the process's group committer and
 * returns once that batch committed: ERR_OK, or the batch's error (then
 * nothing fn did was kept). fn does its writes with tx_begin()/tx_commit()
 * as it would alone, and returns its own result through arg. fn may run
 * twice, the second time after the first was rolled back: it sets its
 * results anew each time. */
enum err group_commit(void (*fn)(void *arg), void *arg);

/* group_commit() in three steps, for a caller that does not wait in its
 * thread (parleyd sets the request aside meanwhile, httpd/main.c):
 *   group_commit_job()    a job for fn(arg), not yet queued (NULL: out of
 *                         memory);
 *   group_commit_queue()  queues it; notify(notify_arg) is called, on
 *                         another thread (the committer's, or a woken
 *                         writer's) or at once in this one, when its batch
 *                         has ended;
 *   group_commit_end()    after notify, or instead of queueing (it then
 *                         runs the job and waits, as group_commit()
 *                         does): the batch's outcome; frees the job. It
 *                         must be called once per job: it also wakes the
 *                         writers of the batch that this job's owner is
 *                         to wake (job_wait()). */
struct commit_job;
struct commit_job *group_commit_job(void (*fn)(void *arg), void *arg);
void group_commit_queue(struct commit_job *j, void (*notify)(void *),
    void *notify_arg);
enum err group_commit_end(struct commit_job *j);

/* Queues fn on a copy of the len bytes at arg for the committer and
 * returns at once: for writes whose loss in a crash the next request
 * repairs (a delivery acknowledgement is written again by the next poll
 * from the same cursor; presence by the next poll). fn's results are
 * dropped; a batch of such jobs alone is committed without a sync of its
 * own (the next durable commit syncs the WAL up to it). */
void group_commit_later(void (*fn)(void *arg), void *arg, size_t len);

/* The current row of st as a JSON object: column names are keys;
 * INTEGER, REAL, TEXT and NULL map to their JSON kinds (BLOBs are left
 * out). */
json_t *row_json(sqlite3_stmt *st);

/* --- users (users.c) --- */

/* The columns of a User as viewer (bound as parameter 1) and now (2) see
 * them, from users u joined to the viewer's contact row c: phone and
 * e-mail to the user itself and to those it added as contacts. */
#define USER_COLUMNS \
	"u.id, u.login, u.nick, u.first_name, u.last_name, u.middle_name," \
	" CASE WHEN u.id=?1 OR c.owner_id IS NOT NULL THEN u.phone END AS phone," \
	" CASE WHEN u.id=?1 OR c.owner_id IS NOT NULL THEN u.email END AS email," \
	" u.status, u.language, u.avatar_etag AS avatar, u.avatar_url," \
	" u.public_key," \
	" iso(u.registered_at) AS registered_at," \
	" iso(u.last_online) AS last_online, u.online_until > ?2 AS online"
#define USER_FROM \
	" FROM users u LEFT JOIN contacts c ON c.owner_id=u.id AND c.contact_id=?1"

/* Turns the raw columns of a USER_COLUMNS row (row_json()) into the API's
 * User, in place; returns u (NULL stays NULL). */
json_t *user_finish(json_t *u);

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
/* In a read transaction (db_read_begin()), ends it and begins another:
 * the next read sees every commit made before this call. */
void db_read_renew(void);

/* The statement just run changed what processes cache (it ended
 * sessions, or pruned events): every process drops its caches once it
 * commits (bell_cache_epoch()). */
void caches_stale(void);
/* Frees the thread's list (its connection is closing). */
void pending_free(void);
/* How many are listed, and forgetting those listed after a mark (a job
 * of a batch rolled back). */
size_t pending_count(void);
void pending_truncate(size_t mark);

/* --- messages and chats --- */

/* The columns of a Message, from messages m joined to attachments a. */
#define MESSAGE_COLUMNS \
	"m.id, m.chat_id, m.sender_id, m.text, m.encrypted, m.client_msg_id," \
	" iso(m.sent_at) AS sent_at, iso(m.edited_at) AS edited_at," \
	" a.id AS attachment_id, a.mime, a.name, a.size"
#define MESSAGE_FROM \
	" FROM messages m LEFT JOIN attachments a ON a.id=m.attachment_id"

/* The Message of the current row of a MESSAGE_COLUMNS query: the
 * attachment's columns folded into its object. */
json_t *message_from_row(sqlite3_stmt *st);

/* Each row of the MESSAGE_COLUMNS query st in a new array; resets st. */
json_t *messages_from(sqlite3_stmt *st, enum err *e);

/* The search index (search.c), inside the caller's transaction: take
 * message id out of it (before its text changes or it goes) and put it
 * back (after an edit) — both only if the indexer had reached it. */
enum err fts_forget(int64_t id);
enum err fts_reindex(int64_t id);

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
