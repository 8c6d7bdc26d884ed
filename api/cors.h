/*
 * cors.h: which web pages may call the API from a browser (CORS), decided
 * in one place for every route.
 *
 * An origin is allowed when it is in --cors-origins (every caller), or
 * among the origins of the caller's site (parley-admin tenant origins). A
 * request with no signed-in caller (a preflight, a sign-in, a refused
 * token) is allowed from the origins of any site that is not revoked; a
 * signed-in user of the open registration (tenant 0) only from
 * --cors-origins. Everything else gets no CORS header at all, and the
 * browser keeps the answer from the page.
 */
#ifndef PARLEY_CORS_H
#define PARLEY_CORS_H

#include <stdbool.h>

#include "request.h"

/* The request headers a page may send (the preflight's answer). */
#define CORS_ALLOW_HEADERS "Authorization, authToken, Content-Type," \
	" X-Chat-Key, X-Request-Id, Idempotency-Key"

/* The response headers a page may read besides the always-safe ones. */
#define CORS_EXPOSE_HEADERS "ETag, Retry-After, X-Request-Id"

/* True if s is an origin as a browser sends it: http:// or https://, a
 * host name, IPv4 or [IPv6] address, an optional :port, nothing after;
 * at most LIMIT_ORIGIN_BYTES. "null" is no origin. */
bool origin_is_valid(const char *s);

/* True if origin is one of the space- or comma-separated origins of
 * list (case-insensitively). */
bool origin_in_list(const char *origin, const char *list);

/* Adds Access-Control-Allow-Origin, Vary and Access-Control-Expose-Headers
 * to resp when the request's Origin is allowed for its caller (nothing
 * when it sent none, or when resp has them already). Every API answer
 * passes here. */
void cors_headers(const struct request *req, struct response *resp);

/* Answers OPTIONS on a path whose methods are allow: 204 with Allow, and,
 * for a preflight (Access-Control-Request-Method) from an allowed origin,
 * the Access-Control-Allow-* headers and Max-Age. */
void cors_options(struct request *req, struct response *resp,
    const char *allow);

#endif
