/*
 * stats.c: the numbers parley-admin stats prints.
 */
#include "internal.h"

enum err
db_stats(struct db_stats *out)
{
	sqlite3_stmt *st;
	int rc;

	/* One statement, so one read snapshot: the counts agree with each
	 * other even while servers write. */
	st = stmt("SELECT (SELECT count(*) FROM users),"
	    " (SELECT count(*) FROM chats), (SELECT count(*) FROM messages),"
	    " (SELECT count(*) FROM events),"
	    " (SELECT page_count FROM pragma_page_count()) *"
	    " (SELECT page_size FROM pragma_page_size())", "");
	if (st == NULL)
		return ERR_INTERNAL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->users = sqlite3_column_int64(st, 0);
		out->chats = sqlite3_column_int64(st, 1);
		out->messages = sqlite3_column_int64(st, 2);
		out->events = sqlite3_column_int64(st, 3);
		out->bytes = sqlite3_column_int64(st, 4);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? ERR_OK : map_rc(rc, "stats");
}
