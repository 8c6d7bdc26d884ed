/*
 * cgi.h: what the files of parley.fcgi share.
 */
#ifndef PARLEY_CGI_H
#define PARLEY_CGI_H

#include <signal.h>
#include <stdint.h>

/* wait.c: a worker thread's wait for its user's bell. */
int bell_open(void);
void bell_ring_all(void);
/* Sleeps until user's bell rings, deadline_ms (CLOCK_REALTIME) passes or
 * *stopping is set. */
void wait_for_bell(int64_t user, int64_t deadline_ms,
    volatile sig_atomic_t *stopping);

#endif
