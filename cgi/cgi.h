/*
 * cgi.h: what the files of parley.fcgi share.
 */
#ifndef PARLEY_CGI_H
#define PARLEY_CGI_H

#include <signal.h>
#include <stdint.h>

/* wait.c: a worker thread's wait for its user's bell. Sleeps while the
 * bell of user still reads seq (the WAIT verdict's wait_seq), until
 * deadline_ms (CLOCK_REALTIME) passes or *stopping is set (noticed within
 * 100 ms, at once when bell_ring_all() follows). The caller then runs the
 * handler again, whatever woke it. */
void wait_for_bell(int64_t user, uint32_t seq, int64_t deadline_ms,
    volatile sig_atomic_t *stopping);

#endif
