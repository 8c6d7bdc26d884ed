/*
 * inmem.h: a request run in memory through api_handle(), with no front:
 * the request set-up shared by the unit tests (tests/unit/test_chaos.c)
 * and the fuzzers (tests/fuzz/fuzz_request.c). Header-only: each of
 * them is one program.
 */
#ifndef PARLEY_TESTS_INMEM_H
#define PARLEY_TESTS_INMEM_H

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../api/api.h"

#define INMEM_MAX_HEADERS 32

/* The request's headers, and storage for its Authorization value. */
struct inmem_front {
	const char *names[INMEM_MAX_HEADERS];
	const char *values[INMEM_MAX_HEADERS];
	size_t n;
	char auth[96];
};

/* The request's header lookup (struct request's header). */
static inline const char *
inmem_header(void *front, const char *name)
{
	struct inmem_front *f = front;
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcasecmp(f->names[i], name) == 0)
			return f->values[i];
	return NULL;
}

/* Sets up req (and empties f) for method path?query with body (query and
 * body may be NULL), signed in with token when it is not NULL, from
 * 127.0.0.1. */
static inline void
inmem_request(struct request *req, struct inmem_front *f, const char *method,
    const char *path, const char *query, const char *token, const char *body)
{
	f->n = 0;
	if (token != NULL) {
		snprintf(f->auth, sizeof(f->auth), "Bearer %s", token);
		f->names[f->n] = "Authorization";
		f->values[f->n++] = f->auth;
	}
	api_request_init(req);
	req->method = method;
	req->path = path;
	req->query = query != NULL ? query : "";
	req->peer = "127.0.0.1";
	req->header = inmem_header;
	req->front = f;
	req->body = body;
	req->body_len = body != NULL ? strlen(body) : 0;
}

#endif
