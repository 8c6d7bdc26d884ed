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
 *
 * A client that goes away must not pin its thread until the deadline:
 * nginx (fastcgi_keep_conn off) closes its connection to us when its
 * client leaves, so the sleep is cut into slices and, between them, the
 * FastCGI connection is checked for a hang-up or for anything readable
 * (an FCGI_ABORT_REQUEST): either ends the wait.
 */
#include <poll.h>
#include <stdbool.h>

#include "../api/clock.h"
#include "../db/bell.h"
#include "cgi.h"

/* How often a waiting thread looks at its connection. */
#define GONE_CHECK_MS 250

_Static_assert(sizeof(sig_atomic_t) == sizeof(int),
    "bell_wait() takes the stop flag as an int");

/* True if the web server closed fd or sent something on it. */
static bool
peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };

	return fd >= 0 && poll(&p, 1, 0) > 0 && p.revents != 0;
}

bool
wait_for_bell(int64_t user, uint32_t seq, int64_t deadline_ms, int conn_fd,
    volatile sig_atomic_t *stopping)
{
	for (;;) {
		int64_t slice = now_ms() + GONE_CHECK_MS;

		if (bell_wait(user, seq, slice < deadline_ms ? slice :
		    deadline_ms, (volatile const int *)stopping) || *stopping ||
		    now_ms() >= deadline_ms)
			return true;
		if (peer_gone(conn_fd))
			return false;
	}
}
