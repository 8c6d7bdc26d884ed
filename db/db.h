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

/* One read transaction around a request's reads, so that they share one
 * snapshot and SQLite takes its WAL read lock once, not per statement
 * (beginning and ending a read was a fifth of parleyd's CPU on GET /me).
 * Any write on the thread (tx_begin(), group_commit(), a write statement)
 * ends it first, so a request always reads its own writes. The long-poll
 * ends it before reading its bell and begins another for its query
 * (api/h_events.c): no commit may fall between the two unseen. */
void db_read_begin(void);
void db_read_end(void);

/* ERR_OK if the database answers a query. */
enum err db_ping(void);

/* The schema version the database is at, and the newest this build knows. */
int db_schema_version(void);
int db_schema_latest(void);

/* Copies the live database into a new file at path with SQLite's online
 * backup, while other processes keep writing. */
enum err db_backup(const char *path);

/* Rows of the main tables, and the database's size in bytes (its pages;
 * the WAL not counted), from one snapshot (stats.c). */
struct db_stats { int64_t users, chats, messages, events, bytes; };
enum err db_stats(struct db_stats *out);

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

/* --- avatars (avatars.c) --- */

struct avatar {
	char mime[16];              /* "image/png", "image/jpeg", ... */
	char etag[72];              /* its version; also in the User's URL */
	int64_t width, height;
	char *data;                 /* malloc'd bytes when asked for (the
	                             * caller frees), else NULL */
	size_t len;
};

/* Stores the avatar of user (replacing any): mime and dimensions as
 * sniffed, the bytes, their etag. The User's avatar URL changes with it;
 * user.updated to its watchers and to it. */
enum err db_avatar_set(int64_t user, const char *mime, int64_t width,
    int64_t height, const void *data, size_t len, const char *etag,
    int64_t now_ms);

/* Removes the avatar of user; *removed is false (and nothing is emitted)
 * when it had none. */
enum err db_avatar_delete(int64_t user, int64_t now_ms, bool *removed);

/* The avatar of user as viewer may fetch it: ERR_USER_NOT_FOUND when
 * user is no user of viewer's tenant, ERR_NOT_FOUND when it has none.
 * With with_data, a->data holds the bytes (the caller frees them). */
enum err db_avatar_get(int64_t viewer, int64_t user, bool with_data,
    struct avatar *a);

/* --- contacts (contacts.c) --- */

/* owner's contacts, {"user":User (as owner sees it),"name"}, by user id
 * after the id after, at most limit. */
json_t *db_contact_list(int64_t owner, int64_t after, int limit,
    int64_t now_ms, enum err *e);

/* The Contact of owner for contact, or NULL: ERR_USER_NOT_FOUND when
 * contact is no user of owner's tenant, ERR_NOT_FOUND when not a contact. */
json_t *db_contact_get(int64_t owner, int64_t contact, int64_t now_ms,
    enum err *e);

/* owner adds contact under name (NULL: none), or renames it (*created
 * false). ERR_USER_NOT_FOUND when contact is no user of owner's tenant.
 * A new contact sees owner's phone and e-mail from now on: it gets
 * user.updated of owner. */
enum err db_contact_put(int64_t owner, int64_t contact, const char *name,
    int64_t now_ms, bool *created);

/* owner removes contact (who gets user.updated: the phone and e-mail are
 * hidden again). ERR_USER_NOT_FOUND when contact is no user of owner's
 * tenant, ERR_NOT_FOUND when it is not a contact. */
enum err db_contact_delete(int64_t owner, int64_t contact, int64_t now_ms);

/* One entry of an address book: each field NULL when absent; phone in
 * E.164. */
struct contact_entry {
	const char *name;
	const char *phone;
	const char *email;
};

/* Adds to owner's contacts every other user of owner's tenant whose
 * phone or e-mail (case-insensitively) an entry holds, named by the entry
 * (a user matched twice keeps the first entry's name). Returns the
 * matched Contacts, by first match; *unmatched counts the entries that
 * matched no one. One transaction. */
json_t *db_contact_import(int64_t owner, const struct contact_entry *entries,
    size_t n, int64_t now_ms, size_t *unmatched, enum err *e);

/* --- embedding sites (tenants.c) --- */

/* A tenant argument meaning "any site that is not revoked". */
#define DB_ANY_TENANT (-1)

/* Adds the site name with the hash of its chat key; sets *id.
 * ERR_ALREADY_EXISTS when the name is taken. */
enum err db_tenant_create(const char *name, const unsigned char *key_hash,
    int64_t now_ms, int64_t *id);

/* Every site: [{"id","name","created_at","revoked_at","origins":[...]}],
 * by id. Never a key. */
json_t *db_tenant_list(enum err *e);

/* Revokes the site name (its key stops working) and ends the sessions of
 * its users; *ended counts them. ERR_NOT_FOUND when there is no such
 * site. Revoking twice changes nothing more. */
enum err db_tenant_revoke(const char *name, int64_t now_ms, int *ended);

/* Replaces the allowed origins of the site name with the n given
 * (validated by the caller). ERR_NOT_FOUND when there is no such site. */
enum err db_tenant_set_origins(const char *name, const char *const *origins,
    size_t n);

/* The site whose chat key hashes to key_hash: ERR_INVALID_CHAT_KEY when
 * none, or when it is revoked. */
enum err db_tenant_by_key(const unsigned char *key_hash, int64_t *tenant);

/* Whether origin may call the API for tenant's users (DB_ANY_TENANT: for
 * any site that is not revoked). Tenant 0 has no origins of its own. */
enum err db_origin_allowed(const char *origin, int64_t tenant, bool *allowed);

/* A site's user as the site describes it; each field NULL when not given
 * (then it is cleared: the site's word is the whole profile). */
struct site_user {
	const char *external_id;    /* the site's id of it, as text */
	const char *name;           /* becomes nick and first_name */
	const char *last_name;
	const char *middle_name;
	const char *email;
	const char *phone;          /* E.164 */
	const char *avatar_url;
};

/* Creates the user external_id of tenant (*created) or brings its profile
 * up to date (user.updated to its watchers when anything changed); sets
 * *id. ERR_PHONE_TAKEN when the phone belongs to another user of the
 * site. */
enum err db_site_user_upsert(int64_t tenant, const struct site_user *u,
    int64_t now_ms, int64_t *id, bool *created);

/* --- sessions (sessions.c) --- */

/* Stores a session for user with the hash of its token. */
enum err db_session_create(int64_t user, const unsigned char *token_hash,
    int64_t now_ms, int64_t expires_ms, int64_t *session_id);

/* Finds the live session of token_hash at now; sets *user, *session,
 * *tenant and *expires_ms. ERR_INVALID_TOKEN when there is none. */
enum err db_session_find(const unsigned char *token_hash, int64_t now_ms,
    int64_t *user, int64_t *session, int64_t *tenant, int64_t *expires_ms);

/* Moves the expiry of session (of token_hash) to expires_ms. */
enum err db_session_extend(const unsigned char *token_hash, int64_t session,
    int64_t expires_ms);

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

/* Sending m, in three steps, so that a caller need not wait in its thread
 * while the group commit runs (parleyd sets the request aside):
 *   db_message_send_begin()  the send of m, not yet queued (m must stay
 *                            as it is until the end); NULL: out of memory;
 *   db_message_send_queue()  queues it; done(arg) is called once, on
 *                            another thread or at once in this one, when
 *                            it may be ended;
 *   db_message_send_end()    after done, or without queueing (it then
 *                            sends and waits here): the Message, *created
 *                            false when the sender had sent one with the
 *                            same client_msg_id (that one is returned and
 *                            nothing is sent); frees s. Once for each s. */
struct db_send;
struct db_send *db_message_send_begin(const struct message_new *m,
    int64_t now_ms);
void db_message_send_queue(struct db_send *s, void (*done)(void *),
    void *arg);
json_t *db_message_send_end(struct db_send *s, bool *created, enum err *e);

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
 * FTS5 query match, best first (search.c; it indexes what is new first). */
json_t *db_message_search(int64_t user, const char *match, int64_t chat,
    int limit, enum err *e);

/* Adds the messages sent since the last run to the search index. */
enum err db_search_index(void);

/* The attachment id, for a member of its chat: its bytes (malloc'd, the
 * caller frees), type and name. ERR_NOT_FOUND otherwise. */
enum err db_attachment_get(int64_t user, int64_t id, char **data,
    size_t *len, char *mime, size_t mimelen, char *name, size_t namelen);

/* --- events (events.c) --- */


/* The largest event id ever issued, and the largest removed by retention;
 * *last_issued is -1 when the database could not be read. */
void db_events_bounds(int64_t *last_issued, int64_t *pruned_upto);

/* True when cursor after lies within the bounds this process read last
 * and nothing since can have moved them past it: then they need not be
 * read again to judge it. */
bool db_events_cursor_known(int64_t after);

/* user's events after the cursor, at most limit, as API event objects;
 * *last_id is the id of the last event read (after when none). */
json_t *db_events_read(int64_t user, int64_t after, int limit,
    int64_t *last_id, enum err *e);

/* user's devices hold every event up to upto: the senders of the messages
 * among them get message.delivered, once per recipient. Queued for the
 * group committer, not waited for: a crash before it commits loses
 * nothing that the client's next poll from the same cursor does not
 * write again. */
void db_events_ack(int64_t user, int64_t upto, int64_t now_ms);

/* user polls: online until until_ms; presence to its watchers when it
 * was offline. The stored time is not rewritten while it is within
 * slack_ms of until_ms, so that frequent polls do not each write; slack
 * must be below the grace a user has after its poll. Queued, not waited
 * for, like db_events_ack(). */
void db_presence_touch(int64_t user, int64_t until_ms, int64_t slack_ms,
    int64_t now_ms);

/* Users whose online time ran out go offline, with presence events. */
enum err db_presence_sweep(int64_t now_ms);

/* Removes events older than events_before_ms (and raises the cursor floor),
 * typing notices older than typing_before_ms, expired sessions and old
 * rate-limit windows. */
enum err db_prune(int64_t events_before_ms, int64_t typing_before_ms,
    int64_t now_ms);

#endif
