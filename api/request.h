/*
 * request.h: what a front hands to the handlers, and what it gets back.
 *
 * A front (cgi/ or httpd/) turns its transport into one struct request and
 * calls api_handle(); it then writes back the struct response, or, when the
 * response says WAIT, parks the request until its user's bell rings or the
 * deadline passes and calls api_handle() again. Handlers never see a
 * libfcgi or libmicrohttpd type.
 */
#ifndef PARLEY_REQUEST_H
#define PARLEY_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define REQUEST_MAX_PARAMS   3

/* The status a front logs for a request whose client left before the
 * answer (nginx's "client closed request"); nothing is sent. */
#define STATUS_CLIENT_GONE   499
#define RESPONSE_MAX_HEADERS 12
/* The names and values of one response's headers, packed together: the
 * longest is a Content-Disposition with a 255-byte file name. */
#define RESPONSE_HEADER_BYTES 1024

/* Looks up a request header by its HTTP name ("X-Request-Id"), case
 * insensitively. Returns the value (owned by the front) or NULL. */
typedef const char *(*header_fn)(void *front, const char *name);

struct deferred; /* handlers.h */

struct request {
	/* Set by the front; owned by the front for the request's life. */
	const char *method;        /* "GET", "POST", ... */
	const char *path;          /* the path, without the query */
	const char *query;         /* the raw query string, "" when none */
	const char *body;          /* the body bytes; NULL when none */
	size_t body_len;           /* bytes in body */
	const char *peer;          /* the client's address, "" when unknown */
	header_fn header;          /* header lookup */
	void *front;               /* the front's argument to header() */
	bool can_defer;            /* the front takes a DEFER (api.h) */

	/* Set by api_handle(); the front keeps the struct between the calls
	 * of a parked request and releases it with api_request_free(). */
	int64_t started_us;        /* monotonic time it arrived */
	char request_id[72];       /* echoed or made */
	const char *params[REQUEST_MAX_PARAMS]; /* {placeholders} of the path */
	char *param_buf;           /* storage behind params */
	json_t *json;              /* the parsed body, when the route takes one */
	int64_t user_id;           /* the caller, 0 when not signed in */
	int64_t session_id;        /* the caller's session */
	int64_t tenant_id;         /* the caller's site, 0 for open registration */
	int calls;                 /* how often api_handle() has seen it */
	int64_t deadline_ms;       /* a long-poll's deadline, set on its first
	                            * call (CLOCK_REALTIME, ms) */
	bool held;                 /* its last call answered WAIT (counted in
	                            * parley_polls_held) */
	bool poll_slot;            /* holds one of its user's poll places
	                            * (peruser.h) until api_request_free() */
	struct deferred *deferred; /* its write, left by its handler with a
	                            * DEFER, until its answer is made */
};

/* A response header; name and value point into the response's hbuf. */
struct header {
	const char *name;
	const char *value;
};

struct response {
	int status;                /* HTTP status */
	const char *content_type;  /* static string */
	char *body;                /* malloc'd; the front frees it via api_response_free() */
	size_t body_len;
	/* RESPONSE_MAX_HEADERS headers, then the RESPONSE_HEADER_BYTES
	 * their names and values are packed into: one block, allocated by
	 * the first response_header() and freed by api_response_free(), so
	 * that a held long-poll, whose answer is made again when it wakes,
	 * keeps none (api/park.c). */
	struct header *headers;
	size_t nheaders;
	size_t hused;              /* bytes of the block's text in use */

	/* WAIT verdict of a long-poll: park the request until the bell of
	 * wait_user moves away from wait_seq (read before the handler's
	 * query, so no ring is missed) or the clock passes wait_deadline_ms,
	 * then call api_handle() again. */
	bool wait;
	int64_t wait_user;
	uint32_t wait_seq;
	int64_t wait_deadline_ms;  /* CLOCK_REALTIME, ms */

	/* DEFER verdict: the handler's write waits for the group commit
	 * (api_defer_queue()); the answer is made when it has ended. */
	bool defer;
};

/* Adds a header to resp; the value is formatted like printf. A header that
 * does not fit (RESPONSE_MAX_HEADERS, RESPONSE_HEADER_BYTES) is dropped
 * and logged. */
void response_header(struct response *resp, const char *name,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The value of header name in resp, or NULL. */
const char *response_header_get(const struct response *resp, const char *name);

/* Sets resp to status with the JSON body j, whose reference it steals. */
void reply_json(struct response *resp, int status, json_t *j);

/* Sets resp to status with an empty body (204, 304). */
void reply_empty(struct response *resp, int status);

/* Sets resp to status with the raw bytes body (copied) of the given type. */
void reply_bytes(struct response *resp, int status, const char *type,
    const void *body, size_t len);

/* Sets resp to the error body of API.md for e. field may be NULL; the
 * message is formatted like printf. Returns e, so that a handler may end
 * with "return reply_error(...)". */
enum err reply_error(struct response *resp, const struct request *req,
    enum err e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* reply_error() with more members in the error object: extra's members
 * (extra is stolen; may be NULL) are merged into it. */
enum err reply_error_with(struct response *resp, const struct request *req,
    enum err e, const char *field, json_t *extra, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Answers a storage or access error e about the object id (a chat, a
 * message, a user) with its API error and a plain message. */
void reply_db_error(struct response *resp, const struct request *req,
    enum err e, int64_t id);

#endif
