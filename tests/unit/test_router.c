/*
 * test_router.c: route_match (literal segments, {id} as a positive integer
 * without leading zeros of at most 18 digits, {name} as any one segment,
 * one trailing slash forgiven, params and their buffer) and route_find
 * against the real route table of api/routes.c (found with params, 405
 * with the Allow list, 404, HEAD served as GET).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../api/api.h"
#include "../../api/handlers.h"
#include "../../api/router.h"

/* --- route_match --- */

/* Matches and returns the number of params set (-1: no match). */
static int
match(const char *pattern, const char *path, const char **params,
    char *buf, size_t buflen)
{
	for (int i = 0; i < REQUEST_MAX_PARAMS; i++)
		params[i] = NULL;
	if (!route_match(pattern, path, params, buf, buflen))
		return -1;
	for (int i = 0; i < REQUEST_MAX_PARAMS; i++)
		if (params[i] == NULL)
			return i;
	return REQUEST_MAX_PARAMS;
}

#define MATCHES(pattern, path) do { \
	const char *pr_[REQUEST_MAX_PARAMS]; \
	char b_[256]; \
	if (match((pattern), (path), pr_, b_, sizeof(b_)) < 0) \
		fail_msg("\"%s\" does not match \"%s\"", (path), (pattern)); \
} while (0)

#define NO_MATCH(pattern, path) do { \
	const char *pr_[REQUEST_MAX_PARAMS]; \
	char b_[256]; \
	if (match((pattern), (path), pr_, b_, sizeof(b_)) >= 0) \
		fail_msg("\"%s\" matches \"%s\"", (path), (pattern)); \
} while (0)

static void
match_literal(void **state)
{
	MATCHES("/api/v1/me", "/api/v1/me");
	MATCHES("/api/v1", "/api/v1");
	MATCHES("/", "/");
	NO_MATCH("/api/v1/me", "/api/v1/mex");
	NO_MATCH("/api/v1/me", "/api/v1/m");
	NO_MATCH("/api/v1/me", "/api/v1/ME");
	NO_MATCH("/api/v1/me", "/api/v1/me/x");
	NO_MATCH("/api/v1/me", "/api/v1");
	NO_MATCH("/api/v1/me", "");
	NO_MATCH("/api/v1/me", "/api/v1/me?x=1");
	NO_MATCH("/api/v1", "/api/v2");
	NO_MATCH("/api/v1", "/api/v10");
	NO_MATCH("/api/v1", "api/v1");
}

static void
match_trailing_slash_once(void **state)
{
	MATCHES("/api/v1/me", "/api/v1/me/");
	MATCHES("/api/v1", "/api/v1/");
	MATCHES("/api/v1/users/{id}", "/api/v1/users/42/");
	MATCHES("/api/v1/chats/{id}/members/{name}", "/api/v1/chats/1/members/me/");
	NO_MATCH("/api/v1/me", "/api/v1/me//");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users/42//");
	NO_MATCH("/api/v1/me", "/api/v1//me");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users/");   /* empty id */
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users//");
}

static void
match_id(void **state)
{
	const char *p[REQUEST_MAX_PARAMS];
	char buf[64];

	assert_int_equal(match("/api/v1/users/{id}", "/api/v1/users/42", p, buf,
	    sizeof(buf)), 1);
	assert_string_equal(p[0], "42");
	assert_int_equal(match("/api/v1/users/{id}", "/api/v1/users/42/", p, buf,
	    sizeof(buf)), 1);
	assert_string_equal(p[0], "42");

	MATCHES("/api/v1/users/{id}", "/api/v1/users/1");
	MATCHES("/api/v1/users/{id}", "/api/v1/users/10");
	MATCHES("/api/v1/users/{id}", "/api/v1/users/123456789012345678");
	MATCHES("/api/v1/users/{id}", "/api/v1/users/999999999999999999");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users/1234567890123456789");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users/0");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users/00");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users/042");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users/-1");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users/+1");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users/4a");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users/a4");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users/4.0");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users/%34");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users/%20");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users/ 4");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users/me");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users");
	NO_MATCH("/api/v1/users/{id}", "/api/v1/users/42/avatar");
}

static void
match_name_and_several_params(void **state)
{
	const char *p[REQUEST_MAX_PARAMS];
	char buf[64];
	const char *pat = "/api/v1/chats/{id}/members/{name}";

	assert_int_equal(match(pat, "/api/v1/chats/7/members/me", p, buf,
	    sizeof(buf)), 2);
	assert_string_equal(p[0], "7");
	assert_string_equal(p[1], "me");
	assert_int_equal(match(pat, "/api/v1/chats/7/members/12", p, buf,
	    sizeof(buf)), 2);
	assert_string_equal(p[1], "12");
	/* {name} is any one non-empty segment, even one that is not an id. */
	assert_int_equal(match(pat, "/api/v1/chats/7/members/a.b%20c~0", p, buf,
	    sizeof(buf)), 2);
	assert_string_equal(p[1], "a.b%20c~0");
	assert_int_equal(match("/x/{name}", "/x/0", p, buf, sizeof(buf)), 1);
	assert_string_equal(p[0], "0");
	NO_MATCH(pat, "/api/v1/chats/7/members/");
	NO_MATCH(pat, "/api/v1/chats/7/members");
	NO_MATCH(pat, "/api/v1/chats/me/members/7");
	NO_MATCH(pat, "/api/v1/chats/7/members/a/b");
	NO_MATCH(pat, "/api/v1/chats/7/member/me");

	/* Placeholder between literals, and three of them. */
	assert_int_equal(match("/a/{id}/b/{name}/c/{id}", "/a/1/b/x/c/3", p, buf,
	    sizeof(buf)), 3);
	assert_string_equal(p[0], "1");
	assert_string_equal(p[1], "x");
	assert_string_equal(p[2], "3");
	/* Params live in buf. */
	assert_true(p[0] >= buf && p[2] < buf + sizeof(buf));
}

static void
match_respects_limits(void **state)
{
	const char *p[REQUEST_MAX_PARAMS + 1];
	char buf[16];

	/* More placeholders than REQUEST_MAX_PARAMS: no match, no overflow. */
	memset(p, 0, sizeof(p));
	assert_false(route_match("/{id}/{id}/{id}/{id}", "/1/2/3/4", p, buf,
	    sizeof(buf)));
	assert_null(p[REQUEST_MAX_PARAMS]);

	/* The buffer holds each value and its NUL, or there is no match. */
	memset(buf, '#', sizeof(buf));
	assert_true(route_match("/u/{id}", "/u/1234", p, buf, 5));
	assert_string_equal(p[0], "1234");
	assert_int_equal(buf[5], '#');
	memset(buf, '#', sizeof(buf));
	assert_false(route_match("/u/{id}", "/u/12345", p, buf, 5));
	for (size_t i = 5; i < sizeof(buf); i++)
		assert_int_equal(buf[i], '#');
	assert_false(route_match("/u/{name}/{name}", "/u/ab/cd", p, buf, 5));
	assert_true(route_match("/u/{name}/{name}", "/u/ab/cd", p, buf, 6));
	assert_string_equal(p[0], "ab");
	assert_string_equal(p[1], "cd");

	/* On a match the unused slots are NULL, whatever they held. */
	p[0] = p[1] = p[2] = "stale";
	assert_true(route_match("/u/{id}", "/u/7", p, buf, sizeof(buf)));
	assert_string_equal(p[0], "7");
	assert_null(p[1]);
	assert_null(p[2]);
	p[0] = p[1] = p[2] = "stale";
	assert_true(route_match("/api/v1/me", "/api/v1/me", p, buf,
	    sizeof(buf)));
	assert_null(p[0]);
	assert_null(p[1]);
	assert_null(p[2]);

	/* A pattern with an unclosed brace never matches. */
	assert_false(route_match("/u/{id", "/u/1", p, buf, sizeof(buf)));
}

/* --- route_find --- */

static int header_calls;

static const char *
no_header(void *front, const char *name)
{
	header_calls++;
	return NULL;
}

struct found {
	const struct route *route;
	enum err e;
	char allow[128];
	char params[REQUEST_MAX_PARAMS][32];
	int nparams;
};

static struct found
find(const char *method, const char *path, size_t allowlen)
{
	struct request req;
	struct found f;

	assert_true(allowlen <= sizeof(f.allow));
	memset(&f, 0, sizeof(f));
	api_request_init(&req);
	req.method = method;
	req.path = path;
	req.header = no_header;
	f.e = ERR_OK;
	f.route = route_find(&req, &f.e, f.allow, allowlen);
	if (f.route != NULL) {
		for (int i = 0; i < REQUEST_MAX_PARAMS && req.params[i]; i++) {
			snprintf(f.params[i], sizeof(f.params[i]), "%s",
			    req.params[i]);
			f.nparams = i + 1;
		}
		/* The slots past the placeholders are NULL, not stale. */
		for (int i = f.nparams; i < REQUEST_MAX_PARAMS; i++)
			if (req.params[i] != NULL)
				f.nparams = -1;
	}
	api_request_free(&req);
	assert_null(req.param_buf);
	return f;
}

static void
find_known_routes(void **state)
{
	struct found f;

	f = find("GET", "/api/v1/users/42", 128);
	assert_non_null(f.route);
	assert_ptr_equal(f.route->handler, h_user_get);
	assert_string_equal(f.route->method, "GET");
	assert_string_equal(f.route->pattern, "/api/v1/users/{id}");
	assert_int_equal(f.route->auth, AUTH_USER);
	assert_int_equal(f.nparams, 1);
	assert_string_equal(f.params[0], "42");

	f = find("GET", "/api/v1", 128);
	assert_ptr_equal(f.route->handler, h_service_info);
	assert_int_equal(f.nparams, 0);
	f = find("GET", "/api/v1/", 128);
	assert_ptr_equal(f.route->handler, h_service_info);
	f = find("GET", "/api/v1/health", 128);
	assert_ptr_equal(f.route->handler, h_health);
	f = find("GET", "/api/v1/ping", 128);
	assert_ptr_equal(f.route->handler, h_ping);
	f = find("POST", "/api/v1/users", 128);
	assert_ptr_equal(f.route->handler, h_register);
	assert_int_equal(f.route->body, BODY_JSON);
	assert_int_equal(f.route->auth, AUTH_NONE);
	f = find("POST", "/api/v1/sessions", 128);
	assert_ptr_equal(f.route->handler, h_login);
	f = find("DELETE", "/api/v1/sessions/current", 128);
	assert_ptr_equal(f.route->handler, h_logout);
	assert_int_equal(f.route->auth, AUTH_USER);
	f = find("GET", "/api/v1/me", 128);
	assert_ptr_equal(f.route->handler, h_me_get);
	f = find("PATCH", "/api/v1/me/", 128);
	assert_ptr_equal(f.route->handler, h_me_patch);
	assert_int_equal(f.route->body, BODY_JSON);
}

static void
find_head_is_get(void **state)
{
	struct found f;

	f = find("HEAD", "/api/v1/health", 128);
	assert_non_null(f.route);
	assert_ptr_equal(f.route->handler, h_health);
	f = find("HEAD", "/api/v1/users/9", 128);
	assert_ptr_equal(f.route->handler, h_user_get);
	assert_string_equal(f.params[0], "9");
	/* HEAD where only POST exists: 405, and Allow names POST. */
	f = find("HEAD", "/api/v1/sessions", 128);
	assert_null(f.route);
	assert_int_equal(f.e, ERR_METHOD_NOT_ALLOWED);
	assert_string_equal(f.allow, "POST");
}

static void
find_wrong_method(void **state)
{
	struct found f;

	f = find("POST", "/api/v1/me", 128);
	assert_null(f.route);
	assert_int_equal(f.e, ERR_METHOD_NOT_ALLOWED);
	assert_string_equal(f.allow, "GET, PATCH");
	f = find("DELETE", "/api/v1/me/", 128);
	assert_int_equal(f.e, ERR_METHOD_NOT_ALLOWED);
	assert_string_equal(f.allow, "GET, PATCH");
	f = find("DELETE", "/api/v1/users/42", 128);
	assert_int_equal(f.e, ERR_METHOD_NOT_ALLOWED);
	assert_string_equal(f.allow, "GET");
	f = find("GET", "/api/v1/sessions", 128);
	assert_int_equal(f.e, ERR_METHOD_NOT_ALLOWED);
	assert_string_equal(f.allow, "POST");
	f = find("GET", "/api/v1/sessions/current", 128);
	assert_int_equal(f.e, ERR_METHOD_NOT_ALLOWED);
	assert_string_equal(f.allow, "DELETE");
	f = find("POST", "/api/v1", 128);
	assert_int_equal(f.e, ERR_METHOD_NOT_ALLOWED);
	assert_string_equal(f.allow, "GET");
	/* Methods are case-sensitive (RFC 9110). */
	f = find("get", "/api/v1/me", 128);
	assert_null(f.route);
	assert_int_equal(f.e, ERR_METHOD_NOT_ALLOWED);
	assert_string_equal(f.allow, "GET, PATCH");
}

static void
find_allow_never_overflows(void **state)
{
	struct found f;

	/* A small buffer keeps what fits, NUL-terminated. */
	for (size_t len = 1; len <= 20; len++) {
		f = find("POST", "/api/v1/me", len);
		assert_int_equal(f.e, ERR_METHOD_NOT_ALLOWED);
		assert_true(strlen(f.allow) < len);
		for (size_t i = len; i < sizeof(f.allow); i++)
			assert_int_equal(f.allow[i], '\0');
	}
}

static void
find_unknown(void **state)
{
	static const char *const paths[] = {
		"/", "", "/api", "/api/v2", "/api/v1/nope", "/api/v1/users/0",
		"/api/v1/users/012", "/api/v1/users/abc", "/api/v1/users/1/x",
		"/api/v1/me//", "/api/v1/sessions/other", "/API/V1",
		"/api/v1/users/12345678901234567890",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct found f = find("GET", paths[i], 128);
		if (f.route != NULL || f.e != ERR_NOT_FOUND)
			fail_msg("GET \"%s\": not a 404", paths[i]);
		assert_string_equal(f.allow, "");
	}
	assert_int_equal(find("PUT", "/api/v1/nope", 128).e, ERR_NOT_FOUND);
}

/* Every line of the table is reachable: a path made from its pattern finds
 * that very line, with the placeholders as params. */
static void
find_every_route(void **state)
{
	assert_true(nroutes > 0);
	for (size_t i = 0; i < nroutes; i++) {
		const char *pat = routes[i].pattern;
		char path[256];
		size_t n = 0;
		int nparams = 0;
		struct found f;

		assert_non_null(routes[i].handler);
		assert_int_equal(strncmp(pat, "/api/v1", 7), 0);
		assert_true(strcmp(routes[i].method, "GET") == 0 ||
		    strcmp(routes[i].method, "POST") == 0 ||
		    strcmp(routes[i].method, "PUT") == 0 ||
		    strcmp(routes[i].method, "PATCH") == 0 ||
		    strcmp(routes[i].method, "DELETE") == 0);
		while (*pat != '\0' && n + 24 < sizeof(path)) {
			if (*pat == '{') {
				n += (size_t)snprintf(path + n, sizeof(path) - n,
				    "%d", 70 + nparams++);
				pat = strchr(pat, '}') + 1;
			} else {
				path[n++] = *pat++;
			}
		}
		path[n] = '\0';
		f = find(routes[i].method, path, 128);
		if (f.route != &routes[i])
			fail_msg("%s %s does not reach line %zu",
			    routes[i].method, path, i);
		assert_int_equal(f.nparams, nparams);
		for (int k = 0; k < nparams; k++)
			assert_int_equal(atoi(f.params[k]), 70 + k);
	}
}

static void
find_twice_on_one_request(void **state)
{
	struct request req;
	const struct route *r;
	char allow[64];
	enum err e;

	/* route_find replaces param_buf without leaking it (LeakSanitizer)
	 * and never asks for a header. */
	header_calls = 0;
	api_request_init(&req);
	req.method = "GET";
	req.header = no_header;
	req.path = "/api/v1/users/5";
	r = route_find(&req, &e, allow, sizeof(allow));
	assert_non_null(r);
	assert_string_equal(req.params[0], "5");
	req.path = "/api/v1/users/123";
	r = route_find(&req, &e, allow, sizeof(allow));
	assert_non_null(r);
	assert_string_equal(req.params[0], "123");
	assert_non_null(req.param_buf);
	api_request_free(&req);
	assert_null(req.param_buf);
	assert_int_equal(header_calls, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(match_literal),
		cmocka_unit_test(match_trailing_slash_once),
		cmocka_unit_test(match_id),
		cmocka_unit_test(match_name_and_several_params),
		cmocka_unit_test(match_respects_limits),
		cmocka_unit_test(find_known_routes),
		cmocka_unit_test(find_head_is_get),
		cmocka_unit_test(find_wrong_method),
		cmocka_unit_test(find_allow_never_overflows),
		cmocka_unit_test(find_unknown),
		cmocka_unit_test(find_every_route),
		cmocka_unit_test(find_twice_on_one_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
