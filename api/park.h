/*
 * park.h: holding long-polls without a thread each (park.c), for both
 * fronts: parleyd suspends the connection, parley.fcgi keeps the request
 * aside; either way the held poll is a row in a table until its user's
 * bell rings, its deadline passes, its client goes away or we stop.
 */
#ifndef PARLEY_PARK_H
#define PARLEY_PARK_H

#include <stdbool.h>

#include "api.h"

/* A held request's place in the table. The front keeps a struct waiter *
 * in its request, NULL at first, and passes its address to the functions
 * below; it never writes it. */
struct waiter;

/* Sets the table up before threads start. name prefixes messages; wake
 * (owner) hands a request back to the front (called on the waker's
 * thread, or park_stop()'s), which must then call api_handle() again with
 * the same req and a fresh resp, and park() again if it says WAIT. A
 * parked socket showing one of gone_events in poll() has lost its client.
 * Returns 0, or -1 after printing why. */
int park_init(const char *name, void (*wake)(void *owner), short gone_events);

/* Starts the waker thread (it wakes the held requests whose bell rang or
 * whose deadline passed) and the prober (it looks for clients gone).
 * Returns 0, or -1 after printing why. */
int park_start(void);

/* Sets api_stopping, wakes every held request, stops both threads, and waits
 * (2 s at most) until each woken request has called park_forget(). */
void park_stop(void);

/* For a request whose resp says WAIT, on the thread that ran its handler.
 * True: the request is held (set_aside(owner), if not NULL, ran under the
 * table's lock first) and belongs to the table until wake(owner). False:
 * resp is the answer to send now, the handler having run again (the bell
 * moved meanwhile), or an error (503: out of memory, stopping), or
 * STATUS_CLIENT_GONE: nobody to answer. fd is the request's socket, watched
 * for its client leaving (-1: none). */
bool park(struct waiter **place, void *owner, int fd, struct request *req,
    struct response *resp, void (*set_aside)(void *owner));

/* True when the request was woken because its client went away. */
bool park_client_gone(struct waiter *const *place);

/* Every request calls this when it ends (after its answer, or when it is
 * closed): takes it out of the table if it is still there. */
void park_forget(struct waiter **place);

#endif
