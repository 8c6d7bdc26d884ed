/*
 * commit.c: group commit.
 *
 * With synchronous=FULL every COMMIT waits for the disk (an fdatasync,
 * ~130 us here), so one transaction per message caps a process at a few
 * thousand sends a second however many threads wait. Instead, writers
 * hand their work to the process's one committer thread as jobs. The
 * committer takes every job waiting, runs them all inside one BEGIN
 * IMMEDIATE ... COMMIT (each job in its own SAVEPOINT, so one job's
 * failure rolls back only that job), rings the bells of every user they
 * queued events for, and only then wakes the writers: an answer is never
 * sent for a write that is not durable. Under load, batches grow by
 * themselves (everything that arrived during one commit goes into the
 * next); with a single writer, a batch is one job and costs one extra
 * thread hand-off.
 *
 * It also makes writers fair across processes: each process holds the
 * write lock once per batch, not once per message, so a busy process can
 * no longer starve another by winning the lock again and again.
 */
#include <pthread.h>
#include <stdio.h>

#include "internal.h"

/* Most jobs in one transaction: bounds the time a batch holds the lock. */
#define BATCH_MAX 512

struct job {
	void (*fn)(void *arg);
	void *arg;
	enum err result;        /* the batch's outcome */
	bool done;
	pthread_cond_t done_cv;
	struct job *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t have_jobs = PTHREAD_COND_INITIALIZER;
static struct job *head, **tailp = &head;
static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static bool started;

static void *
committer(void *unused)
{
	(void)unused;
	for (;;) {
		struct job *batch, *j, *rest;
		size_t n;
		enum err e;

		pthread_mutex_lock(&lock);
		while (head == NULL)
			pthread_cond_wait(&have_jobs, &lock);
		batch = head;
		for (j = batch, n = 1; j->next != NULL && n < BATCH_MAX; n++)
			j = j->next;
		rest = j->next;
		j->next = NULL;
		head = rest;
		if (head == NULL)
			tailp = &head;
		pthread_mutex_unlock(&lock);

		e = batch_begin();
		if (e == ERR_OK) {
			for (j = batch; j != NULL; j = j->next)
				j->fn(j->arg);
			e = batch_commit();
		}

		pthread_mutex_lock(&lock);
		for (j = batch; j != NULL; j = rest) {
			rest = j->next; /* j is the waiter's: gone once done */
			j->result = e;
			j->done = true;
			pthread_cond_signal(&j->done_cv);
		}
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void
start_committer(void)
{
	pthread_t t;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	started = pthread_create(&t, &attr, committer, NULL) == 0;
	pthread_attr_destroy(&attr);
	if (!started)
		fprintf(stderr, "db: cannot start the group committer; writing"
		    " one transaction per request\n");
}

enum err
group_commit(void (*fn)(void *arg), void *arg)
{
	struct job j = { .fn = fn, .arg = arg };
	enum err e;

	db_read_end(); /* the caller reads what the batch wrote */
	/* An in-memory database exists only on the caller's connection: the
	 * committer could not see it. Run the job here, as a batch of one. */
	if (!db_private())
		pthread_once(&start_once, start_committer);
	if (!started || db_private()) {
		if ((e = batch_begin()) != ERR_OK)
			return e;
		fn(arg);
		return batch_commit();
	}
	pthread_cond_init(&j.done_cv, NULL);
	pthread_mutex_lock(&lock);
	*tailp = &j;
	tailp = &j.next;
	pthread_cond_signal(&have_jobs);
	while (!j.done)
		pthread_cond_wait(&j.done_cv, &lock);
	pthread_mutex_unlock(&lock);
	pthread_cond_destroy(&j.done_cv);
	return j.result;
}
