/*
 * wait.c: a worker thread's wait for its user's bell.
 *
 * libfcgi ties a request to the worker thread that accepted it, so a held
 * long-poll sleeps in that thread: on the futex of its user's bell slot
 * (db/bell.h), across processes, with no polling of the database. It wakes
 * when a writer in any process rings the slot, when the deadline passes,
 * or at shutdown (main() sets the stop flag and rings every slot). Between
 * the handler's query and this sleep nothing is missed: the handler read
 * the slot's value before its query, and the sleep only starts while the
 * slot still holds that value. No database transaction is open here.
 */
#include "../db/bell.h"
#include "cgi.h"

_Static_assert(sizeof(sig_atomic_t) == sizeof(int),
    "bell_wait() takes the stop flag as an int");

void
wait_for_bell(int64_t user, uint32_t seq, int64_t deadline_ms,
    volatile sig_atomic_t *stopping)
{
	(void)bell_wait(user, seq, deadline_ms, (volatile const int *)stopping);
}
