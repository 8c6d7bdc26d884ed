/*
 * response.c: the one reply path. Every body the API sends is built here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"

const char *const JSON_TYPE = "application/json; charset=utf-8";

void
response_header(struct response *resp, const char *name, const char *fmt, ...)
{
	size_t nlen = strlen(name), room;
	char *p;
	va_list ap;
	int n;

	if (resp->headers == NULL && (resp->headers = malloc(
	    RESPONSE_MAX_HEADERS * sizeof(struct header) +
	    RESPONSE_HEADER_BYTES)) == NULL) {
		fprintf(stderr, "response: out of memory for header %s\n",
		    name);
		return;
	}
	if (resp->nheaders == RESPONSE_MAX_HEADERS ||
	    resp->hused + nlen + 2 > RESPONSE_HEADER_BYTES) {
		fprintf(stderr, "response: header %s dropped\n", name);
		return;
	}
	/* The text follows the array of headers in the block. */
	p = (char *)(resp->headers + RESPONSE_MAX_HEADERS) + resp->hused;
	memcpy(p, name, nlen + 1);
	room = RESPONSE_HEADER_BYTES - resp->hused - nlen - 1;
	va_start(ap, fmt);
	n = vsnprintf(p + nlen + 1, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		fprintf(stderr, "response: header %s too long, dropped\n", name);
		return;
	}
	resp->headers[resp->nheaders].name = p;
	resp->headers[resp->nheaders].value = p + nlen + 1;
	resp->nheaders++;
	resp->hused += nlen + 1 + (size_t)n + 1;
}

const char *
response_header_get(const struct response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

static void
set_body(struct response *resp, int status, const char *type, char *body,
    size_t len)
{
	free(resp->body);
	resp->status = status;
	resp->content_type = type;
	resp->body = body;
	resp->body_len = len;
	resp->wait = false;
}

/* A JSON body is written in one pass, by jansson's callback, into a
 * buffer that starts on the stack: most bodies (a user, a sent message, a
 * poll's few events) fit its REPLY_SMALL bytes and are copied into an
 * allocation of their size; a larger one (a page of history) moves to the
 * heap and grows, and is shrunk to its size at the end. A body is never
 * written twice (that was 40% of a history request), and no 64 KiB block
 * is allocated for every body (glibc consolidates its free chunks before
 * every allocation that large: 5-10% of a request's time, perf). */
#define REPLY_SMALL (4 * 1024)

struct dump {
	char *data;             /* small, or a heap buffer */
	size_t len, cap;
	char small[REPLY_SMALL];
};

static int
dump_append(const char *p, size_t n, void *arg)
{
	struct dump *d = arg;

	if (d->len + n > d->cap) {
		size_t cap = d->cap * 2;
		char *g;

		while (cap < d->len + n)
			cap *= 2;
		g = d->data == d->small ? malloc(cap) : realloc(d->data, cap);
		if (g == NULL)
			return -1;
		if (d->data == d->small)
			memcpy(g, d->small, d->len);
		d->data = g;
		d->cap = cap;
	}
	memcpy(d->data + d->len, p, n);
	d->len += n;
	return 0;
}

/* j written compactly into a new string of *n bytes (and a NUL), or NULL. */
static char *
dump_json(const json_t *j, size_t *n)
{
	struct dump d = { .cap = REPLY_SMALL };
	char *s;

	d.data = d.small;
	if (json_dump_callback(j, dump_append, &d, JSON_COMPACT) != 0 ||
	    d.len == 0) {
		if (d.data != d.small)
			free(d.data);
		return NULL;
	}
	*n = d.len;
	if (d.data == d.small) {
		if ((s = malloc(d.len + 1)) != NULL)
			memcpy(s, d.small, d.len);
	} else if ((s = realloc(d.data, d.len + 1)) == NULL) {
		s = d.len < d.cap ? d.data : NULL; /* room for the NUL anyway */
		if (s == NULL)
			free(d.data);
	}
	if (s != NULL)
		s[d.len] = '\0';
	return s;
}

void
reply_json(struct response *resp, int status, json_t *j)
{
	char *s = NULL;
	size_t n = 0;

	/* Our own callback, not json_dumps(): jansson 2.14's json_dumps()
	 * ignores a failed allocation while it writes an object's key and
	 * returns broken JSON ("{"a":1,":2}"); a callback's failure, and
	 * jansson's loop check's, are reported (found by
	 * tests/unit/test_chaos.c). */
	if (j != NULL)
		s = dump_json(j, &n);
	json_decref(j);
	if (s == NULL) {
		/* Out of memory: the one body that needs no allocation. */
		static const char oom[] = "{\"error\":{\"code\":\"internal\","
		    "\"message\":\"out of memory\"}}";
		char *copy = malloc(sizeof(oom));
		if (copy != NULL)
			memcpy(copy, oom, sizeof(oom));
		set_body(resp, 500, JSON_TYPE, copy, copy ? sizeof(oom) - 1 : 0);
		return;
	}
	set_body(resp, status, JSON_TYPE, s, n);
}

void
reply_empty(struct response *resp, int status)
{
	set_body(resp, status, NULL, NULL, 0);
}

void
reply_bytes(struct response *resp, int status, const char *type,
    const void *body, size_t len)
{
	char *copy = malloc(len ? len : 1);

	if (copy == NULL) {
		reply_json(resp, 500, NULL);
		return;
	}
	memcpy(copy, body, len);
	set_body(resp, status, type, copy, len);
}

/* The API's error body for e; extra (stolen, may be NULL) is merged into
 * the error object. */
static enum err
reply_error_v(struct response *resp, const struct request *req, enum err e,
    const char *field, json_t *extra, const char *fmt, va_list ap)
{
	char message[512];
	json_t *err;

	/* Defensive: an error reply for no error (a caller that lost its
	 * error code, e.g. to an allocation) must not look like success. */
	if (e == ERR_OK || e >= ERR__COUNT)
		e = ERR_INTERNAL;
	vsnprintf(message, sizeof(message), fmt, ap);
	err = json_pack("{s:s, s:s}", "code", err_code(e), "message", message);
	if (err == NULL) {
		/* The message is not UTF-8 (jansson's parse errors may quote
		 * half a character of the body): keep its ASCII. */
		char *p;
		for (p = message; *p != '\0'; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		err = json_pack("{s:s, s:s}", "code", err_code(e), "message",
		    message);
	}
	if (err != NULL && field != NULL)
		json_object_set_new(err, "field", json_string(field));
	if (err != NULL && req != NULL && req->request_id[0] != '\0')
		json_object_set_new(err, "request_id",
		    json_string(req->request_id));
	if (err != NULL && extra != NULL)
		json_object_update(err, extra);
	json_decref(extra);
	/* RFC 9110: every 401 carries a challenge, the API's is Bearer. */
	if (err_status(e) == 401)
		response_header(resp, "WWW-Authenticate", "Bearer");
	if ((e == ERR_UNAVAILABLE || e == ERR_RATE_LIMITED) &&
	    response_header_get(resp, "Retry-After") == NULL)
		response_header(resp, "Retry-After", "1");
	reply_json(resp, err_status(e), err != NULL ?
	    json_pack("{s:o}", "error", err) : NULL);
	return e;
}

enum err
reply_error(struct response *resp, const struct request *req, enum err e,
    const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_error_v(resp, req, e, field, NULL, fmt, ap);
	va_end(ap);
	return e;
}

enum err
reply_error_with(struct response *resp, const struct request *req, enum err e,
    const char *field, json_t *extra, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_error_v(resp, req, e, field, extra, fmt, ap);
	va_end(ap);
	return e;
}

void
reply_db_error(struct response *resp, const struct request *req, enum err e,
    int64_t id)
{
	switch (e) {
	case ERR_CHAT_NOT_FOUND:
		reply_error(resp, req, e, NULL, "no chat %lld", (long long)id);
		break;
	case ERR_MESSAGE_NOT_FOUND:
		reply_error(resp, req, e, "message_id", "no message %lld",
		    (long long)id);
		break;
	case ERR_USER_NOT_FOUND:
		reply_error(resp, req, e, "user_id", "no such user");
		break;
	case ERR_NOT_FOUND:
		reply_error(resp, req, e, NULL, "no such object");
		break;
	case ERR_FORBIDDEN:
		reply_error(resp, req, e, NULL, "you may not do that");
		break;
	case ERR_UNAVAILABLE:
		reply_error(resp, req, e, NULL, "the database is busy; retry");
		break;
	case ERR_STORAGE_FULL:
		reply_error(resp, req, e, NULL, "the server's disk is full");
		break;
	default:
		reply_error(resp, req, e, NULL, "cannot do that now");
	}
}
