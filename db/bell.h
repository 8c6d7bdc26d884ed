/*
 * bell.h: waking the waiters of a user, in any process, after a commit.
 *
 * The bell is a small shared-memory file beside the database (PATH-bell)
 * holding one 32-bit counter per slot (a hash of the user id), a waiter
 * count per slot, and one global counter. A writer that committed events
 * for users U1..Uk rings their slots: each counter is bumped and, when
 * someone waits on it, woken with a futex. A waiter reads its slot's
 * counter BEFORE it queries the database and sleeps only while the counter
 * still has that value, so a ring between its query and its sleep is never
 * missed. Different users may share a slot; a spurious wake-up only costs
 * the waiter one more query.
 *
 * The global counter is for a process that holds many waiters with no
 * thread each (parleyd): one thread sleeps on it and, when it moves, scans
 * the slots for the ones that changed (bell_changed()).
 *
 * Why a futex on shared memory: measured on this machine (MEASURED.md),
 * p50 43 us / p99 294 us from commit to a waiter in another process, with no
 * polling; inotify on the WAL file fired before the commit was visible and
 * spuriously, and polling PRAGMA data_version cost 2.4 ms and a core.
 */
#ifndef PARLEY_BELL_H
#define PARLEY_BELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BELL_SLOTS 65536u   /* a power of two; 256 KiB of counters and
                             * 256 KiB of waiter counts */

/* Maps (creating it if needed) the bell of the database at db_path: the
 * file db_path + "-bell" (mode 0600), or anonymous shared memory for ""
 * and ":memory:". Call before threads start; calling it again for the
 * same database keeps the mapping. Until it is called the process has a
 * private bell of its own. Returns 0, or -1 after printing why (e.g. the
 * file belongs to another layout version). */
int bell_open(const char *db_path);

/* The slot of user. */
static inline uint32_t
bell_slot(int64_t user)
{
	uint64_t h = (uint64_t)user * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 48) & (BELL_SLOTS - 1);
}

/* The current counter of user's slot: read it before querying. */
uint32_t bell_seq(int64_t user);

/* Rings the slots of the n users (after their events committed), and then
 * the global counter; wakes whoever waits on them. Safe from any thread.
 * A system call is made only for a slot someone sleeps on. With n == 0
 * only the global counter moves (wakes the waker threads of bell_wait_
 * global(), which then find no slot changed). */
void bell_ring(const int64_t *users, size_t n);

/* Rings every slot and the global counter, and moves the cache epoch:
 * every waiter of every process on this bell re-runs its query, and every
 * cache of tokens is dropped (shutdown, or after the database was changed
 * behind the handlers' back, e.g. a restore). */
void bell_ring_all(void);

/* Sleeps while user's counter equals seq, until deadline_ms (CLOCK_REALTIME
 * milliseconds) or until *stop becomes true (checked at least every
 * 100 ms; stop may be NULL). Returns true if the counter moved (also when
 * it already differed on entry, without sleeping). */
bool bell_wait(int64_t user, uint32_t seq, int64_t deadline_ms,
    volatile const int *stop);

/* The cache epoch: a writer that changed what processes cache from the
 * database (ended sessions, pruned events) moves it after its commit, and
 * bell_ring_all() does, so that every process drops what it cached (the
 * tokens it checked, db/sessions.c; the event queue's bounds,
 * db/events.c). Read it BEFORE the query whose answer is cached. */
uint32_t bell_cache_epoch(void);
void bell_caches_stale(void);

/* A turn for SQLite's write lock among all the database's writers, in the
 * order they asked (bell.c): bell_turn_take() returns once it is the
 * caller's turn, bell_turn_done() passes it on. A turn not given back for
 * half a second (its process died) is skipped. */
uint32_t bell_turn_take(void);
void bell_turn_done(uint32_t turn);

/* The global counter, for a process-wide waker thread. */
uint32_t bell_global(void);

/* Sleeps while the global counter equals seen, at most timeout_ms
 * (-1: no limit). Read bell_global() before scanning with bell_changed()
 * and pass that value here, so that no ring falls between the two. */
void bell_wait_global(uint32_t seen, int timeout_ms);

/* Compares the slots with the caller's copy snap (BELL_SLOTS counters),
 * updates snap, and calls fn(slot, arg) for each slot that changed; when
 * fn runs, snap[slot] already holds the slot's new value. fn may be NULL
 * (to take a first snapshot). Unchanged blocks cost a memcmp(). */
void bell_changed(uint32_t *snap, void (*fn)(uint32_t slot, void *arg),
    void *arg);

/* The journal's position: read it before a first bell_changed(). */
uint32_t bell_journal_pos(void);

/* Like bell_changed(), reading only the journal of the rings since *pos
 * (and moving *pos on); when those rings are no longer all in the journal,
 * it compares every slot instead. */
void bell_changed_since(uint32_t *snap, uint32_t *pos,
    void (*fn)(uint32_t slot, void *arg), void *arg);

#endif
