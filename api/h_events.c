/*
 * h_events.c: GET /api/v1/events, the long-poll.
 *
 * The handler never blocks. It reads the caller's events after the
 * cursor; when there are none and time is left, it answers WAIT with the
 * bell's sequence number read BEFORE the query, and the front parks the
 * request until the bell moves or the deadline passes, then calls it
 * again. So the first call does the one-time work (presence, delivery
 * receipts for the cursor), and every call reads. Its reads share one
 * read transaction (db_read_begin()), begun after the bell is read.
 */
#include "../db/bell.h"
#include "../db/db.h"
#include "api.h"
#include "clock.h"
#include "config.h"
#include "handlers.h"
#include "limits.h"
#include "metrics.h"
#include "peruser.h"
#include "text.h"

#define EVENTS_DEFAULT_LIMIT 100

/* Answers 410 cursor_expired with the current last_id. */
static void
reply_expired(struct request *req, struct response *resp, int64_t last)
{
	reply_error_with(resp, req, ERR_CURSOR_EXPIRED, "after",
	    json_pack("{s:I}", "last_id", (json_int_t)last),
	    "the cursor is older than the events kept, or newer than any;"
	    " reload the state and poll after last_id");
}

static void
reply_events(struct response *resp, json_t *events, int64_t last_id)
{
	response_header(resp, "Cache-Control", "no-store");
	/* nginx must pass a long-poll's answer on at once */
	response_header(resp, "X-Accel-Buffering", "no");
	reply_json(resp, 200, json_pack("{s:o, s:I}", "events", events,
	    "last_id", (json_int_t)last_id));
}

void
h_events(struct request *req, struct response *resp)
{
	int64_t after = 0, timeout = DEFAULT_POLL_TIMEOUT_S;
	int64_t limit = EVENTS_DEFAULT_LIMIT, now = now_ms(), last, floor, last_id;
	bool has_after, present;
	uint32_t seq;
	json_t *events;
	enum err e;

	if (query_int(req->query, "after", 0, INT64_MAX, &after, &has_after)) {
		reply_error(resp, req, ERR_INVALID_FIELD, "after",
		    "after is the last_id of the previous poll");
		return;
	}
	if (query_int(req->query, "timeout", 0, config.poll_timeout_max,
	    &timeout, &present)) {
		reply_error(resp, req, ERR_INVALID_FIELD, "timeout",
		    "timeout is 0 to %ld seconds", config.poll_timeout_max);
		return;
	}
	if (query_int(req->query, "limit", 1, config.page_size, &limit,
	    &present)) {
		reply_error(resp, req, ERR_INVALID_FIELD, "limit",
		    "limit is 1 to %ld", config.page_size);
		return;
	}
	/* The bell's value before the snapshot this call reads in: a commit
	 * that rang after it is either in the snapshot or moves the bell.
	 * auth may have read in a snapshot already (a token its process had
	 * not seen): that one ends, and the next read begins another
	 * (db_read_begin() is lazy: at its first read). */
	db_read_end();
	seq = bell_seq(req->user_id);
	db_read_begin();
	if (req->calls == 1) {
		req->deadline_ms = now + timeout * 1000;
		/* Online while held, and for --presence-grace after; a
		 * failure to note it must not fail the poll. */
		db_presence_touch(req->user_id,
		    req->deadline_ms + config.presence_grace * 1000,
		    config.presence_grace * 1000 / 2, now);
	}

	/* A cursor within the bounds this process read last is judged
	 * without reading them (a woken poll's was judged when it came in). */
	if (!has_after || !db_events_cursor_known(after)) {
		db_events_bounds(&last, &floor);
		if (last < 0) { /* not "cursor expired": the database failed */
			reply_db_error(resp, req, ERR_INTERNAL, 0);
			return;
		}
		if (!has_after) {
			reply_events(resp, json_array(), last);
			return;
		}
		if (after > last || after < floor) {
			reply_expired(req, resp, last);
			return;
		}
	}
	if (req->calls == 1)
		db_events_ack(req->user_id, after, now);

	events = db_events_read(req->user_id, after, (int)limit, &last_id, &e);
	db_read_end();
	if (events == NULL) {
		reply_db_error(resp, req, e, 0);
		return;
	}
	if (json_array_size(events) > 0 || last_id > after ||
	    now >= req->deadline_ms || api_stopping) {
		metrics_delivered(events);
		reply_events(resp, events, last_id);
		return;
	}
	json_decref(events);
	if (!req->poll_slot) {
		if (!peruser_poll_take(req->user_id, config.max_polls_per_user)) {
			response_header(resp, "Retry-After", "%d",
			    DEFAULT_POLL_TIMEOUT_S);
			reply_error(resp, req, ERR_RATE_LIMITED, NULL, "you hold"
			    " %ld polls already: poll from one place per device",
			    config.max_polls_per_user);
			return;
		}
		req->poll_slot = true;
	}
	resp->wait = true;
	resp->wait_user = req->user_id;
	resp->wait_seq = seq;
	resp->wait_deadline_ms = req->deadline_ms;
}
