/*
 * park.c: holding long-polls without a thread each, for both fronts.
 *
 * The life of a parked poll
 * -------------------------
 * Park. GET /events finds no event after the client's cursor: api_handle()
 * leaves a WAIT verdict in resp (the user, the user's bell sequence number
 * as read BEFORE the query, the deadline) and the front calls park(). Under
 * the table's lock park() reads the bell again. If it moved, an event may
 * have committed after the query: the handler runs again at once, in this
 * thread. Otherwise park() allocates a struct waiter (56 bytes), links it
 * into the list of the user's bell slot and into the deadline heap, and
 * calls the front's set_aside() under the lock: parleyd suspends the
 * connection (libmicrohttpd stops watching its socket), parley.fcgi has
 * nothing to do. The front's thread returns to other requests. From now
 * on the poll is a row in this table and a socket; no thread is tied to it.
 *
 * Wake. One waker thread sleeps on the bell's global counter. A writer (in
 * any process) that commits events rings its users' slots and then the
 * global counter. The waker wakes, compares the slots with its own snapshot
 * (bell_changed()), and walks the waiters of each changed slot: those whose
 * sequence number differs from the slot's value are unlinked and handed
 * back to the front (its wake() callback): parleyd resumes the connection,
 * whose pool thread runs the handler again with the same struct request;
 * parley.fcgi queues the request for its answering threads. A user who
 * shares the slot with the rung user is woken too; the handler finds
 * nothing for them and parks them again: one spurious query. From the
 * moment wake() is called, another thread may finish and free the request
 * (MEASURED.md, pitfall 2): the waker unlinks the waiter under the lock and
 * calls wake() last, after the unlock, touching nothing of it afterwards.
 *
 * Time out. The heap orders the waiters by deadline. The waker sleeps no
 * longer than until the earliest one (and at most PARK_TICK_MS), and wakes
 * those whose deadline passed; the handler, called after its deadline,
 * answers with what it has (an empty page).
 *
 * Client gone. Nobody watches a parked socket (libmicrohttpd does not
 * watch a suspended one, pitfall 3; libfcgi watches nothing), so a client
 * that went away would go unnoticed until the deadline. Every
 * PARK_PROBE_MS a thread of its own, the prober, polls the parked sockets,
 * PARK_PROBE_BATCH at a time under the lock (one poll() each, no wait),
 * for the front's gone_events. (Not the waker: 10,000 sockets take it
 * 2 ms, and wake-ups held up for that made delivery's p99 3-6 ms instead
 * of 1-2, docs/BENCHMARKS.md.) A request
 * whose socket shows one is woken with its place set to &gone_mark: if
 * the handler has events it writes them into the void; if it parks again,
 * park() sees the mark and answers 499 (STATUS_CLIENT_GONE), which the
 * front closes without an answer.
 *
 * Shutdown. park_stop() sets api_stopping (handlers then answer at once
 * instead of waiting), closes the table so that park() holds nothing
 * more, wakes every waiter with its place set to &stop_mark, wakes and
 * joins the waker, and waits (at most PARK_DRAIN_MS) until those requests
 * have ended (park_forget()): parleyd's MHD_stop_daemon() must not find a
 * suspended connection, and the clients get their (empty) answer rather
 * than a reset.
 *
 * Cleanup. The front calls park_forget() for every request that ends. A
 * request still in the table (closed some other way) is unlinked there; a
 * stop_mark counts one drained request. Whoever unlinks a waiter frees it.
 * Only the lock's holder writes a place, except that the thread that owns
 * a request not in the table may read it (nobody else writes it then).
 *
 * Memory per held poll: the struct waiter and a heap pointer (64 bytes);
 * the slot heads (512 KiB) and the waker's snapshot (256 KiB) are
 * per process. The rest is the front's.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "../db/bell.h"
#include "park.h"

/* The waker sleeps at most this long. */
#define PARK_TICK_MS 1000

/* The prober looks at the parked sockets this often: a client gone is
 * noticed within this time. */
#define PARK_PROBE_MS 250

/* Sockets probed per poll() call and per hold of the lock: 256 sockets
 * cost about 50 us, so parking is never held up longer than that. */
#define PARK_PROBE_BATCH 256

/* How long park_stop() waits for the polls it resumed to be answered. */
#define PARK_DRAIN_MS 2000

/* The heap's first size; it doubles as needed and never shrinks. */
#define PARK_HEAP_INITIAL 1024

struct waiter {
	void *owner;                /* the front's request, given to wake() */
	struct waiter **place;      /* the front's place; points back here */
	struct waiter *prev, *next; /* the slot's list; next also chains a
	                             * batch to resume */
	int64_t deadline_ms;        /* CLOCK_REALTIME, from the verdict */
	uint32_t seq;               /* the bell value the handler saw */
	uint32_t slot;              /* bell_slot(user) */
	uint32_t heap_i;            /* index in table.heap */
	int fd;                     /* the socket, for the hang-up probe */
};

/* Values of a place whose request is no longer in the table: its client
 * went away; it was woken by park_stop(). */
static struct waiter gone_mark, stop_mark;

static struct {
	pthread_mutex_t lock;       /* guards all below, and the places */
	pthread_cond_t drained;     /* draining reached 0 */
	pthread_cond_t stopped;     /* stopping was set */
	struct waiter **slots;      /* BELL_SLOTS list heads */
	struct waiter **heap;       /* min-heap by deadline_ms */
	size_t n, cap;              /* waiters in the heap (= in the table) */
	uint32_t *snap;             /* the waker's copy of the bell's slots */
	uint32_t global;            /* bell_global() read before snap */
	uint32_t journal;           /* the bell journal's position read */
	void (*wake)(void *owner);  /* the front's, from park_init() */
	short gone_events;          /* poll() events that say "client gone" */
	const char *name;           /* the program, for its messages */
	pthread_t waker, prober;
	bool running;               /* both threads were started */
	bool stopping;              /* park_stop() began: park nothing */
	size_t draining;            /* resumed by park_stop(), not completed */
} table = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.drained = PTHREAD_COND_INITIALIZER,
	.stopped = PTHREAD_COND_INITIALIZER,
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

/* Adds owner, whose resp says WAIT, to the table at *place. Returns 0, or
 * -1 when out of memory. Called with the lock held. */
static int
hold(struct waiter **place, void *owner, int fd, const struct response *r)
{
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
	w->owner = owner;
	w->place = place;
	w->deadline_ms = r->wait_deadline_ms;
	w->seq = r->wait_seq;
	w->slot = bell_slot(r->wait_user);
	w->fd = fd;
	w->prev = NULL;
	w->next = table.slots[w->slot];
	if (w->next != NULL)
		w->next->prev = w;
	table.slots[w->slot] = w;
	table.heap[table.n] = w;
	heap_up(table.n++);
	*place = w;
	return 0;
}

/* Takes w out of the table, sets its request's place to mark (NULL,
 * &gone_mark or &stop_mark) and pushes w on *batch, to be woken after the
 * lock is released. Called with the lock held. */
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
	*w->place = mark;
	w->place = NULL;
	w->next = *batch;
	*batch = w;
}

/* Hands the requests of batch back to the front and frees the waiters.
 * Called WITHOUT the lock: once woken, a request may be finished and freed
 * by another thread (pitfall 2). */
static void
resume(struct waiter *batch)
{
	while (batch != NULL) {
		struct waiter *next = batch->next;
		void *owner = batch->owner;
		free(batch);
		table.wake(owner);
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
			fds[n].events = table.gone_events;
			fds[n].revents = 0;
			n++;
		}
		if (n > 0 && poll(fds, n, 0) > 0)
			for (k = 0; k < n; k++)
				if (fds[k].revents != 0)
					detach(ws[k], &gone_mark, &batch);
		pthread_mutex_unlock(&table.lock);
		resume(batch);
	}
}

static void *
prober(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&table.lock);
	while (!table.stopping) {
		struct timespec until = realtime_in(PARK_PROBE_MS);
		while (!table.stopping && pthread_cond_timedwait(&table.stopped,
		    &table.lock, &until) != ETIMEDOUT)
			;
		if (table.stopping)
			break;
		pthread_mutex_unlock(&table.lock);
		probe_all();
		pthread_mutex_lock(&table.lock);
	}
	pthread_mutex_unlock(&table.lock);
	return NULL;
}

/* How long the waker may sleep: until the earliest deadline, at most
 * PARK_TICK_MS. Called with the lock. */
static int
waker_timeout(void)
{
	int64_t t = PARK_TICK_MS, left;

	if (table.n > 0) {
		left = table.heap[0]->deadline_ms - now_ms();
		if (left < t)
			t = left;
	}
	return t < 0 ? 0 : (int)t;
}

static void *
waker(void *arg)
{
	(void)arg;
	for (;;) {
		struct waiter *batch = NULL;
		int ms;

		pthread_mutex_lock(&table.lock);
		if (table.stopping) {
			pthread_mutex_unlock(&table.lock);
			return NULL;
		}
		ms = waker_timeout();
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
	}
}

/* --- the interface of park.h --- */

int
park_init(const char *name, void (*wake)(void *owner), short gone_events)
{
	table.name = name;
	table.wake = wake;
	table.gone_events = gone_events;
	table.slots = calloc(BELL_SLOTS, sizeof(*table.slots));
	table.snap = calloc(BELL_SLOTS, sizeof(*table.snap));
	if (table.slots == NULL || table.snap == NULL) {
		fprintf(stderr, "%s: out of memory for the waiter table\n", name);
		return -1;
	}
	table.global = bell_global();
	table.journal = bell_journal_pos();
	bell_changed(table.snap, NULL, NULL);
	return 0;
}

int
park_start(void)
{
	int e;

	e = pthread_create(&table.waker, NULL, waker, NULL);
	if (e == 0) {
		e = pthread_create(&table.prober, NULL, prober, NULL);
		if (e != 0) { /* the waker must not outlive a failed start */
			pthread_mutex_lock(&table.lock);
			table.stopping = true;
			pthread_mutex_unlock(&table.lock);
			bell_ring(NULL, 0);
			pthread_join(table.waker, NULL);
		}
	}
	if (e != 0) {
		fprintf(stderr, "%s: cannot start the waker: %s\n", table.name,
		    strerror(e));
		return -1;
	}
	pthread_setname_np(table.waker, "waker");
	pthread_setname_np(table.prober, "prober");
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
	pthread_cond_broadcast(&table.stopped);
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
		pthread_join(table.prober, NULL);
		table.running = false;
	}

	until = realtime_in(PARK_DRAIN_MS);
	pthread_mutex_lock(&table.lock);
	while (table.draining > 0)
		if (pthread_cond_timedwait(&table.drained, &table.lock,
		    &until) == ETIMEDOUT)
			break;
	if (table.draining > 0)
		fprintf(stderr, "%s: %zu held polls not answered in time\n",
		    table.name, table.draining);
	pthread_mutex_unlock(&table.lock);
}

void
park_forget(struct waiter **place)
{
	struct waiter *batch = NULL;

	/* Only the request's own thread makes *place non-NULL, so NULL read
	 * here without the lock stays NULL: most requests never parked and
	 * pay nothing. */
	if (__atomic_load_n(place, __ATOMIC_RELAXED) == NULL)
		return;
	pthread_mutex_lock(&table.lock);
	if (*place == &stop_mark) {
		if (--table.draining == 0)
			pthread_cond_broadcast(&table.drained);
	} else if (*place != &gone_mark) {
		/* Closed while parked: nobody wakes it. */
		detach(*place, NULL, &batch);
		free(batch);
	}
	*place = NULL;
	pthread_mutex_unlock(&table.lock);
}

bool
park_client_gone(struct waiter *const *place)
{
	return __atomic_load_n(place, __ATOMIC_RELAXED) == &gone_mark;
}

/* Replaces resp with error e (the WAIT verdict is dropped). */
static void
refuse(struct request *req, struct response *resp, enum err e,
    const char *why)
{
	api_response_free(resp);
	api_response_init(resp);
	reply_error(resp, req, e, NULL, "%s", why);
}

bool
park(struct waiter **place, void *owner, int fd, struct request *req,
    struct response *resp, void (*set_aside)(void *owner))
{
	bool stopping, ran_in_stop = false;

	for (;;) {
		pthread_mutex_lock(&table.lock);
		if (*place == &gone_mark) {
			/* The client went away while parked, and there is
			 * still nothing to say: nobody to answer. */
			*place = NULL;
			pthread_mutex_unlock(&table.lock);
			api_response_free(resp);
			api_response_init(resp);
			resp->status = STATUS_CLIENT_GONE;
			return false;
		}
		stopping = table.stopping;
		if (!stopping && bell_seq(resp->wait_user) == resp->wait_seq) {
			if (hold(place, owner, fd, resp) == 0) {
				/* Its answer is made anew when it wakes: its
				 * headers need no memory meanwhile (the WAIT
				 * verdict stays). */
				api_response_free(resp);
				/* Set aside under the lock, so that the waker
				 * cannot wake it before. After the unlock,
				 * owner is not ours to touch. */
				if (set_aside != NULL)
					set_aside(owner);
				pthread_mutex_unlock(&table.lock);
				return true;
			}
			pthread_mutex_unlock(&table.lock);
			refuse(req, resp, ERR_UNAVAILABLE,
			    "out of memory for a held poll");
			return false;
		}
		pthread_mutex_unlock(&table.lock);

		/* The bell moved since the handler read it (or we stop):
		 * run the handler again now. While stopping the handler
		 * does not wait; should it still, answer 503. */
		if (stopping && ran_in_stop) {
			refuse(req, resp, ERR_UNAVAILABLE,
			    "the server is stopping");
			return false;
		}
		ran_in_stop = stopping;
		api_response_free(resp);
		api_response_init(resp);
		api_handle(req, resp);
		if (!resp->wait)
			return false;
	}
}
