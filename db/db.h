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

/* A quota: every connection opened after this call refuses to grow the
 * database past mib MiB (SQLite's max_page_count; the -wal file is not
 * counted); such writes fail with ERR_STORAGE_FULL while reads go on.
 * 0: no limit (the default). */
void db_set_max_size(long mib);

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

/* The directory, as viewer sees it: users of viewer's tenant who are
 * online now (online), or with the E.164 phone, or the login, or whose nick
 * or login starts with prefix (each filter NULL/false when unused; they
 * combine). At most limit, after the id after (for paging), by id. */
json_t *db_user_search(int64_t viewer, bool online, const char *phone,
    const char *login, const char *prefix, int64_t after, int limit,
    int64_t now_ms, enum err *e);

/* Finds a user of tenant by login or by E.164 phone (the other NULL); sets
 * *id and copies the password hash (NULL-terminated, "" when none) into
 * hash of size hashlen. ERR_USER_NOT_FOUND when there is none. */
enum err db_user_find(int64_t tenant, const char *login, const char *phone,
    int64_t *id, char *hash, size_t hashlen);

/* Applies the fields of the validated object set (keys are column names of
 * users, values strings or null) to user id. ERR_PHONE_TAKEN when a new
 * phone belongs to another user of the tenant. Emits user.updated. */
enum err db_user_update(int64_t id, const json_t *set, int64_t now_ms);

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

/* --- chats (chats.c) --- */

/* The direct chat of me and other, made when there is none (*created);
 * a chat me had left reappears in its list. ERR_USER_NOT_FOUND when other
 * is not a user of me's tenant. */
enum err db_chat_direct(int64_t me, int64_t other, int64_t now_ms,
    int64_t *chat, bool *created);

/* Makes a group (members: user ids besides me) or a channel (n 0) titled
 * title. ERR_USER_NOT_FOUND (and *bad_user) for a member who is not a user
 * of me's tenant. */
enum err db_chat_create(int64_t me, const char *type, const char *title,
    const int64_t *members, size_t n, int64_t now_ms, int64_t *chat,
    int64_t *bad_user);

/* The Chat object as viewer sees it: ERR_CHAT_NOT_FOUND unless viewer is
 * a member, or the chat is a channel of viewer's tenant. */
json_t *db_chat_get(int64_t viewer, int64_t chat, enum err *e);

/* viewer's chats, latest activity first, at most limit. */
json_t *db_chat_list(int64_t viewer, int limit, enum err *e);

/* actor adds user to chat (user == actor: joins a channel). *added is
 * false when user was a member already. */
enum err db_chat_join(int64_t actor, int64_t chat, int64_t user,
    int64_t now_ms, bool *added);

/* actor removes user from chat (user == actor: leaves). Leaving a direct
 * chat hides it until a new message arrives. */
enum err db_chat_leave(int64_t actor, int64_t chat, int64_t user,
    int64_t now_ms);

/* user has read chat up to message: the read marker moves forward only,
 * and the members hear of it (message.read). */
enum err db_chat_read(int64_t user, int64_t chat, int64_t message,
    int64_t now_ms);

/* user is typing in chat: the other members hear of it. */
enum err db_chat_typing(int64_t user, int64_t chat, int64_t now_ms);

/* --- messages (messages.c) --- */

struct message_new {
	int64_t chat;
	int64_t sender;
	const char *text;           /* or NULL */
	const char *encrypted;      /* opaque, or NULL */
	const char *client_msg_id;  /* idempotency key, or NULL */
	const char *mime;           /* attachment type, or NULL for none */
	const char *name;           /* attachment file name, or NULL */
	const void *data;           /* attachment bytes */
	size_t size;
};

/* Sends m: the Message, *created false when the sender had sent one with
 * the same client_msg_id (that one is returned and nothing is sent). */
json_t *db_message_send(const struct message_new *m, int64_t now_ms,
    bool *created, enum err *e);

/* A page of chat's messages, ascending: the newest limit (before and after
 * 0), those before before, or those after after. *has_more: more lie
 * beyond the page in the direction asked. */
json_t *db_message_history(int64_t viewer, int64_t chat, int64_t before,
    int64_t after, int limit, bool *has_more, enum err *e);

/* The sender edits the text of message id: the new Message. */
json_t *db_message_edit(int64_t user, int64_t id, const char *text,
    int64_t now_ms, enum err *e);

/* The sender deletes message id. */
enum err db_message_delete(int64_t user, int64_t id, int64_t now_ms);

/* Messages of user's chats (or of chat alone, when not 0) matching the
 * FTS5 query match, best first. */
json_t *db_message_search(int64_t user, const char *match, int64_t chat,
    int limit, enum err *e);

/* The attachment id, for a member of its chat: its bytes (malloc'd, the
 * caller frees), type and name. ERR_NOT_FOUND otherwise. */
enum err db_attachment_get(int64_t user, int64_t id, char **data,
    size_t *len, char *mime, size_t mimelen, char *name, size_t namelen);

/* --- events (events.c) --- */


/* The largest event id ever issued, and the largest removed by retention;
 * *last_issued is -1 when the database could not be read. */
void db_events_bounds(int64_t *last_issued, int64_t *pruned_upto);

/* user's events after the cursor, at most limit, as API event objects;
 * *last_id is the id of the last event read (after when none). */
json_t *db_events_read(int64_t user, int64_t after, int limit,
    int64_t *last_id, enum err *e);

/* user's devices hold every event up to upto: the senders of the messages
 * among them get message.delivered, once per recipient. */
enum err db_events_ack(int64_t user, int64_t upto, int64_t now_ms);

/* user polls: online until until_ms; presence to its watchers when it
 * was offline. The stored time is not rewritten while it is within
 * slack_ms of until_ms, so that frequent polls do not each write; slack
 * must be below the grace a user has after its poll. */
enum err db_presence_touch(int64_t user, int64_t until_ms, int64_t slack_ms,
    int64_t now_ms);

/* Users whose online time ran out go offline, with presence events. */
enum err db_presence_sweep(int64_t now_ms);

/* Removes events older than events_before_ms (and raises the cursor floor),
 * typing notices older than typing_before_ms, expired sessions and old
 * rate-limit windows. */
enum err db_prune(int64_t events_before_ms, int64_t typing_before_ms,
    int64_t now_ms);

#endif
