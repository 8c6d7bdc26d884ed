/*
 * events.c: the per-user event queue: emitting inside a writer's
 * transaction, reading after a cursor, delivery receipts from the cursor,
 * presence, and pruning.
 *
 * An event is a row (id, user_id, type, message_id, data, at). Ids come
 * from one AUTOINCREMENT sequence, so they grow in commit order within
 * each user's queue and are never reused. Every writer rings the bells of
 * the users it queued events for, after its commit (ring_pending()).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bell.h"
#include "internal.h"
#include "../api/text.h"

/* Users whose events the current transaction queued, rung on commit; and
 * whether it changed what processes cache (caches_stale()). */
static __thread int64_t *pending;
static __thread size_t npending, cappending;
static __thread bool pending_stale;

void
ring_pending(void)
{
	if (npending > 0)
		bell_ring(pending, npending);
	npending = 0;
	if (pending_stale)
		bell_caches_stale();
	pending_stale = false;
}

void
forget_pending(void)
{
	npending = 0;
	pending_stale = false;
}

void
caches_stale(void)
{
	if (sqlite3_get_autocommit(conn()))
		bell_caches_stale(); /* the statement has committed */
	else
		pending_stale = true;
}

size_t
pending_count(void)
{
	return npending;
}

void
pending_truncate(size_t mark)
{
	if (mark < npending)
		npending = mark;
}

void
pending_free(void)
{
	free(pending);
	pending = NULL;
	npending = cappending = 0;
}

/* Remembers user for ring_pending(); the last few are checked for
 * repeats, enough for the usual runs of one user. */
static void
ring_later(int64_t user)
{
	size_t i;

	for (i = npending; i > 0 && i + 8 > npending; i--)
		if (pending[i - 1] == user)
			return;
	if (npending == cappending) {
		size_t cap = cappending ? cappending * 2 : 64;
		int64_t *p = realloc(pending, cap * sizeof(*p));
		if (p == NULL) {
			/* Out of memory: wake everyone rather than no one. */
			bell_ring_all();
			return;
		}
		pending = p;
		cappending = cap;
	}
	pending[npending++] = user;
}

enum err
emit(int64_t user, const char *type, int64_t message_id, const char *data,
    int64_t now_ms)
{
	enum err e = exec_stmt(stmt("INSERT INTO events (user_id, type,"
	    " message_id, data, at) VALUES (?,?,?,?,?)", "itIti", user, type,
	    message_id, data, now_ms));

	if (e == ERR_OK)
		ring_later(user);
	return e;
}

/* The user ids the query st returns in its first column, as a new array
 * of *n (NULL when none); resets st. */
static int64_t *
collect_ids(sqlite3_stmt *st, size_t *n, enum err *e)
{
	int64_t *ids = NULL;
	size_t cap = 0;
	int rc;

	*n = 0;
	*e = ERR_OK;
	if (st == NULL) {
		*e = ERR_INTERNAL;
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			int64_t *p = realloc(ids, (cap = cap ? 2 * cap : 16) *
			    sizeof(*p));
			if (p == NULL) {
				*e = ERR_INTERNAL;
				break;
			}
			ids = p;
		}
		ids[(*n)++] = sqlite3_column_int64(st, 0);
	}
	if (*e == ERR_OK && rc != SQLITE_DONE)
		*e = map_rc(rc, "recipients");
	sqlite3_reset(st);
	return ids;
}

/* emit() to each user id the query st returns in its first column. The
 * ids are collected first: no insert runs while st reads. */
static enum err
emit_to_rows(sqlite3_stmt *st, const char *type, int64_t message_id,
    const char *data, int64_t now_ms)
{
	size_t n, i;
	enum err e;
	int64_t *users = collect_ids(st, &n, &e);

	for (i = 0; i < n && e == ERR_OK; i++)
		e = emit(users[i], type, message_id, data, now_ms);
	free(users);
	return e;
}

/* One statement for all the members, not one insert each: a send's cost
 * in the group committer is mostly per statement, and AUTOINCREMENT
 * writes its sequence once per statement, not per row. */
enum err
emit_to_members(int64_t chat, const char *type, int64_t message_id,
    const char *data, int64_t except, int64_t now_ms)
{
	sqlite3_stmt *st = stmt("INSERT INTO events (user_id, type, message_id,"
	    " data, at) SELECT user_id, ?, ?, ?, ? FROM members WHERE"
	    " chat_id=? AND user_id<>? RETURNING user_id", "tItiii", type,
	    message_id, data, now_ms, chat, except);
	int rc;

	if (st == NULL)
		return ERR_INTERNAL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		ring_later(sqlite3_column_int64(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? ERR_OK : map_rc(rc, "events");
}

/* Those who watch user: who has user as a contact, and the members of the
 * direct chats and groups user is in (not channels: a channel's crowd does
 * not follow each member); with self, user too. */
static sqlite3_stmt *
watchers(int64_t user, bool self)
{
	return stmt("SELECT owner_id FROM contacts WHERE contact_id=?1"
	    " UNION SELECT m2.user_id FROM members m1"
	    " JOIN chats c ON c.id=m1.chat_id AND c.type<>'channel'"
	    " JOIN members m2 ON m2.chat_id=m1.chat_id AND m2.user_id<>?1"
	    " WHERE m1.user_id=?1"
	    " UNION SELECT ?1 WHERE ?2", "ii", user, (int64_t)self);
}

enum err
emit_to_watchers(int64_t user, const char *type, const char *data, bool self,
    int64_t now_ms)
{
	return emit_to_rows(watchers(user, self), type, 0, data, now_ms);
}

enum err
emit_user_updated(int64_t user, int64_t now_ms)
{
	size_t n, i;
	enum err e;
	int64_t *to = collect_ids(watchers(user, true), &n, &e);

	/* Each watcher gets the User as it may see it (phone and e-mail
	 * only for contacts). */
	for (i = 0; i < n && e == ERR_OK; i++) {
		json_t *u = db_user_get(to[i], user, now_ms, &e);
		char *data = u != NULL ? json_dumps(u, JSON_COMPACT) : NULL;
		if (u != NULL)
			e = data != NULL ? emit(to[i], "user.updated", 0, data,
			    now_ms) : ERR_INTERNAL;
		free(data);
		json_decref(u);
	}
	free(to);
	return e;
}

/* The integer of the one-row query st: dflt when it has no row, -1 when
 * it fails. */
static int64_t
bound(sqlite3_stmt *st, int64_t dflt)
{
	int64_t v = dflt;
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		v = -1;
	sqlite3_reset(st);
	return v;
}

/*
 * The bounds this process read last, and the cache epoch they were read
 * in: the last id issued only grows (and every id an events read returns
 * was issued), and the prune floor moves only with the epoch (db_prune()
 * moves it). So a cursor found between them is a good cursor while the
 * epoch holds: a woken poll (its cursor was judged when it came in) and
 * the next poll from the cursor it got read no bounds. That read was the
 * first of the poll's snapshot, the one that found SQLite's page cache
 * emptied by the commit that woke it: 13% of parley.fcgi's time in a
 * fan-out.
 */
static struct {
	pthread_mutex_t lock;
	bool valid;
	uint32_t epoch;
	int64_t last_issued, pruned_upto;
} bounds_seen = { .lock = PTHREAD_MUTEX_INITIALIZER };

bool
db_events_cursor_known(int64_t after)
{
	uint32_t epoch = bell_cache_epoch();
	bool known;

	pthread_mutex_lock(&bounds_seen.lock);
	known = bounds_seen.valid && bounds_seen.epoch == epoch &&
	    after <= bounds_seen.last_issued && after >= bounds_seen.pruned_upto;
	pthread_mutex_unlock(&bounds_seen.lock);
	return known;
}

void
db_events_bounds(int64_t *last_issued, int64_t *pruned_upto)
{
	/* The epoch, then a snapshot begun after it (as db/sessions.c). */
	uint32_t epoch = bell_cache_epoch();

	db_read_renew();
	*last_issued = bound(stmt("SELECT seq FROM sqlite_sequence"
	    " WHERE name='events'", ""), 0);
	*pruned_upto = bound(stmt("SELECT value FROM meta"
	    " WHERE key='events_pruned_upto'", ""), 0);
	if (*pruned_upto < 0 || *last_issued < 0) {
		*last_issued = -1;
		return;
	}
	pthread_mutex_lock(&bounds_seen.lock);
	bounds_seen.valid = true;
	bounds_seen.epoch = epoch;
	bounds_seen.last_issued = *last_issued;
	bounds_seen.pruned_upto = *pruned_upto;
	pthread_mutex_unlock(&bounds_seen.lock);
}

/*
 * Per-process hints about a user or a chat, by slot: what this process
 * learnt in an earlier request that lets a later one skip a read. A hint
 * is never needed for correctness: a process without it reads.
 */
#define HINT_SLOTS 4096

struct hints {
	struct { int64_t id, value; } slot[HINT_SLOTS];
	pthread_mutex_t lock;
};

/* The hint of id in h, or 0 when it has none. */
static int64_t
hint(struct hints *h, int64_t id)
{
	int64_t v = 0;
	uint32_t s = bell_slot(id) % HINT_SLOTS;

	pthread_mutex_lock(&h->lock);
	if (h->slot[s].id == id)
		v = h->slot[s].value;
	pthread_mutex_unlock(&h->lock);
	return v;
}

static void
hint_set(struct hints *h, int64_t id, int64_t value)
{
	uint32_t s = bell_slot(id) % HINT_SLOTS;

	pthread_mutex_lock(&h->lock);
	h->slot[s].id = id;
	h->slot[s].value = value;
	pthread_mutex_unlock(&h->lock);
}

/* The event id up to which user's events want no receipt, as far as this
 * process checked (db_events_ack()) or answered them (db_events_read()),
 * in one stretch from the stored acknowledgement. Events never change, so
 * the next check of that user starts there: a channel's member, whose
 * acknowledgement is not written, would otherwise have the whole stretch
 * checked again at every poll (15% of parley.fcgi's time in the fan-out
 * benchmark). (A restore of an older database issues old ids again: a
 * hint may then cost a receipt, never an event.) */
static struct hints receipts_checked = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Whether a chat is a channel (1) or not (2): a chat's type never
 * changes. */
static struct hints chat_types = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* True when a message.new of sender in chat, queued for user, wants a
 * delivery receipt (or when that cannot be read: then it is checked). */
static bool
wants_receipt(int64_t user, int64_t sender, int64_t chat)
{
	int64_t type;

	if (sender == user)
		return false;
	if ((type = hint(&chat_types, chat)) == 0) {
		type = query_int64(stmt("SELECT CASE type WHEN 'channel' THEN 1"
		    " ELSE 2 END FROM chats WHERE id=?", "i", chat), 0);
		if (type != 0)
			hint_set(&chat_types, chat, type);
	}
	return type != 1;
}

json_t *
db_events_read(int64_t user, int64_t after, int limit, int64_t *last_id,
    enum err *e)
{
	sqlite3_stmt *st;
	json_t *events = json_array();
	bool receipts = false; /* one of them wants a delivery receipt */
	int rc;

	*last_id = after;
	st = stmt("SELECT id, type, iso(at), message_id, data FROM events"
	    " WHERE user_id=? AND id>? ORDER BY id LIMIT ?", "iii", user, after,
	    (int64_t)limit);
	if (st == NULL || events == NULL) {
		json_decref(events);
		*e = ERR_INTERNAL;
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *data = (const char *)sqlite3_column_text(st, 4);
		json_t *d;

		*last_id = id;
		if (data != NULL)
			d = json_loads(data, 0, NULL);
		else
			d = message_json(sqlite3_column_int64(st, 3));
		if (d == NULL)
			continue; /* the message was deleted: message.deleted follows */
		if (data == NULL && !receipts && wants_receipt(user,
		    json_integer_value(json_object_get(d, "sender_id")),
		    json_integer_value(json_object_get(d, "chat_id"))))
			receipts = true;
		json_array_append_new(events, json_pack("{s:I, s:s, s:s, s:o}",
		    "id", (json_int_t)id,
		    "type", (const char *)sqlite3_column_text(st, 1),
		    "at", (const char *)sqlite3_column_text(st, 2), "data", d));
	}
	sqlite3_reset(st);
	/* message_json() above used other statements; st stays valid. */
	if (rc != SQLITE_DONE) {
		json_decref(events);
		*e = map_rc(rc, "events read");
		return NULL;
	}
	/* An id read was issued: the next poll, from this cursor, needs no
	 * read of the bounds either (db_events_cursor_known()). */
	pthread_mutex_lock(&bounds_seen.lock);
	if (*last_id > bounds_seen.last_issued)
		bounds_seen.last_issued = *last_id;
	pthread_mutex_unlock(&bounds_seen.lock);
	/* None of them wants a receipt, and they follow what was checked: the
	 * next poll, acknowledging them, checks nothing (db_events_ack()). */
	if (!receipts && *last_id > after &&
	    hint(&receipts_checked, user) >= after)
		hint_set(&receipts_checked, user, *last_id);
	*e = ERR_OK;
	return events;
}

/* db_events_ack()'s write, as one transaction: run by the group
 * committer. */
static enum err
ack_tx(int64_t user, int64_t upto, int64_t now_ms)
{
	sqlite3_stmt *st;
	int64_t acked;
	enum err e;
	int rc;

	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* After this point every failure goes to err, which rolls back.
	 * Re-read inside the transaction: another device may have acked. */
	acked = query_int64(stmt("SELECT acked_id FROM cursors WHERE user_id=?",
	    "i", user), 0);
	st = stmt("SELECT m.sender_id, m.chat_id, m.id FROM events e"
	    " JOIN messages m ON m.id=e.message_id"
	    " JOIN chats c ON c.id=m.chat_id AND c.type<>'channel'"
	    " WHERE e.user_id=?1 AND e.id>?2 AND e.id<=?3"
	    " AND e.type='message.new' AND m.sender_id<>?1", "iii", user, acked,
	    upto);
	if (st == NULL) {
		e = ERR_INTERNAL;
		goto err;
	}
	{
		/* Collect, then emit: no inserts into events while st reads
		 * them. */
		struct { int64_t sender, chat, msg; } *rows = NULL;
		size_t n = 0, cap = 0, i;
		char data[128];

		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (n == cap) {
				void *p = realloc(rows, (cap = cap ? 2 * cap : 16) *
				    sizeof(*rows));
				if (p == NULL)
					break;
				rows = p;
			}
			rows[n].sender = sqlite3_column_int64(st, 0);
			rows[n].chat = sqlite3_column_int64(st, 1);
			rows[n].msg = sqlite3_column_int64(st, 2);
			n++;
		}
		sqlite3_reset(st);
		e = rc == SQLITE_DONE ? ERR_OK : map_rc(rc, "ack");
		for (i = 0; i < n && e == ERR_OK; i++) {
			snprintf(data, sizeof(data), "{\"chat_id\":%lld,"
			    "\"message_id\":%lld,\"user_id\":%lld}",
			    (long long)rows[i].chat, (long long)rows[i].msg,
			    (long long)user);
			e = emit(rows[i].sender, "message.delivered", 0, data,
			    now_ms);
		}
		free(rows);
	}
	if (e == ERR_OK)
		e = exec_stmt(stmt("INSERT INTO cursors (user_id, acked_id)"
		    " VALUES (?,?) ON CONFLICT(user_id) DO UPDATE SET"
		    " acked_id=excluded.acked_id", "ii", user, upto));
	if (e != ERR_OK)
		goto err;
	return tx_commit();
err:
	return tx_fail(e);
}

/* Events a cursor may run ahead of the stored acknowledgement before the
 * acknowledgement is written anyway (it bounds the check above). */
#define ACK_STRETCH_MAX 10000

struct ack_job {
	int64_t user, upto, now_ms;
};

static void
ack_job(void *arg)
{
	struct ack_job *j = arg;

	(void)ack_tx(j->user, j->upto, j->now_ms); /* the next poll retries */
}

void
db_events_ack(int64_t user, int64_t upto, int64_t now_ms)
{
	struct ack_job j = { .user = user, .upto = upto, .now_ms = now_ms };
	int64_t acked, from;

	if (hint(&receipts_checked, user) >= upto)
		return; /* nothing up to upto wants a receipt */
	acked = query_int64(stmt("SELECT acked_id FROM cursors WHERE user_id=?",
	    "i", user), 0);
	if (upto <= acked)
		return;
	/* Most polls acknowledge no message that wants a receipt (a channel's
	 * messages get none: a broadcast's sender needs no word from each
	 * reader): answer them without a write, unless the unacknowledged
	 * stretch grows long enough to be worth storing. */
	if (upto - acked < ACK_STRETCH_MAX) {
		/* 1 if one wants a receipt, -1 if the check failed */
		int64_t wanted = 0;

		from = hint(&receipts_checked, user);
		if (from <= acked || from > upto)
			from = acked;
		if (from < upto)
			wanted = query_int64(stmt("SELECT EXISTS (SELECT 1"
			    " FROM events e JOIN messages m ON m.id=e.message_id"
			    " JOIN chats c ON c.id=m.chat_id AND c.type<>'channel'"
			    " WHERE e.user_id=?1 AND e.id>?2 AND e.id<=?3"
			    " AND e.type='message.new' AND m.sender_id<>?1)",
			    "iii", user, from, upto), -1);
		if (wanted == 0) {
			hint_set(&receipts_checked, user, upto);
			return;
		}
	}
	/* The poll does not wait for it: were it lost in a crash, the
	 * client's next poll acknowledges the same cursor again. */
	group_commit_later(ack_job, &j, sizeof(j));
}

/* The presence event of user as JSON text into buf. */
static void
presence_data(int64_t user, bool online, int64_t last_online, char *buf,
    size_t len)
{
	char when[32];

	time_format(last_online, when);
	snprintf(buf, len, "{\"user_id\":%lld,\"online\":%s,"
	    "\"last_online\":\"%s\"}", (long long)user, online ? "true" :
	    "false", when);
}

/* db_presence_touch()'s write, as one transaction. */
static enum err
presence_tx(int64_t user, int64_t until_ms, int64_t now_ms)
{
	char data[160];
	bool online;
	enum err e;

	if ((e = tx_begin()) != ERR_OK)
		return e;
	online = query_int64(stmt("SELECT presence_online FROM users"
	    " WHERE id=?", "i", user), 0) != 0;
	e = exec_stmt(stmt("UPDATE users SET online_until=max(online_until,?),"
	    " last_online=?, presence_online=1 WHERE id=?", "iii", until_ms,
	    now_ms, user));
	if (e == ERR_OK && !online) {
		presence_data(user, true, now_ms, data, sizeof(data));
		e = emit_to_watchers(user, "presence", data, false, now_ms);
	}
	if (e != ERR_OK)
		return tx_fail(e);
	return tx_commit();
}

struct presence_job {
	int64_t user, until_ms, now_ms;
};

static void
presence_job(void *arg)
{
	struct presence_job *j = arg;

	(void)presence_tx(j->user, j->until_ms, j->now_ms); /* likewise */
}

/* The online_until a read of this process last found for a user who was
 * online. */
static struct hints online_seen = { .lock = PTHREAD_MUTEX_INITIALIZER };

void
db_presence_touch(int64_t user, int64_t until_ms, int64_t slack_ms,
    int64_t now_ms)
{
	struct presence_job j = { user, until_ms, now_ms };
	sqlite3_stmt *st;
	int64_t stored = hint(&online_seen, user);
	bool online = false;

	/* Online until a time still to come: so it is now, for no sweep
	 * takes a user offline before that time, and it only grows. */
	if (stored > now_ms && stored + slack_ms >= until_ms)
		return;
	st = stmt("SELECT online_until, presence_online FROM users WHERE id=?",
	    "i", user);
	if (st == NULL)
		return;
	if (sqlite3_step(st) == SQLITE_ROW) {
		stored = sqlite3_column_int64(st, 0);
		online = sqlite3_column_int(st, 1) != 0;
	}
	sqlite3_reset(st);
	if (online)
		hint_set(&online_seen, user, stored);
	if (online && stored + slack_ms >= until_ms)
		return;
	/* Nor for this: the next poll writes it again. */
	group_commit_later(presence_job, &j, sizeof(j));
}

enum err
db_presence_sweep(int64_t now_ms)
{
	sqlite3_stmt *st;
	int64_t users[64];
	size_t n = 0, i;
	char data[160];
	enum err e;

	if (!exists(stmt("SELECT 1 FROM users WHERE presence_online=1 AND"
	    " online_until<?", "i", now_ms)))
		return ERR_OK;
	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* A batch per call; the next sweep takes the rest. */
	st = stmt("SELECT id FROM users WHERE presence_online=1 AND"
	    " online_until<? LIMIT 64", "i", now_ms);
	while (st != NULL && n < 64 && sqlite3_step(st) == SQLITE_ROW)
		users[n++] = sqlite3_column_int64(st, 0);
	if (st != NULL)
		sqlite3_reset(st);
	for (i = 0, e = ERR_OK; i < n && e == ERR_OK; i++) {
		int64_t last = query_int64(stmt("SELECT last_online FROM users"
		    " WHERE id=?", "i", users[i]), now_ms);
		e = exec_stmt(stmt("UPDATE users SET presence_online=0"
		    " WHERE id=?", "i", users[i]));
		presence_data(users[i], false, last, data, sizeof(data));
		if (e == ERR_OK)
			e = emit_to_watchers(users[i], "presence", data, false,
			    now_ms);
	}
	if (e != ERR_OK)
		return tx_fail(e);
	return tx_commit();
}

enum err
db_prune(int64_t events_before_ms, int64_t typing_before_ms, int64_t now_ms)
{
	int64_t upto;
	enum err e;

	if ((e = tx_begin()) != ERR_OK)
		return e;
	/* Ids grow with time (schema/0005): the old events are the ones
	 * before the first young one (all of them when none is young). */
	upto = query_int64(stmt("SELECT max(id) FROM events WHERE id<"
	    " coalesce((SELECT id FROM events WHERE at>=? ORDER BY id LIMIT 1),"
	    " 9223372036854775807)", "i", events_before_ms), 0);
	if (upto > 0) {
		e = exec_stmt(stmt("DELETE FROM events WHERE id<=?", "i", upto));
		if (e == ERR_OK)
			e = exec_stmt(stmt("INSERT INTO meta (key, value) VALUES"
			    " ('events_pruned_upto', ?1) ON CONFLICT(key) DO"
			    " UPDATE SET value=max(value, ?1)", "i", upto));
		if (e == ERR_OK) /* the floor moved: db_events_cursor_known() */
			caches_stale();
	}
	/* Typing notices are not kept past a few seconds; they move no
	 * cursor floor: missing one loses nothing. */
	if (e == ERR_OK)
		e = exec_stmt(stmt("DELETE FROM events WHERE type='typing' AND"
		    " at<?", "i", typing_before_ms));
	if (e == ERR_OK)
		e = exec_stmt(stmt("DELETE FROM sessions WHERE expires_at<?", "i",
		    now_ms));
	if (e == ERR_OK) /* no window is longer than a day */
		e = exec_stmt(stmt("DELETE FROM rate_limits WHERE window_start<?",
		    "i", now_ms - 86400000));
	if (e != ERR_OK)
		return tx_fail(e);
	return tx_commit();
}
