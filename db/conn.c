/*
 * conn.c: the thread's SQLite connection, its statement cache, transactions,
 * migrations, backup. This file owns the pragmas and the busy policy.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bell.h"
#include "internal.h"
#include "../api/clock.h"
#include "../api/text.h"

/* Built by the Makefile from schema/NNNN_*.sql, in order, NULL-terminated. */
extern const char *const schema_migrations[];

#define STMT_CACHE_SLOTS 256   /* a power of two, above the count of queries */

/* WAL pages after which a commit checkpoints (SQLite's default is 1,000).
 * A send dirties a few pages that later sends dirty again (the tails of
 * the messages and events tables, a busy chat's index leaf): the longer
 * the interval, the fewer copies a checkpoint makes of them. Measured with
 * 64 connections sending, synchronous=NORMAL: 8,470 sends/s at 1,000
 * pages, 10,120 at 10,000 (p99 24-67 ms, 48-64 ms). The WAL then stays
 * under about 40 MiB. */
#define DB_CHECKPOINT_PAGES 10000

static struct {
	char path[4096];
	bool synchronous_full;
	int busy_timeout_ms;
	long max_mib;              /* db_set_max_size(); 0: no quota */
} setup;

struct cached {
	const char *sql;           /* the literal; the key */
	sqlite3_stmt *st;
};

static __thread sqlite3 *thread_db;
static __thread struct cached *thread_cache;
/* A failed step in exists() or query_int64(), whose callers cannot tell a
 * failure from "no row": it fails the transaction around it at commit, so
 * that nothing decided on a failed read is ever committed. */
static __thread enum err step_err;
/* db_read_begin() opened a read transaction that is still open. */
static __thread bool in_read;
/* tx_begin() or batch_begin() opened a write transaction, not yet ended. */
static __thread bool in_tx;

/* The error of the last statement that failed on this thread: what ended
 * a batch's transaction when SQLite rolled it back by itself. */
static __thread enum err last_failure;

static enum err
failed(enum err e)
{
	last_failure = e;
	return e;
}

enum err
map_rc(int rc, const char *what)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return ERR_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return failed(ERR_UNAVAILABLE);
	case SQLITE_FULL:
		return failed(ERR_STORAGE_FULL);
	case SQLITE_CONSTRAINT:
		return failed(ERR_ALREADY_EXISTS);
	default:
		fprintf(stderr, "db: %s: %s (%d)\n", what,
		    thread_db ? sqlite3_errmsg(thread_db) : sqlite3_errstr(rc), rc);
		return failed(ERR_INTERNAL);
	}
}

/* SQL function iso(ms): RFC 3339 UTC with milliseconds, NULL for NULL. */
static void
sql_iso(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char buf[32];

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	time_format(sqlite3_value_int64(argv[0]), buf);
	sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

/* How long a writer waiting for another process's write lock sleeps
 * between tries: short, with jitter. SQLite's own busy timeout sleeps
 * 1, 2, 5 ... up to 100 ms at a time, so a process that just missed the
 * lock slept long while the others took it again and again (with three
 * processes writing, one had p99 450 ms; docs/BENCHMARKS.md). A group
 * commit holds the lock for a few milliseconds at most. */
#define BUSY_SLEEP_MIN_US 50
#define BUSY_SLEEP_MAX_US 1000

/* The busy handler: called with the number of tries so far; returns 1 to
 * try again after a sleep, 0 to give up (SQLITE_BUSY, then 503) once
 * busy_timeout_ms has passed since the first try. */
static int
on_busy(void *unused, int tries)
{
	static __thread int64_t since_us;
	static __thread unsigned jitter;
	int64_t now = mono_us(), us;

	(void)unused;
	if (tries == 0) {
		since_us = now;
		jitter ^= (unsigned)now;
	}
	if (now - since_us >= (int64_t)setup.busy_timeout_ms * 1000)
		return 0;
	us = BUSY_SLEEP_MIN_US << (tries < 5 ? tries : 5);
	if (us > BUSY_SLEEP_MAX_US)
		us = BUSY_SLEEP_MAX_US;
	us += (int64_t)(rand_r(&jitter) % (unsigned)us);
	usleep((useconds_t)us);
	return 1;
}

/* Process-wide settings, made before SQLite initializes. Without memory
 * statistics, an allocation of SQLite's takes no process-wide mutex
 * (every thread's connection allocated through that one lock). */
static void
configure_sqlite(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static sqlite3 *
open_db(const char *path)
{
	static pthread_once_t configured = PTHREAD_ONCE_INIT;
	sqlite3 *db = NULL;
	char pragmas[256];
	int rc;

	(void)pthread_once(&configured, configure_sqlite);
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, walvfs_name());
	if (rc != SQLITE_OK) {
		fprintf(stderr, "db: cannot open %s: %s\n", path,
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_handler(db, on_busy, NULL);
	snprintf(pragmas, sizeof(pragmas),
	    "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
	    " PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
	    " PRAGMA wal_autocheckpoint=%d;",
	    setup.synchronous_full ? "FULL" : "NORMAL", DB_CHECKPOINT_PAGES);
	rc = sqlite3_exec(db, pragmas, NULL, NULL, NULL);
	if (rc == SQLITE_OK && setup.max_mib > 0) {
		/* The quota in pages of this file's page size. */
		sqlite3_stmt *st = NULL;
		long long pages = 0;
		rc = sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL);
		if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			pages = (long long)setup.max_mib * 1024 * 1024 /
			    sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		snprintf(pragmas, sizeof(pragmas),
		    "PRAGMA max_page_count=%lld;", pages > 1 ? pages : 1);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, pragmas, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "iso", 1, SQLITE_UTF8 |
		    SQLITE_DETERMINISTIC, NULL, sql_iso, NULL, NULL);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "db: cannot set up %s: %s\n", path,
		    sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* Closes a thread's connection when the thread ends: threads that parley
 * does not start itself (libmicrohttpd's pool) never call db_thread_close(). */
static pthread_key_t thread_end_key;
static pthread_once_t thread_end_once = PTHREAD_ONCE_INIT;

static void
thread_end(void *unused)
{
	(void)unused;
	db_thread_close();
}

static void
thread_end_init(void)
{
	(void)pthread_key_create(&thread_end_key, thread_end);
}

sqlite3 *
conn(void)
{
	if (thread_db != NULL)
		return thread_db;
	(void)pthread_once(&thread_end_once, thread_end_init);
	thread_cache = calloc(STMT_CACHE_SLOTS, sizeof(*thread_cache));
	if (thread_cache == NULL)
		return NULL;
	thread_db = open_db(setup.path);
	if (thread_db == NULL) {
		free(thread_cache);
		thread_cache = NULL;
	} else {
		/* Any non-NULL value makes the key's destructor run. */
		(void)pthread_setspecific(thread_end_key, thread_db);
	}
	return thread_db;
}

void
db_thread_close(void)
{
	size_t i;

	if (thread_db == NULL)
		return;
	pending_free();
	for (i = 0; i < STMT_CACHE_SLOTS; i++)
		sqlite3_finalize(thread_cache[i].st);
	free(thread_cache);
	thread_cache = NULL;
	sqlite3_close(thread_db);
	thread_db = NULL;
}

/* The cache slot of sql: open addressing on the literal's address. */
static struct cached *
cache_slot(const char *sql)
{
	size_t h = ((uintptr_t)sql >> 3) * 0x9e3779b97f4a7c15ull;
	size_t i, n;

	for (n = 0; n < STMT_CACHE_SLOTS; n++) {
		i = (h + n) & (STMT_CACHE_SLOTS - 1);
		if (thread_cache[i].sql == sql || thread_cache[i].sql == NULL)
			return &thread_cache[i];
	}
	return NULL;
}

sqlite3_stmt *
stmt(const char *sql, const char *types, ...)
{
	struct cached *c;
	sqlite3_stmt *st;
	va_list ap;
	int rc = SQLITE_OK, i;

	if (conn() == NULL)
		return NULL;
	/* SQLite ended the write transaction by itself after a failure (out
	 * of memory, a full disk): a statement now would run on its own and
	 * commit at once, outside the transaction its caller is in. None
	 * runs until the caller rolls back (tests/unit/test_chaos.c). */
	if (in_tx && sqlite3_get_autocommit(thread_db)) {
		step_err = last_failure != ERR_OK ? last_failure : ERR_INTERNAL;
		return NULL;
	}
	c = cache_slot(sql);
	if (c != NULL && c->st != NULL) {
		st = c->st;
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	} else {
		rc = sqlite3_prepare_v3(thread_db, sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &st, NULL);
		if (rc != SQLITE_OK) {
			map_rc(rc, sql);
			return NULL;
		}
		if (c != NULL) {
			c->sql = sql;
			c->st = st;
		} else {
			/* Defensive: the cache is sized above the query count. */
			fprintf(stderr, "db: statement cache full\n");
			abort();
		}
	}
	/* A wrong type string is a programming error: stop at once. */
	if ((int)strlen(types) != sqlite3_bind_parameter_count(st)) {
		fprintf(stderr, "db: %zu bindings for %d parameters in %s\n",
		    strlen(types), sqlite3_bind_parameter_count(st), sql);
		abort();
	}
	va_start(ap, types);
	for (i = 0; types[i] != '\0' && rc == SQLITE_OK; i++) {
		switch (types[i]) {
		case 'i':
			rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
			break;
		case 'I': {
			int64_t v = va_arg(ap, int64_t);
			rc = v ? sqlite3_bind_int64(st, i + 1, v) :
			    sqlite3_bind_null(st, i + 1);
			break;
		}
		case 't':
			rc = sqlite3_bind_text(st, i + 1, va_arg(ap, const char *),
			    -1, SQLITE_TRANSIENT);
			break;
		case 'b': {
			const void *p = va_arg(ap, const void *);
			int n = va_arg(ap, int);
			rc = sqlite3_bind_blob(st, i + 1, p, n, SQLITE_TRANSIENT);
			break;
		}
		default:
			abort(); /* a programming error in a literal */
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		map_rc(rc, sql);
		return NULL;
	}
	return st;
}

enum err
exec_stmt(sqlite3_stmt *st)
{
	int rc;

	if (st == NULL)
		return ERR_INTERNAL;
	if (in_read && !sqlite3_stmt_readonly(st))
		db_read_end(); /* a write: not on an old snapshot */
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return ERR_OK;
	return map_rc(rc, sqlite3_sql(st));
}

bool
exists(sqlite3_stmt *st)
{
	bool found;

	int rc;

	if (st == NULL) {
		step_err = ERR_INTERNAL;
		return false;
	}
	rc = sqlite3_step(st);
	found = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		step_err = map_rc(rc, "exists");
	sqlite3_reset(st);
	return found;
}

int64_t
query_int64(sqlite3_stmt *st, int64_t dflt)
{
	int64_t v = dflt;
	int rc;

	if (st == NULL) {
		step_err = ERR_INTERNAL;
		return dflt;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		step_err = map_rc(rc, "query");
	sqlite3_reset(st);
	return v;
}

/*
 * Transactions. A db function brackets its writes with tx_begin() and
 * tx_commit() (or tx_rollback()). Run on its own, that is BEGIN IMMEDIATE
 * and COMMIT, and the bells of the users it queued events for ring after
 * the commit. Run inside a batch of the group committer (commit.c), they
 * mark a job of the batch's transaction, and the bells ring when the whole
 * batch has committed. A batch runs its jobs first with no SAVEPOINT each
 * (a savepoint copies every page a job changes, ~9% of a send): a job that
 * fails before it wrote anything, as nearly every failing job does (not a
 * member, a retried send), has nothing to undo. Only when a job fails
 * after a write is the batch tainted (batch_tainted()): the committer then
 * rolls it all back and runs it again with a SAVEPOINT per job, so that
 * the failing job rolls back alone.
 */
static __thread bool in_batch;
static __thread bool batch_savepoints; /* each job in its own SAVEPOINT */
static __thread bool batch_taint;      /* a job failed after a write */
static __thread size_t batch_pending_mark;
static __thread sqlite3_int64 job_changes_mark;

/* The thread's turn for the write lock among the database's writers
 * (bell_turn_take()), held from before BEGIN IMMEDIATE to after the
 * transaction's end. */
static __thread uint32_t turn;
static __thread bool have_turn;

static void
turn_done(void)
{
	if (have_turn) {
		have_turn = false;
		bell_turn_done(turn);
	}
}

/* BEGIN IMMEDIATE in the thread's turn. */
static enum err
begin_write(void)
{
	enum err e;

	if (!have_turn) {
		turn = bell_turn_take();
		have_turn = true;
	}
	e = exec_stmt(stmt("BEGIN IMMEDIATE", ""));
	in_tx = e == ERR_OK;
	if (e != ERR_OK)
		turn_done();
	return e;
}

/* True inside a batch whose transaction SQLite has rolled back. */
static bool
batch_gone(void)
{
	return thread_db != NULL && sqlite3_get_autocommit(thread_db);
}

void
db_read_begin(void)
{
	if (in_read || conn() == NULL || !sqlite3_get_autocommit(thread_db))
		return;
	in_tx = false; /* as in tx_begin() */
	in_read = exec_stmt(stmt("BEGIN", "")) == ERR_OK;
}

void
db_read_end(void)
{
	if (!in_read)
		return;
	in_read = false;
	/* A read has nothing to keep: ROLLBACK cannot fail for want of a
	 * lock, as COMMIT may. */
	if (thread_db != NULL && !sqlite3_get_autocommit(thread_db))
		(void)exec_stmt(stmt("ROLLBACK", ""));
}

void
db_read_renew(void)
{
	if (!in_read)
		return;
	db_read_end();
	db_read_begin();
}

enum err
tx_begin(void)
{
	db_read_end();
	step_err = ERR_OK;
	if (in_batch) {
		/* SQLite ended the batch's transaction after a failure (a full
		 * disk, say): a SAVEPOINT now would open a new one outside the
		 * batch. Every job left fails like the one that ended it. */
		if (batch_gone())
			return last_failure != ERR_OK ? last_failure : ERR_INTERNAL;
		batch_pending_mark = pending_count();
		if (!batch_savepoints) {
			job_changes_mark = sqlite3_total_changes64(thread_db);
			return ERR_OK;
		}
		return exec_stmt(stmt("SAVEPOINT job", ""));
	}
	if (thread_db != NULL && !sqlite3_get_autocommit(thread_db)) {
		/* Defensive: an earlier failure left a transaction open. */
		fprintf(stderr, "db: rolling back a transaction left open\n");
		tx_rollback();
	}
	in_tx = false; /* one SQLite ended, its caller never rolled back */
	return begin_write();
}

enum err
tx_commit(void)
{
	enum err e = step_err;

	if (e != ERR_OK) {
		step_err = ERR_OK;
		tx_rollback();
		return e;
	}
	if (in_batch && !batch_savepoints)
		return ERR_OK;
	if (in_batch) {
		e = exec_stmt(stmt("RELEASE job", ""));
		return e != ERR_OK ? tx_fail(e) : ERR_OK;
	}
	e = exec_stmt(stmt("COMMIT", ""));
	if (e != ERR_OK)
		return tx_fail(e);
	in_tx = false;
	turn_done();
	ring_pending();
	return ERR_OK;
}

enum err
tx_fail(enum err e)
{
	if (step_err != ERR_OK)
		e = step_err;
	step_err = ERR_OK;
	tx_rollback();
	return e;
}

void
tx_rollback(void)
{
	int i;

	if (in_batch && !batch_savepoints) {
		pending_truncate(batch_pending_mark);
		if (thread_db != NULL &&
		    sqlite3_total_changes64(thread_db) != job_changes_mark)
			batch_taint = true;
		return;
	}
	if (in_batch) {
		pending_truncate(batch_pending_mark);
		if (thread_db != NULL && !sqlite3_get_autocommit(thread_db))
			sqlite3_exec(thread_db, "ROLLBACK TO job; RELEASE job",
			    NULL, NULL, NULL);
		return;
	}
	in_tx = false;
	forget_pending();
	/* ROLLBACK itself allocates and may fail: try again, and tx_begin()
	 * ends a transaction still left open (tests/unit/test_chaos.c). */
	for (i = 0; i < 3 && thread_db != NULL &&
	    !sqlite3_get_autocommit(thread_db); i++)
		sqlite3_exec(thread_db, "ROLLBACK", NULL, NULL, NULL);
	turn_done();
}

bool
db_private(void)
{
	/* ":memory:" and "" (a temporary file) are private to a connection. */
	return setup.path[0] == '\0' || strcmp(setup.path, ":memory:") == 0 ||
	    strncmp(setup.path, "file::memory:", 13) == 0;
}

enum err
batch_begin(bool durable, bool savepoints)
{
	static __thread int synced = -1; /* the connection's setting: 1 FULL */
	enum err e;

	if (setup.synchronous_full && synced != (int)durable) {
		e = exec_stmt(stmt(durable ? "PRAGMA synchronous=FULL" :
		    "PRAGMA synchronous=NORMAL", ""));
		if (e == ERR_OK)
			synced = durable;
		else if (durable) /* it could not promise durability */
			return e;
	}
	step_err = ERR_OK;
	last_failure = ERR_OK;
	if (thread_db != NULL && !sqlite3_get_autocommit(thread_db))
		tx_rollback(); /* defensive, as in tx_begin() */
	in_tx = false;
	e = begin_write();
	in_batch = e == ERR_OK;
	batch_savepoints = savepoints;
	batch_taint = false;
	return e;
}

bool
batch_tainted(void)
{
	return batch_taint;
}

void
batch_abandon(void)
{
	in_batch = false;
	batch_taint = false;
	step_err = ERR_OK;
	tx_rollback();
}

enum err
batch_commit(void)
{
	/* Each job committed or rolled back its own reads' failures. */
	step_err = ERR_OK;
	if (batch_gone()) {
		/* Rolled back by SQLite: nothing of the batch was kept. */
		in_tx = in_batch = false;
		forget_pending();
		turn_done();
		return last_failure != ERR_OK ? last_failure : ERR_INTERNAL;
	}
	in_batch = false;
	return tx_commit();
}

json_t *
row_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	int i, n = sqlite3_column_count(st);

	for (i = 0; i < n && o != NULL; i++) {
		const char *name = sqlite3_column_name(st, i);
		json_t *v;

		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			v = json_integer(sqlite3_column_int64(st, i));
			break;
		case SQLITE_FLOAT:
			v = json_real(sqlite3_column_double(st, i));
			break;
		case SQLITE_TEXT:
			v = json_stringn((const char *)sqlite3_column_text(st, i),
			    (size_t)sqlite3_column_bytes(st, i));
			break;
		case SQLITE_NULL:
			v = json_null();
			break;
		default:
			continue;
		}
		json_object_set_new(o, name, v);
	}
	return o;
}

int
db_schema_latest(void)
{
	int n = 0;

	while (schema_migrations[n] != NULL)
		n++;
	return n;
}

int
db_schema_version(void)
{
	sqlite3_stmt *st = stmt("PRAGMA user_version", "");
	int v = -1;

	if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	if (st != NULL)
		sqlite3_reset(st);
	return v;
}

/* Applies migration n (1-based) in one transaction. */
static int
migrate_one(int n)
{
	char *msg = NULL, set[64];

	if (tx_begin() != ERR_OK)
		return -1;
	snprintf(set, sizeof(set), "PRAGMA user_version=%d", n);
	if (sqlite3_exec(thread_db, schema_migrations[n - 1], NULL, NULL,
	    &msg) != SQLITE_OK ||
	    sqlite3_exec(thread_db, set, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "db: migration %d failed: %s\n", n, msg);
		sqlite3_free(msg);
		tx_rollback();
		return -1;
	}
	return tx_commit() == ERR_OK ? 0 : -1;
}

int
db_setup(const char *path, bool synchronous_full, int busy_timeout_ms)
{
	int have, latest = db_schema_latest();

	if (strlen(path) >= sizeof(setup.path)) {
		fprintf(stderr, "db: path too long\n");
		return -1;
	}
	db_thread_close();
	snprintf(setup.path, sizeof(setup.path), "%s", path);
	setup.synchronous_full = synchronous_full;
	setup.busy_timeout_ms = busy_timeout_ms;
	if (conn() == NULL || bell_open(path) != 0)
		return -1;
	have = db_schema_version();
	if (have < 0)
		return -1;
	if (have > latest) {
		fprintf(stderr, "db: %s is at schema %d, newer than this build"
		    " (%d)\n", path, have, latest);
		return -1;
	}
	while (have < latest)
		if (migrate_one(++have) != 0)
			return -1;
	return 0;
}

void
db_set_max_size(long mib)
{
	setup.max_mib = mib;
}

enum err
db_ping(void)
{
	sqlite3_stmt *st = stmt("SELECT 1", "");
	int rc;

	if (st == NULL)
		return ERR_UNAVAILABLE;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? ERR_OK : ERR_UNAVAILABLE;
}

enum err
db_backup(const char *path)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc;

	if (conn() == NULL)
		return ERR_INTERNAL;
	rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "db: cannot create %s: %s\n", path,
		    sqlite3_errstr(rc));
		sqlite3_close(dst);
		return ERR_INTERNAL;
	}
	b = sqlite3_backup_init(dst, "main", thread_db, "main");
	if (b == NULL) {
		fprintf(stderr, "db: backup: %s\n", sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return ERR_INTERNAL;
	}
	/* Every page in one step, inside one read transaction: in WAL mode
	 * that reads one snapshot and holds no writer up. (Copying in
	 * smaller steps would let a write by another process between two
	 * steps restart the copy from the start; under steady writes it
	 * would never end.) BUSY can only come from a checkpoint or recovery
	 * in progress: retry. */
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(10);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "db: backup: %s\n", sqlite3_errstr(rc));
		sqlite3_close(dst);
		return ERR_INTERNAL;
	}
	rc = sqlite3_close(dst);
	return rc == SQLITE_OK ? ERR_OK : ERR_INTERNAL;
}
