/*
 * router.c: matches a request to a line of the route table.
 */
#include <stdlib.h>
#include <string.h>

#include "router.h"

/* True if the segment [s, s+n) is a positive integer that fits int64. */
static bool
is_id(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 18 || s[0] == '0')
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool
route_match(const char *pattern, const char *path, const char **params,
    char *buf, size_t buflen)
{
	const char *p = pattern, *q = path;
	size_t used = 0, np = 0;

	/* One trailing slash is forgiven: "/api/v1/me/" is "/api/v1/me". */
	size_t pathlen = strlen(path);
	if (pathlen > 1 && path[pathlen - 1] == '/')
		pathlen--;

	while (*p != '\0') {
		if (*p == '{') {
			const char *pend = strchr(p, '}');
			const char *qend = memchr(q, '/', (size_t)(path + pathlen - q));
			size_t n;

			if (pend == NULL)
				return false;
			if (qend == NULL)
				qend = path + pathlen;
			n = (size_t)(qend - q);
			if (n == 0 || np == REQUEST_MAX_PARAMS ||
			    used + n + 1 > buflen)
				return false;
			if (strncmp(p, "{id}", 4) == 0 && !is_id(q, n))
				return false;
			memcpy(buf + used, q, n);
			buf[used + n] = '\0';
			params[np++] = buf + used;
			used += n + 1;
			p = pend + 1;
			q = qend;
			continue;
		}
		if (q >= path + pathlen || *p != *q)
			return false;
		p++;
		q++;
	}
	if (q != path + pathlen)
		return false;
	/* The slots past the placeholders are NULL, never stale. */
	while (np < REQUEST_MAX_PARAMS)
		params[np++] = NULL;
	return true;
}

const struct route *
route_find(struct request *req, enum err *e, char *allow, size_t allowlen)
{
	const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" :
	    req->method;
	size_t i, pathlen = strlen(req->path);
	const char *params[REQUEST_MAX_PARAMS];
	bool path_known = false;

	free(req->param_buf);
	req->param_buf = malloc(pathlen + 1);
	if (req->param_buf == NULL) {
		*e = ERR_INTERNAL;
		return NULL;
	}
	allow[0] = '\0';
	for (i = 0; i < nroutes; i++) {
		if (!route_match(routes[i].pattern, req->path, params,
		    req->param_buf, pathlen + 1))
			continue;
		if (strcmp(routes[i].method, method) == 0) {
			memcpy(req->params, params, sizeof(params));
			return &routes[i];
		}
		if (!strstr(allow, routes[i].method) &&
		    strlen(allow) + strlen(routes[i].method) + 8 < allowlen) {
			if (allow[0] != '\0')
				strcat(allow, ", ");
			strcat(allow, routes[i].method);
		}
		path_known = true;
	}
	*e = path_known ? ERR_METHOD_NOT_ALLOWED : ERR_NOT_FOUND;
	return NULL;
}

int64_t
param_id(const struct request *req, int i)
{
	return strtoll(req->params[i], NULL, 10);
}
