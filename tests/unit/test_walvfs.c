/*
 * test_walvfs.c: the VFS of db/walvfs.c, which writes a transaction's WAL
 * frames in one go. What it must keep: every commit readable by another
 * connection (and another process, on the plain unix VFS) as soon as it
 * is published, transactions larger than one write call and larger than
 * the buffer, transactions that spill pages before their commit, and
 * nothing of a transaction that never committed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../db/internal.h"
#include "../tmpdir.h"

/* Opens tmpdir/name on vfs (NULL: the default), or NULL. No cmocka assert
 * here: forked children use it too. */
static sqlite3 *
try_open(const char *name, const char *vfs)
{
	char path[128];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, vfs) != SQLITE_OK)
		return NULL;
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL;"
	    " PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;"
	    " CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v BLOB);",
	    NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static sqlite3 *
open_with(const char *name, const char *vfs)
{
	sqlite3 *db = try_open(name, vfs);

	assert_non_null(db);
	return db;
}

static void
exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
}

static long long
count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long n;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* rows rows of size bytes each in one transaction: rows * size bytes of
 * WAL frames, in one commit. */
static void
insert_rows(sqlite3 *db, int rows, int size)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1"
	    " UNION ALL SELECT i + 1 FROM n WHERE i < %d) INSERT INTO t (v)"
	    " SELECT randomblob(%d) FROM n; COMMIT;", rows, size);
	exec(db, sql);
}

static const char *
integrity(sqlite3 *db)
{
	static char out[64];
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, sizeof(out), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static void
test_the_vfs_registers(void **state)
{
	(void)state;
	assert_non_null(walvfs_name());
	assert_non_null(sqlite3_vfs_find(walvfs_name()));
	/* Not the default: other programs' connections are untouched. */
	assert_ptr_not_equal(sqlite3_vfs_find(NULL),
	    sqlite3_vfs_find(walvfs_name()));
}

/* Commits of 1 page to 20 MiB (past one write call's 128 KiB and the
 * buffer's 8 MiB) are read back whole by a connection on the plain VFS. */
static void
test_commits_of_every_size_are_read_back(void **state)
{
	sqlite3 *w = open_with("sizes.db", walvfs_name());
	sqlite3 *r = open_with("sizes.db", NULL);
	static const int rows[] = { 1, 40, 100, 2000, 5000 };
	long long want = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		insert_rows(w, rows[i], 4000);
		want += rows[i];
		assert_int_equal(count(r, "SELECT count(*) FROM t"), want);
		assert_int_equal(count(r, "SELECT sum(length(v)) FROM t"),
		    want * 4000);
	}
	assert_string_equal(integrity(r), "ok");
	sqlite3_close(w);
	sqlite3_close(r);
}

/* Another process sees each commit the moment it returns. */
static void
test_another_process_sees_each_commit(void **state)
{
	sqlite3 *w;
	int to_child[2], from_child[2], i, status;
	pid_t pid;

	(void)state;
	sqlite3_close(open_with("procs.db", NULL)); /* made before the fork */
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(from_child), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Reads the count after each commit the parent announces
		 * (-1 when it cannot). */
		sqlite3 *r = try_open("procs.db", NULL);
		sqlite3_stmt *st = NULL;
		char c;

		close(to_child[1]);
		close(from_child[0]);
		if (r == NULL)
			_exit(2);
		if (sqlite3_prepare_v2(r, "SELECT count(*) FROM t", -1, &st,
		    NULL) != SQLITE_OK)
			_exit(3);
		while (read(to_child[0], &c, 1) == 1) {
			long long n = sqlite3_step(st) == SQLITE_ROW ?
			    sqlite3_column_int64(st, 0) : -1;

			sqlite3_reset(st);
			if (write(from_child[1], &n, sizeof(n)) != sizeof(n))
				_exit(1);
		}
		sqlite3_finalize(st);
		sqlite3_close(r);
		_exit(0);
	}
	close(to_child[0]);
	close(from_child[1]);
	/* Opened after the fork: a child must not inherit SQLite's
	 * bookkeeping of its parent's locks. */
	w = open_with("procs.db", walvfs_name());
	for (i = 1; i <= 20; i++) {
		long long n = 0;

		insert_rows(w, 50, 3000); /* 150 KB: two write calls */
		assert_int_equal(write(to_child[1], "x", 1), 1);
		if (read(from_child[0], &n, sizeof(n)) != sizeof(n))
			break; /* the child failed: its status tells */
		assert_int_equal(n, 50LL * i);
	}
	close(to_child[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(i, 21);
	close(from_child[0]);
	sqlite3_close(w);
}

/* A transaction bigger than its page cache writes pages to the WAL before
 * its commit, and writes some of them again: the commit holds the last
 * version of each. */
static void
test_a_transaction_that_spills_keeps_its_last_writes(void **state)
{
	sqlite3 *w = open_with("spill.db", walvfs_name());
	sqlite3 *r = open_with("spill.db", NULL);

	(void)state;
	exec(w, "PRAGMA cache_size=20");
	insert_rows(w, 3000, 500);
	exec(w, "BEGIN; UPDATE t SET v = zeroblob(600) WHERE id % 3 = 0;"
	    " UPDATE t SET v = zeroblob(700) WHERE id % 2 = 0;"
	    " UPDATE t SET v = zeroblob(800) WHERE id % 5 = 0; COMMIT;");
	assert_int_equal(count(r, "SELECT count(*) FROM t WHERE length(v) ="
	    " 800"), 600);
	assert_int_equal(count(r, "SELECT count(*) FROM t WHERE length(v) ="
	    " 700"), 1500 - 300);
	assert_int_equal(count(r, "SELECT count(*) FROM t WHERE length(v) ="
	    " 600"), 1000 - 500 - 200 + 100);
	assert_string_equal(integrity(r), "ok");
	sqlite3_close(w);
	sqlite3_close(r);
}

/* A process that dies in the middle of a transaction, some of whose frames
 * were already written, leaves the database as it was. */
static void
test_a_process_dying_mid_transaction_leaves_nothing(void **state)
{
	sqlite3 *w = open_with("crash.db", walvfs_name()), *r;
	int status;
	pid_t pid;

	(void)state;
	insert_rows(w, 100, 1000);
	sqlite3_close(w);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *c = try_open("crash.db", walvfs_name());

		if (c == NULL || sqlite3_exec(c, "PRAGMA cache_size=20; BEGIN;"
		    " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
		    " FROM n WHERE i < 4000) INSERT INTO t (v)"
		    " SELECT randomblob(3000) FROM n;", NULL, NULL, NULL) !=
		    SQLITE_OK)
			_exit(1);
		_exit(0); /* no COMMIT, no close */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	r = open_with("crash.db", NULL);
	assert_int_equal(count(r, "SELECT count(*) FROM t"), 100);
	assert_string_equal(integrity(r), "ok");
	insert_rows(r, 10, 1000); /* and the WAL takes new commits */
	assert_int_equal(count(r, "SELECT count(*) FROM t"), 110);
	sqlite3_close(r);
}

/* A checkpoint copies what the buffered commits wrote; the database file
 * alone (the WAL gone) then holds every row. */
static void
test_a_checkpoint_copies_every_commit(void **state)
{
	sqlite3 *w = open_with("ckpt.db", walvfs_name()), *r;
	char path[128];

	(void)state;
	insert_rows(w, 300, 2000);
	insert_rows(w, 1, 10);
	exec(w, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(w);
	snprintf(path, sizeof(path), "%s/ckpt.db-wal", tmpdir);
	assert_int_not_equal(access(path, F_OK), 0); /* removed at close */
	r = open_with("ckpt.db", NULL);
	assert_int_equal(count(r, "SELECT count(*) FROM t"), 301);
	assert_string_equal(integrity(r), "ok");
	sqlite3_close(r);
}

static int
setup(void **state)
{
	(void)state;
	return tmpdir_make("walvfs");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_vfs_registers),
		cmocka_unit_test(test_commits_of_every_size_are_read_back),
		cmocka_unit_test(test_another_process_sees_each_commit),
		cmocka_unit_test(test_a_transaction_that_spills_keeps_its_last_writes),
		cmocka_unit_test(test_a_process_dying_mid_transaction_leaves_nothing),
		cmocka_unit_test(test_a_checkpoint_copies_every_commit),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
