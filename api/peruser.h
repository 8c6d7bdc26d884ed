/*
 * peruser.h: per-user limits kept in this process's memory: the long-polls
 * a user holds at once (--max-polls-per-user) and the rate of its sends
 * (--send-rate, a token bucket). Not shared between processes: behind k
 * parley.fcgi processes a user may hold k times as many polls and send k
 * times as fast, which still bounds what one user can take.
 *
 * The table has a fixed size (PERUSER_SLOTS); a user that finds no slot
 * (the table is full of busy users) is let through: the limits protect the
 * server from one user, not from everyone at once.
 */
#ifndef PARLEY_PERUSER_H
#define PARLEY_PERUSER_H

#include <stdbool.h>
#include <stdint.h>

#define PERUSER_SLOTS 65536u   /* a power of two; 32 bytes each */

/* Takes one of user's held-poll places: false when it holds max already
 * (max 0: no limit). Each true must be followed by peruser_poll_release(). */
bool peruser_poll_take(int64_t user, long max);
void peruser_poll_release(int64_t user);

/* Counts one send of user against rate sends per minute (0: no limit):
 * false when over, with *retry_after_s set. */
bool peruser_send_ok(int64_t user, long rate, int64_t now_ms,
    int *retry_after_s);

#endif
