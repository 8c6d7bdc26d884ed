/*
 * metrics.h: what GET /api/v1/metrics reports, in Prometheus' text format.
 *
 * The counters live in this process's memory and are updated with atomics
 * (no lock, no database): they are per process and start at zero when it
 * starts. Several parley.fcgi processes on one socket each count their
 * own requests, and a scrape reaches whichever one accepts it; a CGI
 * process counts only itself. Scrape each process that listens on its own
 * address (parleyd, one parley.fcgi per socket) to get the whole.
 *
 * Who may read them is the --metrics setting: off (404), loopback (the
 * default: peers 127.0.0.0/8 and ::1 only, else 403), on (anyone).
 */
#ifndef PARLEY_METRICS_H
#define PARLEY_METRICS_H

#include <stdint.h>

#include <jansson.h>

/* One request answered with status (called by api_finish()). */
void metrics_request(int status);

/* Held long-polls: +1 when a poll starts to wait, -1 when it stops. */
void metrics_polls_held(int delta);

/* A poll answers events (the API's array): every message.new among them
 * adds the time since the message's sent_at to the delivery histogram. */
void metrics_delivered(const json_t *events);

#endif
