/*
 * checkpoint.c: WAL checkpoints on a thread of their own.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL
 * past 1,000 pages: here that is the group committer's COMMIT, so every
 * writer of the batch (and of the batches queued behind it) waited while
 * pages were copied into the database file and, with synchronous=FULL,
 * the file was synced: 9% of parleyd's CPU during a send load, all of it
 * on the one thread that all writes go through. Instead, each connection's
 * WAL hook only notes that the WAL has grown, and a checkpointer thread,
 * with its own connection, runs a PASSIVE checkpoint (it copies what no
 * reader still needs and never waits for a lock) beside the writers.
 *
 * Nothing is less durable: a commit is durable once it is in the WAL (and,
 * with FULL, synced); a checkpoint only moves pages. Several processes on
 * one file each run their own checkpointer; SQLite lets one checkpoint run
 * at a time and the others return at once.
 */
#include <pthread.h>
#include <stdio.h>

#include "internal.h"

/* WAL pages after which a checkpoint is asked for: SQLite's default. */
#define CHECKPOINT_PAGES 1000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wanted_cv = PTHREAD_COND_INITIALIZER;
static bool wanted;
static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static bool started;

static void *
checkpointer(void *unused)
{
	(void)unused;
	for (;;) {
		sqlite3 *db;

		pthread_mutex_lock(&lock);
		while (!wanted)
			pthread_cond_wait(&wanted_cv, &lock);
		wanted = false;
		pthread_mutex_unlock(&lock);
		if ((db = conn()) != NULL)
			(void)sqlite3_wal_checkpoint_v2(db, "main",
			    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	}
	return NULL;
}

static void
start_checkpointer(void)
{
	pthread_t t;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	started = pthread_create(&t, &attr, checkpointer, NULL) == 0;
	pthread_attr_destroy(&attr);
	if (!started)
		fprintf(stderr, "db: cannot start the checkpointer; checkpoints"
		    " run in the commits\n");
}

/* The WAL hook: called after each commit with the WAL's size in pages. */
static int
wal_grown(void *unused, sqlite3 *db, const char *name, int pages)
{
	(void)unused;
	if (pages < CHECKPOINT_PAGES)
		return SQLITE_OK;
	pthread_once(&start_once, start_checkpointer);
	if (!started) { /* in this commit, as SQLite would have done */
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	pthread_mutex_lock(&lock);
	wanted = true;
	pthread_cond_signal(&wanted_cv);
	pthread_mutex_unlock(&lock);
	return SQLITE_OK;
}

void
checkpoint_hook(sqlite3 *db)
{
	/* Replaces SQLite's automatic checkpoint, which is such a hook. */
	sqlite3_wal_hook(db, wal_grown, NULL);
}
