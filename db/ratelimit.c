/*
 * ratelimit.c: fixed-window counters in the database, so that every
 * process and thread counts against the same limit.
 */
#include "internal.h"

/* Reads key's window; sets *start and *count (0 when none or expired). */
static enum err
window_read(const char *key, int window_s, int64_t now_ms, int64_t *start,
    int64_t *count)
{
	sqlite3_stmt *st = stmt("SELECT window_start, count FROM rate_limits"
	    " WHERE key=?", "t", key);
	int rc;

	if (st == NULL)
		return ERR_INTERNAL;
	*start = now_ms;
	*count = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW &&
	    sqlite3_column_int64(st, 0) + (int64_t)window_s * 1000 > now_ms) {
		*start = sqlite3_column_int64(st, 0);
		*count = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ERR_OK :
	    map_rc(rc, "rate read");
}

static int
retry_after(int64_t start, int window_s, int64_t now_ms)
{
	int64_t left = start + (int64_t)window_s * 1000 - now_ms;

	return left <= 0 ? 1 : (int)((left + 999) / 1000);
}

enum err
db_rate_check(const char *key, int max, int window_s, int64_t now_ms,
    int *retry_after_s)
{
	int64_t start, count;
	enum err e = window_read(key, window_s, now_ms, &start, &count);

	*retry_after_s = 0;
	if (e == ERR_OK && count >= max)
		*retry_after_s = retry_after(start, window_s, now_ms);
	return e;
}

enum err
db_rate_hit(const char *key, int max, int window_s, int64_t now_ms,
    int *retry_after_s)
{
	int64_t start, count;
	enum err e;

	*retry_after_s = 0;
	if ((e = tx_begin()) != ERR_OK)
		return e;
	e = window_read(key, window_s, now_ms, &start, &count);
	if (e == ERR_OK)
		e = exec_stmt(stmt("INSERT OR REPLACE INTO rate_limits"
		    " (key, window_start, count) VALUES (?,?,?)", "tii", key,
		    start, count + 1));
	if (e != ERR_OK)
		return tx_fail(e);
	if (count + 1 > max)
		*retry_after_s = retry_after(start, window_s, now_ms);
	return tx_commit();
}

enum err
db_rate_clear(const char *key)
{
	return exec_stmt(stmt("DELETE FROM rate_limits WHERE key=?", "t", key));
}
