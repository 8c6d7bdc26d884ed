/*
 * cors.c: CORS for every route (see cors.h): the preflight answer for
 * OPTIONS, and the Allow-Origin headers of every other answer.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../db/db.h"
#include "api.h"
#include "config.h"
#include "cors.h"
#include "limits.h"

bool
origin_is_valid(const char *s)
{
	const char *p;
	size_t n = strlen(s), digits = 0;
	long port = 0;

	if (n > LIMIT_ORIGIN_BYTES)
		return false;
	if (strncasecmp(s, "https://", 8) == 0)
		p = s + 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		p = s + 7;
	else
		return false;
	if (*p == '[') { /* an IPv6 literal */
		const char *start = ++p;
		while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
		    (*p >= 'A' && *p <= 'F') || *p == ':' || *p == '.')
			p++;
		if (*p != ']' || p == start)
			return false;
		p++;
	} else {
		const char *start = p;
		while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '.')
			p++;
		if (p == start || *start == '.' || *start == '-' ||
		    p[-1] == '-')
			return false;
	}
	if (*p == ':') {
		for (p++; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
			port = port * 10 + (*p - '0');
		if (digits == 0 || port == 0 || port > 65535)
			return false;
	}
	return *p == '\0';
}

bool
origin_in_list(const char *origin, const char *list)
{
	size_t n = strlen(origin);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		size_t len;
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		len = strcspn(p, " ,\t");
		if (len == n && len > 0 && strncasecmp(p, origin, n) == 0)
			return true;
		p += len;
	}
	return false;
}

/* True if origin may read the answer to req. */
static bool
allowed(const struct request *req, const char *origin)
{
	int64_t tenant;
	bool ok = false;

	if (!origin_is_valid(origin))
		return false;
	if (origin_in_list(origin, config.cors_origins))
		return true;
	/* The caller's site; none for a user of the open registration; any
	 * site for a request with no known caller. */
	if (req->tenant_id > 0)
		tenant = req->tenant_id;
	else if (req->user_id > 0)
		return false;
	else
		tenant = DB_ANY_TENANT;
	if (db_origin_allowed(origin, tenant, &ok) != ERR_OK)
		return false; /* the database is busy: no CORS, no harm */
	return ok;
}

void
cors_headers(const struct request *req, struct response *resp)
{
	const char *origin = req->header(req->front, "Origin");

	if (origin == NULL ||
	    response_header_get(resp, "Access-Control-Allow-Origin") != NULL ||
	    !allowed(req, origin))
		return;
	response_header(resp, "Access-Control-Allow-Origin", "%s", origin);
	response_header(resp, "Vary", "Origin");
	response_header(resp, "Access-Control-Expose-Headers", "%s",
	    CORS_EXPOSE_HEADERS);
}

void
cors_options(struct request *req, struct response *resp, const char *allow)
{
	const char *origin = req->header(req->front, "Origin");
	const char *method = req->header(req->front,
	    "Access-Control-Request-Method");

	reply_empty(resp, 204);
	response_header(resp, "Allow", "%s", allow);
	if (origin == NULL || method == NULL || !allowed(req, origin))
		return;
	response_header(resp, "Access-Control-Allow-Origin", "%s", origin);
	response_header(resp, "Vary", "Origin");
	response_header(resp, "Access-Control-Allow-Methods", "%s", allow);
	response_header(resp, "Access-Control-Allow-Headers", "%s",
	    CORS_ALLOW_HEADERS);
	response_header(resp, "Access-Control-Max-Age", "%d", CORS_MAX_AGE_S);
}
