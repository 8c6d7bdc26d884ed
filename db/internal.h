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

/* The current row of st as a JSON object: column names are keys;
 * INTEGER, REAL, TEXT and NULL map to their JSON kinds (BLOBs are left
 * out). */
json_t *row_json(sqlite3_stmt *st);

#endif
