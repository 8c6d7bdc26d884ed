/*
 * park.c: holding long-polls in parleyd without a thread each.
 *
 * The life of a parked poll
 * -------------------------
 * Park. GET /events finds no event after the client's cursor: api_handle()
 * leaves a WAIT verdict in c->resp (the user, the user's bell sequence
 * number as read BEFORE the query, the deadline) and answer() calls
 * park(c). Under the table's lock park() reads the bell again. If it moved,
 * an event may have committed after the query: the handler runs again at
 * once, in this thread. Otherwise park() allocates a struct waiter (56
 * bytes), links it into the list of the user's bell slot and into the
 * deadline heap, and suspends the connection: libmicrohttpd stops watching
 * its socket and the pool thread returns to other connections. From now on
 * the poll is a row in this table and a socket; no thread is tied to it.
 *
 * Wake. One waker thread sleeps on the bell's global counter. A writer (in
 * any process) that commits events rings its users' slots and then the
 * global counter. The waker wakes, compares the slots with its own snapshot
 * (bell_changed()), and walks the waiters of each changed slot: those whose
 * sequence number differs from the slot's value are unlinked and resumed.
 * A user who shares the slot with the rung user is resumed too; the handler
 * finds nothing for them and parks them again: one spurious query.
 * Resuming gives the connection back to its pool thread, which calls
 * answer() and so api_handle() again with the same struct request. From
 * the moment MHD_resume_connection() is called, that thread may finish and
 * free the connection (MEASURED.md, pitfall 2): the waker unlinks the
 * waiter and takes what it needs under the lock, and resumes last, after
 * the unlock, touching nothing of the connection afterwards.
 *
 * Time out. The heap orders the waiters by deadline. The waker sleeps no
 * longer than until the earliest one (and at most PARK_TICK_MS), and
 * resumes those whose deadline passed; the handler, called after its
 * deadline, answers with what it has (an empty page).
 *
 * Client gone. libmicrohttpd does not watch a suspended socket, so it
 * would not notice a client that went away (pitfall 3) until the deadline.
 * Every PARK_TICK_MS the waker polls the parked sockets, PARK_PROBE_BATCH
 * at a time under the lock (one poll() each, no wait). A socket that hung
 * up or failed has its connection resumed with c->waiter = &gone_mark: if
 * the handler has events it writes them into the void; if it parks again,
 * park() sees the mark and answers an empty 499 with "Connection: close",
 * and libmicrohttpd closes the connection and frees the request.
 *
 * Shutdown. park_stop() sets api_stopping (handlers then answer at once
 * instead of waiting), closes the table so that park() suspends nothing
 * more, resumes every waiter with c->waiter = &stop_mark, wakes and joins
 * the waker, and waits (at most PARK_DRAIN_MS) until those requests have
 * completed: MHD_stop_daemon() must not find a suspended connection, and
 * the clients get their (empty) answer rather than a reset.
 *
 * Cleanup. The request-completed callback calls park_forget(c) for every
 * request that ends. A request still in the table (closed some other way)
 * is unlinked there; a stop_mark counts one drained request. Whoever
 * unlinks a waiter frees it. Only the lock's holder touches c->waiter,
 * except that the pool thread that owns an unparked connection may read
 * it (nobody else writes it then).
 *
 * Memory per held poll: the struct waiter and a heap pointer (64 bytes);
 * the slot heads (512 KiB) and the waker's snapshot (256 KiB) are
 * per process. The rest is libmicrohttpd's connection and struct conn.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../api/clock.h"
#include "../db/bell.h"
#include "httpd.h"

/* The waker sleeps at most this long, and probes the parked sockets for a
 * hang-up this often. */
#define PARK_TICK_MS 1000

/* Sockets probed per poll() call and per hold of the lock: 256 sockets
 * cost about 50 us, so parking is never held up longer than that. */
#define PARK_PROBE_BATCH 256

/* How long park_stop() waits for the polls it resumed to be answered. */
#define PARK_DRAIN_MS 2000

/* The heap's first size; it doubles as needed and never shrinks. */
#define PARK_HEAP_INITIAL 1024

struct waiter {
	struct MHD_Connection *mhd; /* to resume; the only thing used after
	                             * the waiter left the table */
	struct conn *c;             /* its request; c->waiter points back */
	struct waiter *prev, *next; /* the slot's list; next also chains a
	                             * batch to resume */
	int64_t deadline_ms;        /* CLOCK_REALTIME, from the verdict */
	uint32_t seq;               /* the bell value the handler saw */
	uint32_t slot;              /* bell_slot(user) */
	uint32_t heap_i;            /* index in table.heap */
	int fd;                     /* the socket, for the hang-up probe */
};

/* Values of c->waiter for a request no longer in the table: its client
 * went away; it was resumed by park_stop(). */
static struct waiter gone_mark, stop_mark;
const struct waiter *const park_gone_mark = &gone_mark;

static struct {
	pthread_mutex_t lock;       /* guards all below, and c->waiter */
	pthread_cond_t drained;     /* draining reached 0 */
	struct waiter **slots;      /* BELL_SLOTS list heads */
	struct waiter **heap;       /* min-heap by deadline_ms */
	size_t n, cap;              /* waiters in the heap (= in the table) */
	uint32_t *snap;             /* the waker's copy of the bell's slots */
	uint32_t global;            /* bell_global() read before snap */
	uint32_t journal;           /* the bell journal's position read */
	pthread_t waker;
	bool running;               /* the waker thread was started */
	bool stopping;              /* park_stop() began: park nothing */
	size_t draining;            /* resumed by park_stop(), not completed */
} table = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.drained = PTHREAD_COND_INITIALIZER,
};

/* --- the deadline heap --- */

static void
heap_set(size_t i, struct waiter *w)
{
	table.heap[i] = w;
	w->heap_i = (uint32_t)i;
}

static void
heap_up(size_t i)
{
	struct waiter *w = table.heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (table.heap[parent]->deadline_ms <= w->deadline_ms)
			break;
		heap_set(i, table.heap[parent]);
		i = parent;
	}
	heap_set(i, w);
}

static void
heap_down(size_t i)
{
	struct waiter *w = table.heap[i];

	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= table.n)
			break;
		if (child + 1 < table.n && table.heap[child + 1]->deadline_ms <
		    table.heap[child]->deadline_ms)
			child++;
		if (w->deadline_ms <= table.heap[child]->deadline_ms)
			break;
		heap_set(i, table.heap[child]);
		i = child;
	}
	heap_set(i, w);
}

static void
heap_remove(struct waiter *w)
{
	size_t i = w->heap_i;
	struct waiter *last = table.heap[--table.n];

	if (last == w)
		return;
	heap_set(i, last);
	if (i > 0 && table.heap[(i - 1) / 2]->deadline_ms > last->deadline_ms)
		heap_up(i);
	else
		heap_down(i);
}

/* --- the table --- */

/* Adds c (its resp says WAIT) to the table. Returns 0, or -1 when out of
 * memory. Called with the lock held. */
static int
hold(struct conn *c)
{
	const union MHD_ConnectionInfo *ci;
	struct waiter *w;

	if (table.n == table.cap) {
		size_t cap = table.cap ? 2 * table.cap : PARK_HEAP_INITIAL;
		struct waiter **h = realloc(table.heap, cap * sizeof(*h));
		if (h == NULL)
			return -1;
		table.heap = h;
		table.cap = cap;
	}
	if ((w = malloc(sizeof(*w))) == NULL)
		return -1;
	ci = MHD_get_connection_info(c->mhd, MHD_CONNECTION_INFO_CONNECTION_FD);
	w->mhd = c->mhd;
	w->c = c;
	w->deadline_ms = c->resp.wait_deadline_ms;
	w->seq = c->resp.wait_seq;
	w->slot = bell_slot(c->resp.wait_user);
	w->fd = ci != NULL ? ci->connect_fd : -1;
	w->prev = NULL;
	w->next = table.slots[w->slot];
	if (w->next != NULL)
		w->next->prev = w;
	table.slots[w->slot] = w;
	table.heap[table.n] = w;
	heap_up(table.n++);
	c->waiter = w;
	return 0;
}

/* Takes w out of the table, sets its request's c->waiter to mark (NULL,
 * &gone_mark or &stop_mark) and pushes w on *batch, to be resumed after
 * the lock is released. Called with the lock held. */
static void
detach(struct waiter *w, struct waiter *mark, struct waiter **batch)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		table.slots[w->slot] = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	heap_remove(w);
	w->c->waiter = mark;
	w->c = NULL;
	w->next = *batch;
	*batch = w;
}

/* Resumes and frees the waiters of batch. Called WITHOUT the lock: once a
 * connection is resumed, its pool thread may free it (pitfall 2). */
static void
resume(struct waiter *batch)
{
	while (batch != NULL) {
		struct waiter *next = batch->next;
		struct MHD_Connection *mhd = batch->mhd;
		free(batch);
		MHD_resume_connection(mhd);
		batch = next;
	}
}

/* bell_changed()'s callback: detaches the waiters of slot that saw another
 * value than the slot's new one (table.snap[slot]). */
static void
on_slot(uint32_t slot, void *arg)
{
	struct waiter *w, *next;
	uint32_t now = table.snap[slot];

	for (w = table.slots[slot]; w != NULL; w = next) {
		next = w->next;
		if (w->seq != now)
			detach(w, NULL, arg);
	}
}

/* Detaches the waiters whose deadline passed. Called with the lock. */
static void
expire(struct waiter **batch)
{
	int64_t now = now_ms();

	while (table.n > 0 && table.heap[0]->deadline_ms <= now)
		detach(table.heap[0], NULL, batch);
}

/* Probes every parked socket for a hang-up and resumes those whose client
 * went away. The lock is taken per batch; a waiter that moves in the heap
 * between two batches may be skipped until the next round. */
static void
probe_all(void)
{
	struct pollfd fds[PARK_PROBE_BATCH];
	struct waiter *ws[PARK_PROBE_BATCH];
	size_t i = 0, k, n;

	for (;;) {
		struct waiter *batch = NULL;

		pthread_mutex_lock(&table.lock);
		if (table.stopping || i >= table.n) {
			pthread_mutex_unlock(&table.lock);
			return;
		}
		for (n = 0; n < PARK_PROBE_BATCH && i < table.n; i++) {
			ws[n] = table.heap[i];
			if (ws[n]->fd < 0)
				continue;
			fds[n].fd = ws[n]->fd;
			fds[n].events = POLLRDHUP;
			fds[n].revents = 0;
			n++;
		}
		if (n > 0 && poll(fds, n, 0) > 0)
			for (k = 0; k < n; k++)
				if (fds[k].revents & (POLLRDHUP | POLLHUP |
				    POLLERR | POLLNVAL))
					detach(ws[k], &gone_mark, &batch);
		pthread_mutex_unlock(&table.lock);
		resume(batch);
	}
}

/* How long the waker may sleep: until the earliest deadline or the next
 * probe, at most PARK_TICK_MS. Called with the lock. */
static int
waker_timeout(int64_t probe_due_us)
{
	int64_t t = PARK_TICK_MS, left;

	if (table.n > 0) {
		left = table.heap[0]->deadline_ms - now_ms();
		if (left < t)
			t = left;
	}
	left = (probe_due_us - mono_us() + 999) / 1000;
	if (left < t)
		t = left;
	return t < 0 ? 0 : (int)t;
}

static void *
waker(void *arg)
{
	int64_t probe_due = mono_us() + PARK_TICK_MS * 1000;

	(void)arg;
	for (;;) {
		struct waiter *batch = NULL;
		int ms;

		pthread_mutex_lock(&table.lock);
		if (table.stopping) {
			pthread_mutex_unlock(&table.lock);
			return NULL;
		}
		ms = waker_timeout(probe_due);
		pthread_mutex_unlock(&table.lock);

		bell_wait_global(table.global, ms);

		pthread_mutex_lock(&table.lock);
		/* The global counter first, then the slots: a ring that the
		 * scan misses moves the counter after this read. */
		table.global = bell_global();
		bell_changed_since(table.snap, &table.journal, on_slot, &batch);
		expire(&batch);
		pthread_mutex_unlock(&table.lock);
		resume(batch);

		if (mono_us() >= probe_due) {
			probe_all();
			probe_due = mono_us() + PARK_TICK_MS * 1000;
		}
	}
}

/* --- the interface of httpd.h --- */

int
park_init(void)
{
	table.slots = calloc(BELL_SLOTS, sizeof(*table.slots));
	table.snap = calloc(BELL_SLOTS, sizeof(*table.snap));
	if (table.slots == NULL || table.snap == NULL) {
		fprintf(stderr, "parleyd: out of memory for the waiter table\n");
		return -1;
	}
	table.global = bell_global();
	table.journal = bell_journal_pos();
	bell_changed(table.snap, NULL, NULL);
	return 0;
}

int
park_start(struct MHD_Daemon *d)
{
	int e;

	(void)d;
	e = pthread_create(&table.waker, NULL, waker, NULL);
	if (e != 0) {
		fprintf(stderr, "parleyd: cannot start the waker: %s\n",
		    strerror(e));
		return -1;
	}
	pthread_setname_np(table.waker, "waker");
	table.running = true;
	return 0;
}

void
park_stop(void)
{
	struct waiter *batch = NULL;
	struct timespec until;

	api_stopping = 1;
	pthread_mutex_lock(&table.lock);
	table.stopping = true;
	while (table.n > 0) {
		detach(table.heap[0], &stop_mark, &batch);
		table.draining++;
	}
	pthread_mutex_unlock(&table.lock);
	resume(batch);

	if (table.running) {
		/* Wake the waker: it sees stopping and leaves. (Other
		 * processes' wakers scan once and find nothing.) */
		bell_ring(NULL, 0);
		pthread_join(table.waker, NULL);
		table.running = false;
	}

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += PARK_DRAIN_MS / 1000;
	until.tv_nsec += (long)(PARK_DRAIN_MS % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&table.lock);
	while (table.draining > 0)
		if (pthread_cond_timedwait(&table.drained, &table.lock,
		    &until) == ETIMEDOUT)
			break;
	if (table.draining > 0)
		fprintf(stderr, "parleyd: %zu held polls not answered in"
		    " time\n", table.draining);
	pthread_mutex_unlock(&table.lock);
}

void
park_forget(struct conn *c)
{
	struct waiter *batch = NULL;

	/* Only this connection's pool thread makes c->waiter non-NULL, so
	 * NULL read here without the lock stays NULL: most requests never
	 * parked and pay nothing. */
	if (__atomic_load_n(&c->waiter, __ATOMIC_RELAXED) == NULL)
		return;
	pthread_mutex_lock(&table.lock);
	if (c->waiter == &stop_mark) {
		if (--table.draining == 0)
			pthread_cond_broadcast(&table.drained);
	} else if (c->waiter != &gone_mark) {
		/* Closed while parked: nobody resumes it. */
		detach(c->waiter, NULL, &batch);
		free(batch);
	}
	c->waiter = NULL;
	pthread_mutex_unlock(&table.lock);
	/* libmicrohttpd closed it (the client went away) before the
	 * handler ran again: its verdict is still WAIT. Log it as nginx
	 * does a request whose client closed. */
	if (c->resp.wait) {
		c->resp.status = STATUS_CLIENT_GONE;
		api_finish(&c->req, &c->resp);
	}
}

/* Replaces c's response with error e (the WAIT verdict is dropped). */
static enum MHD_Result
refuse(struct conn *c, enum err e, const char *why)
{
	api_response_free(&c->resp);
	api_response_init(&c->resp);
	reply_error(&c->resp, &c->req, e, NULL, "%s", why);
	return send_response(c);
}

enum MHD_Result
park(struct conn *c)
{
	struct response *r = &c->resp;
	bool stopping, ran_in_stop = false;

	for (;;) {
		pthread_mutex_lock(&table.lock);
		if (c->waiter == &gone_mark) {
			/* The client went away while parked, and there is
			 * still nothing to say: an empty answer that closes
			 * the connection (returning MHD_NO would do too, but
			 * libmicrohttpd logs each as an internal error). */
			c->waiter = NULL;
			pthread_mutex_unlock(&table.lock);
			api_response_free(r);
			api_response_init(r);
			r->status = STATUS_CLIENT_GONE;
			response_header(r, "Connection", "close");
			return send_response(c);
		}
		stopping = table.stopping;
		if (!stopping && bell_seq(r->wait_user) == r->wait_seq) {
			if (hold(c) == 0) {
				/* Its answer is made anew when it wakes: its
				 * headers need no memory meanwhile (the WAIT
				 * verdict stays). */
				api_response_free(r);
				/* Suspended under the lock, so that the waker
				 * cannot resume it before it is suspended.
				 * After the unlock, c is not ours to touch. */
				MHD_suspend_connection(c->mhd);
				pthread_mutex_unlock(&table.lock);
				return MHD_YES;
			}
			pthread_mutex_unlock(&table.lock);
			return refuse(c, ERR_UNAVAILABLE,
			    "out of memory for a held poll");
		}
		pthread_mutex_unlock(&table.lock);

		/* The bell moved since the handler read it (or we stop):
		 * run the handler again now. While stopping the handler
		 * does not wait; should it still, answer 503. */
		if (stopping && ran_in_stop)
			return refuse(c, ERR_UNAVAILABLE,
			    "the server is stopping");
		ran_in_stop = stopping;
		api_response_free(r);
		api_response_init(r);
		api_handle(&c->req, r);
		if (!r->wait)
			return send_response(c);
	}
}
