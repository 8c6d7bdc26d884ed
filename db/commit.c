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
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* Most jobs in one transaction: bounds the time a batch holds the lock. */
#define BATCH_MAX 512

struct job {
	void (*fn)(void *arg);
	void *arg;
	enum err result;        /* the batch's outcome */
	uint32_t done;          /* futex word: 0 while its batch runs */
	bool later;             /* group_commit_later(): nobody waits; the
	                         * committer frees it (arg follows it) */
	void (*notify)(void *); /* group_commit_queue(): told, not woken */
	void *notify_arg;
	struct job *next;
	struct job *wakes[2];   /* the waiters this one wakes when woken */
};

/* A writer sleeps on its job's done word, a futex of its own: woken, it
 * runs at once, where after a condition variable's wake-up it would wait
 * for the variable's lock, a second sleep and wake-up per send. The word
 * is the writer's (on its stack): once done is set the writer may return,
 * so a wake-up can reach a word that is gone, which a futex allows (a
 * spurious wake at most). */
static void
job_done(struct job *j)
{
	/* A queued job's owner may free it once done is set: read first. */
	void (*notify)(void *) = j->notify;
	void *notify_arg = j->notify_arg;

	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
	if (notify != NULL)
		notify(notify_arg);
	else
		(void)syscall(SYS_futex, &j->done, FUTEX_WAKE_PRIVATE, 1, NULL,
		    NULL, 0);
}

static void
job_wait(struct job *j)
{
	while (__atomic_load_n(&j->done, __ATOMIC_ACQUIRE) == 0)
		(void)syscall(SYS_futex, &j->done, FUTEX_WAIT_PRIVATE, 0, NULL,
		    NULL, 0);
	if (j->wakes[0] != NULL)
		job_done(j->wakes[0]);
	if (j->wakes[1] != NULL)
		job_done(j->wakes[1]);
}

/* Tells a batch's waiters its outcome. The committer wakes only the
 * first; each waiter wakes two more as it wakes (job_wait()), a binary
 * tree: a wake-up is a system call and a reschedule, and made one by one
 * they were 8% of the committer's time (perf), which is time every
 * send waits in line for. The tree spreads them over the writers' own
 * threads, at a depth of log2 of the batch. */
static void
wake_waiters(struct job *batch, enum err result)
{
	struct job *waiters[BATCH_MAX], *j, *rest;
	size_t n = 0, i;

	for (j = batch; j != NULL; j = rest) {
		rest = j->next; /* j is the waiter's: gone once done */
		if (j->later) {
			free(j);
			continue;
		}
		j->result = result;
		waiters[n++] = j;
	}
	for (i = 0; i < n; i++) {
		waiters[i]->wakes[0] = 2 * i + 1 < n ? waiters[2 * i + 1] : NULL;
		waiters[i]->wakes[1] = 2 * i + 2 < n ? waiters[2 * i + 2] : NULL;
	}
	if (n > 0)
		job_done(waiters[0]);
}

/* Runs the jobs of batch in one transaction: first with no savepoint per
 * job, and again with them if a job failed after it wrote (conn.c). */
static enum err
run_batch(struct job *batch, bool durable)
{
	bool savepoints = false;
	struct job *j;
	enum err e;

	for (;;) {
		if ((e = batch_begin(durable, savepoints)) != ERR_OK)
			return e;
		for (j = batch; j != NULL; j = j->next)
			j->fn(j->arg);
		if (savepoints || !batch_tainted())
			return batch_commit();
		batch_abandon();
		savepoints = true;
	}
}

/*
 * The queue: writers push their jobs onto a lock-free stack, and the
 * committer takes the whole stack at once and reverses it into arrival
 * order. With a mutex, 20-60 writers and the committer fought over the
 * lock, and every contended unlock cost a wake-up system call, often the
 * committer's. The committer sleeps on its own word only when it found
 * the stack empty: it sets `asleep`, then looks at the stack once more; a
 * writer pushes, then looks at `asleep`. Both in sequentially consistent
 * order, so one of them sees the other, and a writer makes no system call
 * while the committer is busy. A writer that sees `asleep` clears it
 * before its wake-up (enqueue()).
 */
static struct job *pushed;    /* the stack: the newest job first */
static uint32_t asleep;       /* futex word: 1 while the committer sleeps */
static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static bool started;

/* Every job pushed so far, oldest first; sleeps while there is none. */
static struct job *
take_all(void)
{
	struct job *stack, *fifo = NULL, *next;

	while ((stack = __atomic_exchange_n(&pushed, NULL,
	    __ATOMIC_SEQ_CST)) == NULL) {
		__atomic_store_n(&asleep, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&pushed, __ATOMIC_SEQ_CST) == NULL)
			(void)syscall(SYS_futex, &asleep, FUTEX_WAIT_PRIVATE, 1,
			    NULL, NULL, 0);
		__atomic_store_n(&asleep, 0, __ATOMIC_SEQ_CST);
	}
	for (; stack != NULL; stack = next) {
		next = stack->next;
		stack->next = fifo;
		fifo = stack;
	}
	return fifo;
}

static void *
committer(void *unused)
{
	struct job *backlog = NULL;

	(void)unused;
	for (;;) {
		struct job *batch, *j;
		size_t n;
		enum err e;

		if (backlog == NULL)
			backlog = take_all();
		batch = backlog;
		for (j = batch, n = 1; j->next != NULL && n < BATCH_MAX; n++)
			j = j->next;
		backlog = j->next;
		j->next = NULL;

		/* A batch of later jobs only needs no sync of its own: the
		 * next durable commit syncs the WAL up to it. */
		for (j = batch; j != NULL && j->later; j = j->next)
			;
		e = run_batch(batch, j != NULL);
		wake_waiters(batch, e);
	}
	return NULL;
}

/* Pushes j for the committer, and wakes it if it sleeps. */
static void
enqueue(struct job *j)
{
	struct job *top = __atomic_load_n(&pushed, __ATOMIC_RELAXED);

	do
		j->next = top;
	while (!__atomic_compare_exchange_n(&pushed, &top, j, true,
	    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	/* The word is cleared before the wake-up: a committer that found
	 * the stack empty just before this push, and is only now entering
	 * FUTEX_WAIT, then returns at once instead of sleeping through a
	 * wake-up made too early (the first send of a new process waited
	 * for ever so: tests/unit/test_commit.c). */
	if (__atomic_load_n(&asleep, __ATOMIC_SEQ_CST) != 0 &&
	    __atomic_exchange_n(&asleep, 0, __ATOMIC_SEQ_CST) != 0)
		(void)syscall(SYS_futex, &asleep, FUTEX_WAKE_PRIVATE, 1, NULL,
		    NULL, 0);
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
	if (started) /* for top -H and perf; else it is named after its creator */
		pthread_setname_np(t, "committer");
	if (!started)
		fprintf(stderr, "db: cannot start the group committer; writing"
		    " one transaction per request\n");
}

/* True if jobs go to the committer thread: an in-memory database exists
 * only on the caller's connection, where the committer could not see it,
 * and without the thread a job runs in its caller as a batch of one. */
static bool
committer_runs(void)
{
	if (db_private())
		return false;
	pthread_once(&start_once, start_committer);
	return started;
}

/* Hands j to the committer; without one, runs it here as a batch of one
 * and returns true (it is then done, and nobody else will tell). */
static bool
submit(struct job *j)
{
	db_read_end(); /* the caller reads what the batch wrote */
	if (committer_runs()) {
		enqueue(j);
		return false;
	}
	j->result = run_batch(j, true);
	j->done = 1;
	return true;
}

enum err
group_commit(void (*fn)(void *arg), void *arg)
{
	struct job j = { .fn = fn, .arg = arg };

	(void)submit(&j);
	job_wait(&j);
	return j.result;
}

struct commit_job *
group_commit_job(void (*fn)(void *arg), void *arg)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j != NULL) {
		j->fn = fn;
		j->arg = arg;
	}
	return (struct commit_job *)j;
}

void
group_commit_queue(struct commit_job *cj, void (*notify)(void *),
    void *notify_arg)
{
	struct job *j = (struct job *)cj;

	j->notify = notify;
	j->notify_arg = notify_arg;
	if (submit(j))
		notify(notify_arg);
}

enum err
group_commit_end(struct commit_job *cj)
{
	struct job *j = (struct job *)cj;
	enum err e;

	if (j->notify == NULL) /* never queued: run it now */
		(void)submit(j);
	job_wait(j);
	e = j->result;
	free(j);
	return e;
}

void
group_commit_later(void (*fn)(void *arg), void *arg, size_t len)
{
	struct job *j;

	db_read_end();
	if (!committer_runs() || (j = calloc(1, sizeof(*j) + len)) == NULL) {
		(void)group_commit(fn, arg); /* here, or waiting: still done */
		return;
	}
	j->fn = fn;
	j->arg = j + 1;
	memcpy(j->arg, arg, len);
	j->later = true;
	enqueue(j);
}
