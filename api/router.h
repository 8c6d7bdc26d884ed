/*
 * router.h: the route table (routes.c) and the matcher.
 */
#ifndef PARLEY_ROUTER_H
#define PARLEY_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "request.h"

typedef void handler_fn(struct request *req, struct response *resp);

enum route_auth {
	AUTH_NONE,   /* anyone */
	AUTH_USER,   /* a signed-in user: req->user_id is set */
};

enum route_body {
	BODY_NONE,   /* the body is ignored */
	BODY_JSON,   /* the body must be a JSON object: req->json */
	BODY_RAW,    /* the handler reads req->body itself */
	BODY_JSON_OPT,    /* a JSON object (req->json), or no body at all
	                   * (req->json NULL) */
	BODY_JSON_OR_RAW, /* a JSON object when declared application/json or
	                   * starting with '{' (req->json), else raw bytes
	                   * (req->json NULL) */
};

struct route {
	const char *method;
	const char *pattern;    /* "/api/v1/users/{id}"; {id} is a positive
	                         * integer, {name} any one segment */
	handler_fn *handler;
	enum route_auth auth;
	enum route_body body;
};

extern const struct route routes[];
extern const size_t nroutes;

/* Matches path against pattern; on a match stores the placeholder values
 * into params (pointing into buf, of size buflen), NULL into the rest of
 * its REQUEST_MAX_PARAMS slots, and returns true. */
bool route_match(const char *pattern, const char *path, const char **params,
    char *buf, size_t buflen);

/* The route for method and path, with req->params filled; or NULL with *e
 * set to ERR_NOT_FOUND, or ERR_METHOD_NOT_ALLOWED and the methods the path
 * has written into allow (comma-separated). HEAD is served as GET. */
const struct route *route_find(struct request *req, enum err *e,
    char *allow, size_t allowlen);

/* The i-th {id} placeholder of the matched path, as a number. */
int64_t param_id(const struct request *req, int i);

#endif
