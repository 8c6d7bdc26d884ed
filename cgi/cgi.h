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
 * 100 ms, at once when bell_ring_all() follows), or the web server closes
 * conn_fd, the request's FastCGI connection (-1: none to watch). Returns
 * false when the client is gone (the request ends unanswered), true when
 * the caller should run the handler again. */
#include <stdbool.h>
bool wait_for_bell(int64_t user, uint32_t seq, int64_t deadline_ms,
    int conn_fd, volatile sig_atomic_t *stopping);

#endif
