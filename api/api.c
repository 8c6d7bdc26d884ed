/*
 * api.c: the way every request goes: request id, route, body, auth,
 * handler, common headers, log line.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "../db/db.h"
#include "api.h"
#include "auth.h"
#include "clock.h"
#include "config.h"
#include "cors.h"
#include "handlers.h"
#include "limits.h"
#include "metrics.h"
#include "peruser.h"
#include "router.h"

volatile int api_stopping;

/* jansson allocates through json_alloc(), which notes a failure, so that
 * a body that could not be parsed for want of memory is a 500, not a 400
 * (jansson reports some of those as syntax errors). */
void *(*api_json_malloc)(size_t) = malloc;
static __thread bool json_alloc_failed;

static void *
json_alloc(size_t n)
{
	void *p = api_json_malloc(n);

	if (p == NULL)
		json_alloc_failed = true;
	return p;
}

int
api_init(const struct config *cfg)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "parley: libsodium cannot start\n");
		return -1;
	}
	/* jansson seeds its hash function on first use, racily: seed it
	 * before any thread starts. */
	json_object_seed(0);
	json_set_alloc_funcs(json_alloc, free);
	if (!auth_init()) {
		fprintf(stderr, "parley: out of memory for argon2id\n");
		return -1;
	}
	db_set_max_size(cfg->max_db_mib);
	return db_setup(cfg->db_path, strcmp(cfg->synchronous, "FULL") == 0,
	    (int)cfg->busy_timeout_ms);
}

void
api_shutdown(void)
{
	db_thread_close();
}

size_t
api_max_body(void)
{
	return (size_t)config.max_body;
}

void
api_request_init(struct request *req)
{
	memset(req, 0, sizeof(*req));
	req->started_us = mono_us();
	req->query = "";
	req->peer = "";
}

/* Makes the answer of req's deferred write into resp (waiting for it, or
 * running it, when it has not ended). */
static void
deferred_answer(struct request *req, struct response *resp)
{
	struct deferred *d = req->deferred;

	req->deferred = NULL;
	resp->defer = false;
	d->answer(req, resp, d);
}

void
api_request_free(struct request *req)
{
	if (req->deferred != NULL) { /* its answer will not be sent */
		struct response unsent;
		api_response_init(&unsent);
		deferred_answer(req, &unsent);
		api_response_free(&unsent);
	}
	if (req->poll_slot)
		peruser_poll_release(req->user_id);
	req->poll_slot = false;
	free(req->param_buf);
	json_decref(req->json);
	req->param_buf = NULL;
	req->json = NULL;
}

void
api_response_init(struct response *resp)
{
	memset(resp, 0, sizeof(*resp));
}

void
api_response_free(struct response *resp)
{
	free(resp->body);
	resp->body = NULL;
	free(resp->headers);
	resp->headers = NULL;
	resp->nheaders = 0;
	resp->hused = 0;
}

/* True if id is a request id we may echo: short, plain ASCII. */
static bool
request_id_ok(const char *id)
{
	size_t n = strlen(id), i;

	if (n == 0 || n > LIMIT_REQUEST_ID_BYTES)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && !strchr("-_.:/+=", id[i]))
			return false;
	return true;
}

/* Sets req->request_id from the client's header, or a new one. */
static void
request_id_init(struct request *req)
{
	const char *h = req->header(req->front, "X-Request-Id");

	if (h != NULL && request_id_ok(h))
		snprintf(req->request_id, sizeof(req->request_id), "%s", h);
	else
		random_hex(req->request_id, 12);
}

/* The body's "transaction" (socket-api's request id) replaces a made-up id. */
static void
request_id_from_body(struct request *req)
{
	json_t *t = json_object_get(req->json, "transaction");
	char buf[32];

	if (req->header(req->front, "X-Request-Id") != NULL)
		return;
	if (json_is_string(t) && request_id_ok(json_string_value(t))) {
		snprintf(req->request_id, sizeof(req->request_id), "%s",
		    json_string_value(t));
	} else if (json_is_integer(t)) {
		snprintf(buf, sizeof(buf), "%lld",
		    (long long)json_integer_value(t));
		snprintf(req->request_id, sizeof(req->request_id), "%s", buf);
	}
}

/* True if the Content-Type value type names the media type name, with or
 * without parameters ("application/json; charset=utf-8"). */
static bool
media_type_is(const char *type, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(type, name, n) == 0 && (type[n] == '\0' ||
	    type[n] == ';' || type[n] == ' ' || type[n] == '\t');
}

/* Parses the body as a JSON object into req->json, or answers 400/415. */
static enum err
parse_json_body(struct request *req, struct response *resp)
{
	const char *type = req->header(req->front, "Content-Type");
	json_error_t jerr;

	/* JSON, or no type (a gateway may pass an empty CONTENT_TYPE), or
	 * curl -d's default form type (curl users forget -H): anything else
	 * is a client that means something else. */
	if (type != NULL && type[0] != '\0' &&
	    !media_type_is(type, "application/json") &&
	    !media_type_is(type, "application/x-www-form-urlencoded") &&
	    !media_type_is(type, "text/plain"))
		return reply_error(resp, req, ERR_UNSUPPORTED_MEDIA, NULL,
		    "send the body as application/json");
	if (req->body == NULL || req->body_len == 0)
		return reply_error(resp, req, ERR_INVALID_JSON, NULL,
		    "the body must be a JSON object");
	/* Not JSON_DECODE_ANY (a bare value may hide a NUL after it); NULs
	 * inside strings are refused since JSON_ALLOW_NUL is not given. */
	json_alloc_failed = false;
	req->json = json_loadb(req->body, req->body_len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (req->json == NULL && json_alloc_failed)
		return reply_error(resp, req, ERR_INTERNAL, NULL,
		    "out of memory");
	if (req->json == NULL)
		return reply_error(resp, req, ERR_INVALID_JSON, NULL,
		    "the body is not valid JSON: %s (at byte %d)", jerr.text,
		    jerr.position);
	if (!json_is_object(req->json))
		return reply_error(resp, req, ERR_INVALID_JSON, NULL,
		    "the body must be a JSON object");
	request_id_from_body(req);
	return ERR_OK;
}

/* True if the body of a BODY_JSON_OR_RAW route is JSON: declared so, or
 * (whatever its type) starting with '{', which no image does. */
static bool
body_looks_json(const struct request *req)
{
	const char *type = req->header(req->front, "Content-Type");
	size_t i = 0;

	if (type != NULL && media_type_is(type, "application/json"))
		return true;
	while (i < req->body_len && (req->body[i] == ' ' ||
	    req->body[i] == '\t' || req->body[i] == '\r' ||
	    req->body[i] == '\n'))
		i++;
	return i < req->body_len && req->body[i] == '{';
}

/* True if route reads its body as a JSON object into req->json. */
static bool
wants_json(const struct route *route, const struct request *req)
{
	switch (route->body) {
	case BODY_JSON:
		return true;
	case BODY_JSON_OPT:
		return req->body_len > 0;
	case BODY_JSON_OR_RAW:
		return body_looks_json(req);
	default:
		return false;
	}
}

/* Headers every API response carries, CORS's among them. */
static void
common_headers(const struct request *req, struct response *resp)
{
	response_header(resp, "X-Request-Id", "%s", req->request_id);
	response_header(resp, "X-Content-Type-Options", "nosniff");
	if (response_header_get(resp, "Cache-Control") == NULL)
		response_header(resp, "Cache-Control", "no-store");
	cors_headers(req, resp);
}

void
api_handle(struct request *req, struct response *resp)
{
	const struct route *route;
	char allow[128];
	enum err e;

	if (req->calls++ == 0)
		request_id_init(req);
	if (req->deferred != NULL) { /* its write has ended: answer */
		deferred_answer(req, resp);
		goto out;
	}
	route = route_find(req, &e, allow, sizeof(allow));
	if (route == NULL) {
		if (e == ERR_METHOD_NOT_ALLOWED &&
		    strcmp(req->method, "OPTIONS") == 0) {
			/* OPTIONS on any path of the API: CORS preflights. */
			cors_options(req, resp, allow);
		} else if (e == ERR_METHOD_NOT_ALLOWED) {
			response_header(resp, "Allow", "%s", allow);
			reply_error(resp, req, e, NULL, "%s is not allowed here;"
			    " allowed: %s", req->method, allow);
		} else if (e == ERR_NOT_FOUND) {
			reply_error(resp, req, e, NULL, "no such endpoint");
		} else {
			reply_error(resp, req, e, NULL, "cannot route");
		}
		goto out;
	}
	if (req->json == NULL && wants_json(route, req) &&
	    parse_json_body(req, resp) != ERR_OK)
		goto out;
	/* A GET's reads share one snapshot (db_read_begin()); the long-poll
	 * ends it before it reads its bell (h_events.c). */
	if (strcmp(route->method, "GET") == 0)
		db_read_begin();
	if (route->auth == AUTH_USER && auth_request(req, resp) != ERR_OK)
		goto out;
	route->handler(req, resp);
	if (resp->defer && !req->can_defer)
		deferred_answer(req, resp); /* this front waits here */
out:
	db_read_end();
	if (resp->wait != req->held) {
		metrics_polls_held(resp->wait ? 1 : -1);
		req->held = resp->wait;
	}
	if (!resp->wait && !resp->defer)
		common_headers(req, resp);
}

void
api_defer_queue(struct request *req, void (*done)(void *), void *arg)
{
	req->deferred->queue(req->deferred, done, arg);
}

void
api_reject(struct request *req, struct response *resp, enum err e)
{
	if (req->calls++ == 0)
		request_id_init(req);
	switch (e) {
	case ERR_PAYLOAD_TOO_LARGE:
		reply_error(resp, req, e, NULL, "the body is larger than %ld"
		    " bytes", config.max_body);
		break;
	case ERR_NOT_FOUND:
		reply_error(resp, req, e, NULL, "no such file or endpoint");
		break;
	case ERR_METHOD_NOT_ALLOWED:
		reply_error(resp, req, e, NULL, "%s is not allowed here",
		    req->method);
		break;
	case ERR_INVALID_FIELD: /* parleyd: a transfer coding it refuses */
		reply_error(resp, req, e, "Transfer-Encoding", "only"
		    " Transfer-Encoding: chunked, without Content-Length");
		break;
	default:
		reply_error(resp, req, e, NULL, "the request was refused");
	}
	common_headers(req, resp);
}

void
api_finish(const struct request *req, const struct response *resp)
{
	char path[256];
	size_t i, n = 0;

	/* The path only (a query may hold anything); controls escaped so
	 * that a client cannot forge log lines. */
	for (i = 0; req->path[i] != '\0' && n + 5 < sizeof(path); i++) {
		unsigned char c = (unsigned char)req->path[i];
		if (c < 0x20 || c == 0x7f || c == '\\')
			n += (size_t)snprintf(path + n, sizeof(path) - n,
			    "\\x%02x", c);
		else
			path[n++] = (char)c;
	}
	path[n] = '\0';
	metrics_request(resp->status);
	if (req->held) /* it ended while waiting: its client left */
		metrics_polls_held(-1);
	fprintf(stderr, "%s %s %d %.1fms %s\n", req->method, path,
	    resp->status, (double)(mono_us() - req->started_us) / 1000.0,
	    req->request_id);
}
