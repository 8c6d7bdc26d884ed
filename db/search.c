/*
 * search.c: full-text search over messages, and its indexer.
 *
 * messages_fts is an FTS5 index over messages.text (external content). A
 * send does not touch it: the indexer adds every message above
 * meta 'fts_indexed_upto' in one transaction, from the housekeeping thread
 * once a second and, so that a search always sees every committed message,
 * before each search. Edits and deletes of indexed messages fix the index
 * in their own transaction (fts_forget, fts_reindex).
 */
#include "internal.h"

/* Messages indexed in one go: bounds one indexing transaction. */
#define INDEX_BATCH 5000

static int64_t
indexed_upto(void)
{
	return query_int64(stmt("SELECT value FROM meta"
	    " WHERE key='fts_indexed_upto'", ""), 0);
}

enum err
fts_forget(int64_t id)
{
	if (id > indexed_upto())
		return ERR_OK;
	return exec_stmt(stmt("INSERT INTO messages_fts(messages_fts, rowid,"
	    " text) SELECT 'delete', id, text FROM messages"
	    " WHERE id=? AND text IS NOT NULL", "i", id));
}

enum err
fts_reindex(int64_t id)
{
	if (id > indexed_upto())
		return ERR_OK;
	return exec_stmt(stmt("INSERT INTO messages_fts(rowid, text)"
	    " SELECT id, text FROM messages WHERE id=? AND text IS NOT NULL",
	    "i", id));
}

/* Indexes up to INDEX_BATCH new messages; sets *more when some are left. */
static enum err
index_some(bool *more)
{
	int64_t from = indexed_upto(), to;
	enum err e;

	to = query_int64(stmt("SELECT max(id) FROM (SELECT id FROM messages"
	    " WHERE id>? ORDER BY id LIMIT ?)", "ii", from,
	    (int64_t)INDEX_BATCH), from);
	*more = false;
	if (to == from)
		return ERR_OK;
	if ((e = tx_begin()) != ERR_OK)
		return e;
	e = exec_stmt(stmt("INSERT INTO messages_fts(rowid, text) SELECT id,"
	    " text FROM messages WHERE id>? AND id<=? AND text IS NOT NULL",
	    "ii", from, to));
	if (e == ERR_OK)
		e = exec_stmt(stmt("INSERT INTO meta (key, value) VALUES"
		    " ('fts_indexed_upto', ?1) ON CONFLICT(key) DO UPDATE SET"
		    " value=?1", "i", to));
	if (e != ERR_OK) {
		tx_rollback();
		return e;
	}
	*more = query_int64(stmt("SELECT max(id) FROM messages", ""), 0) > to;
	return tx_commit();
}

struct index_job {
	enum err e;
	bool more;
};

static void
index_job(void *arg)
{
	struct index_job *j = arg;

	j->e = index_some(&j->more);
}

enum err
db_search_index(void)
{
	struct index_job j;
	enum err e;

	do {
		/* Nothing new: no write at all. */
		if (query_int64(stmt("SELECT max(id) FROM messages", ""), 0) <=
		    indexed_upto())
			return ERR_OK;
		e = group_commit(index_job, &j);
		if (e == ERR_OK)
			e = j.e;
	} while (e == ERR_OK && j.more);
	return e;
}

json_t *
db_message_search(int64_t user, const char *match, int64_t chat, int limit,
    enum err *e)
{
	if ((*e = db_search_index()) != ERR_OK)
		return NULL;
	return messages_from(stmt("SELECT " MESSAGE_COLUMNS MESSAGE_FROM
	    " JOIN messages_fts f ON f.rowid=m.id"
	    " JOIN members b ON b.chat_id=m.chat_id AND b.user_id=?"
	    " WHERE messages_fts MATCH ? AND (?=0 OR m.chat_id=?)"
	    " ORDER BY f.rank LIMIT ?", "itiii", user, match, chat, chat,
	    (int64_t)limit), e);
}
