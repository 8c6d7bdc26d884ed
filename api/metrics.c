/*
 * metrics.c: this process's counters and GET /api/v1/metrics.
 *
 * Three series (see metrics.h for who may read them):
 *   parley_requests_total{status}   counter: requests answered, by status
 *                                   (499: the client left before the answer)
 *   parley_polls_held               gauge: long-polls waiting right now
 *   parley_delivery_seconds         histogram: from a message's sent_at to
 *                                   the poll answer that carries it, each
 *                                   time a poll carries it (a client that
 *                                   polls again from an old cursor counts
 *                                   it again, with its longer delay)
 * plus parley_info{version} 1. Counters are relaxed atomics: a scrape may
 * see one bucket a request ahead of another, never a torn number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "clock.h"
#include "config.h"
#include "handlers.h"
#include "metrics.h"

#define STATUS_MIN 100
#define STATUS_MAX 599

/* Upper bounds of the delivery histogram's buckets, in milliseconds (the
 * resolution of sent_at); the last bucket, +Inf, is implicit. */
static const int64_t bucket_ms[] = {
	1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000
};
#define NBUCKETS (sizeof(bucket_ms) / sizeof(bucket_ms[0]) + 1)

static uint64_t requests[STATUS_MAX - STATUS_MIN + 2]; /* last: other */
static int64_t polls_held;
static uint64_t delivery_bucket[NBUCKETS];             /* not cumulative */
static uint64_t delivery_sum_ms;

void
metrics_request(int status)
{
	size_t i = status >= STATUS_MIN && status <= STATUS_MAX ?
	    (size_t)(status - STATUS_MIN) : STATUS_MAX - STATUS_MIN + 1;

	__atomic_add_fetch(&requests[i], 1, __ATOMIC_RELAXED);
}

void
metrics_polls_held(int delta)
{
	__atomic_add_fetch(&polls_held, delta, __ATOMIC_RELAXED);
}

/* Parses "2026-11-21T10:00:00.123Z" (time_format()'s form) into ms since
 * the epoch; returns -1 for anything else. */
static int64_t
parse_time(const char *s)
{
	struct tm tm = { 0 };
	int ms, n = 0;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n",
	    &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	    &tm.tm_sec, &ms, &n) != 7 || s[n] != '\0')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

void
metrics_delivered(const json_t *events)
{
	int64_t now = now_ms();
	size_t i, b;
	json_t *ev;

	json_array_foreach(events, i, ev) {
		const char *type = json_string_value(json_object_get(ev, "type"));
		int64_t sent, took;

		if (type == NULL || strcmp(type, "message.new") != 0)
			continue;
		sent = parse_time(json_string_value(json_object_get(
		    json_object_get(ev, "data"), "sent_at")));
		if (sent < 0)
			continue;
		took = now > sent ? now - sent : 0;
		for (b = 0; b < NBUCKETS - 1 && took > bucket_ms[b]; b++)
			;
		__atomic_add_fetch(&delivery_bucket[b], 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&delivery_sum_ms, (uint64_t)took,
		    __ATOMIC_RELAXED);
	}
}

/* True if peer is a loopback address: 127.0.0.0/8, ::1, or 127.x mapped
 * into IPv6. */
static bool
peer_is_loopback(const char *peer)
{
	if (strncmp(peer, "::ffff:", 7) == 0)
		peer += 7;
	return strncmp(peer, "127.", 4) == 0 || strcmp(peer, "::1") == 0;
}

static uint64_t
load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Writes the exposition of every series into f. */
static void
write_metrics(FILE *f)
{
	uint64_t cum = 0;
	size_t i;

	fprintf(f, "# HELP parley_info The version of this process.\n"
	    "# TYPE parley_info gauge\n"
	    "parley_info{version=\"%s\"} 1\n", PARLEY_VERSION);

	fprintf(f, "# HELP parley_requests_total Requests this process"
	    " answered, by HTTP status (499: the client left first).\n"
	    "# TYPE parley_requests_total counter\n");
	for (i = 0; i <= STATUS_MAX - STATUS_MIN; i++)
		if (load(&requests[i]) != 0)
			fprintf(f, "parley_requests_total{status=\"%zu\"} %llu\n",
			    i + STATUS_MIN, (unsigned long long)load(&requests[i]));
	if (load(&requests[i]) != 0)
		fprintf(f, "parley_requests_total{status=\"other\"} %llu\n",
		    (unsigned long long)load(&requests[i]));

	fprintf(f, "# HELP parley_polls_held Long-polls this process holds"
	    " now.\n# TYPE parley_polls_held gauge\nparley_polls_held %lld\n",
	    (long long)__atomic_load_n(&polls_held, __ATOMIC_RELAXED));

	fprintf(f, "# HELP parley_delivery_seconds Time from a message's"
	    " sent_at to the poll answer that carries it.\n"
	    "# TYPE parley_delivery_seconds histogram\n");
	for (i = 0; i < NBUCKETS; i++) {
		cum += load(&delivery_bucket[i]);
		if (i < NBUCKETS - 1)
			fprintf(f, "parley_delivery_seconds_bucket{le=\"%g\"}"
			    " %llu\n", (double)bucket_ms[i] / 1000.0,
			    (unsigned long long)cum);
		else
			fprintf(f, "parley_delivery_seconds_bucket{le=\"+Inf\"}"
			    " %llu\n", (unsigned long long)cum);
	}
	fprintf(f, "parley_delivery_seconds_sum %.3f\n"
	    "parley_delivery_seconds_count %llu\n",
	    (double)load(&delivery_sum_ms) / 1000.0, (unsigned long long)cum);
}

void
h_metrics(struct request *req, struct response *resp)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (strcmp(config.metrics, "off") == 0) {
		reply_error(resp, req, ERR_NOT_FOUND, NULL, "no such endpoint");
		return;
	}
	if (strcmp(config.metrics, "on") != 0 && !peer_is_loopback(req->peer)) {
		reply_error(resp, req, ERR_FORBIDDEN, NULL, "metrics are served"
		    " to loopback clients only (--metrics)");
		return;
	}
	if ((f = open_memstream(&text, &len)) == NULL) {
		reply_error(resp, req, ERR_INTERNAL, NULL, "out of memory");
		return;
	}
	write_metrics(f);
	if (fclose(f) != 0) {
		free(text);
		reply_error(resp, req, ERR_INTERNAL, NULL, "out of memory");
		return;
	}
	reply_bytes(resp, 200, "text/plain; version=0.0.4; charset=utf-8",
	    text, len);
	free(text);
}
