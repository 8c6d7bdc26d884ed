/*
 * test_response.c: the reply path of api/response.c and the error table of
 * api/error.c: reply_error's body {"error":{"code","message","field",
 * "request_id"}} and status, WWW-Authenticate on every 401, Retry-After on
 * 429 and 503; response_header's limits (dropped, never overflowed) and
 * response_header_get; reply_json (and its 500 for NULL), reply_empty,
 * reply_bytes; err_code/err_status for every enum value against API.md.
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
#include "../../api/error.h"

#define JSON_TYPE "application/json; charset=utf-8"

struct fixture {
	struct request req;
	struct response resp;
};

static const char *
no_header(void *front, const char *name)
{
	return NULL;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	api_request_init(&f->req);
	f->req.method = "GET";
	f->req.path = "/api/v1/users/42";
	f->req.header = no_header;
	snprintf(f->req.request_id, sizeof(f->req.request_id), "abc");
	api_response_init(&f->resp);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	api_request_free(&f->req);
	api_response_free(&f->resp);
	free(f);
	return 0;
}

/* The parsed body of resp (the caller decrefs it). */
static json_t *
parsed(const struct response *resp)
{
	json_t *j;

	assert_non_null(resp->body);
	j = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (j == NULL)
		fail_msg("not JSON: %.*s", (int)resp->body_len, resp->body);
	return j;
}

static const char *
str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Resets resp to a fresh one. */
static void
fresh(struct response *resp)
{
	api_response_free(resp);
	api_response_init(resp);
}

/* --- reply_error --- */

static void
error_body_in_full(void **state)
{
	struct fixture *f = *state;
	json_t *j, *err;

	assert_int_equal(reply_error(&f->resp, &f->req, ERR_USER_NOT_FOUND,
	    "user_id", "no user with id %d", 42), ERR_USER_NOT_FOUND);
	assert_int_equal(f->resp.status, 404);
	assert_string_equal(f->resp.content_type, JSON_TYPE);
	assert_int_equal(f->resp.body_len, strlen(f->resp.body));
	assert_false(f->resp.wait);
	j = parsed(&f->resp);
	assert_int_equal(json_object_size(j), 1);
	err = json_object_get(j, "error");
	assert_true(json_is_object(err));
	assert_int_equal(json_object_size(err), 4);
	assert_string_equal(str(err, "code"), "user_not_found");
	assert_string_equal(str(err, "message"), "no user with id 42");
	assert_string_equal(str(err, "field"), "user_id");
	assert_string_equal(str(err, "request_id"), "abc");
	json_decref(j);
	/* Neither header of the special cases. */
	assert_null(response_header_get(&f->resp, "WWW-Authenticate"));
	assert_null(response_header_get(&f->resp, "Retry-After"));
}

static void
error_body_optional_keys(void **state)
{
	struct fixture *f = *state;
	json_t *j, *err;

	/* No field: no "field" key. */
	reply_error(&f->resp, &f->req, ERR_NOT_FOUND, NULL, "no such endpoint");
	assert_int_equal(f->resp.status, 404);
	j = parsed(&f->resp);
	err = json_object_get(j, "error");
	assert_int_equal(json_object_size(err), 3);
	assert_null(json_object_get(err, "field"));
	assert_string_equal(str(err, "code"), "not_found");
	assert_string_equal(str(err, "request_id"), "abc");
	json_decref(j);
	fresh(&f->resp);

	/* No request (or an empty id): no "request_id" key. */
	reply_error(&f->resp, NULL, ERR_INVALID_JSON, NULL, "bad");
	assert_int_equal(f->resp.status, 400);
	j = parsed(&f->resp);
	err = json_object_get(j, "error");
	assert_int_equal(json_object_size(err), 2);
	assert_string_equal(str(err, "code"), "invalid_json");
	assert_string_equal(str(err, "message"), "bad");
	json_decref(j);
	fresh(&f->resp);

	f->req.request_id[0] = '\0';
	reply_error(&f->resp, &f->req, ERR_FORBIDDEN, "chat_id", "no");
	assert_int_equal(f->resp.status, 403);
	j = parsed(&f->resp);
	err = json_object_get(j, "error");
	assert_null(json_object_get(err, "request_id"));
	assert_string_equal(str(err, "field"), "chat_id");
	json_decref(j);
}

static void
error_message_is_escaped_and_bounded(void **state)
{
	struct fixture *f = *state;
	char big[2000];
	json_t *j;
	const char *msg;

	/* Quotes, backslashes and newlines in a message stay valid JSON. */
	reply_error(&f->resp, &f->req, ERR_INVALID_FIELD, "a\"b",
	    "bad \"%s\" \\ \n", "x\"y");
	j = parsed(&f->resp);
	assert_string_equal(str(json_object_get(j, "error"), "message"),
	    "bad \"x\"y\" \\ \n");
	assert_string_equal(str(json_object_get(j, "error"), "field"), "a\"b");
	json_decref(j);
	fresh(&f->resp);

	/* A long message is cut, not overflowed. */
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	reply_error(&f->resp, &f->req, ERR_INTERNAL, NULL, "%s", big);
	assert_int_equal(f->resp.status, 500);
	j = parsed(&f->resp);
	msg = str(json_object_get(j, "error"), "message");
	assert_non_null(msg);
	assert_true(strlen(msg) > 100 && strlen(msg) < sizeof(big) - 1);
	assert_int_equal(strspn(msg, "m"), strlen(msg));
	json_decref(j);
}

static void
error_replaces_a_previous_body(void **state)
{
	struct fixture *f = *state;
	json_t *j;

	/* A second reply frees the first body (LeakSanitizer) and wins. */
	reply_json(&f->resp, 200, json_pack("{s:b}", "ok", 1));
	f->resp.wait = true;
	reply_error(&f->resp, &f->req, ERR_CHAT_NOT_FOUND, "chat_id", "gone");
	assert_int_equal(f->resp.status, 404);
	assert_false(f->resp.wait);
	j = parsed(&f->resp);
	assert_string_equal(str(json_object_get(j, "error"), "code"),
	    "chat_not_found");
	json_decref(j);
	reply_error(&f->resp, &f->req, ERR_INTERNAL, NULL, "again");
	assert_int_equal(f->resp.status, 500);
}

static void
error_status_and_headers_for_every_code(void **state)
{
	struct fixture *f = *state;

	for (int e = ERR_OK + 1; e < ERR__COUNT; e++) {
		const char *www, *retry;
		json_t *j;

		fresh(&f->resp);
		assert_int_equal(reply_error(&f->resp, &f->req, (enum err)e,
		    NULL, "e%d", e), e);
		assert_int_equal(f->resp.status, err_status((enum err)e));
		j = parsed(&f->resp);
		assert_string_equal(str(json_object_get(j, "error"), "code"),
		    err_code((enum err)e));
		json_decref(j);

		/* RFC 9110: every 401 carries a challenge; API.md: Bearer. */
		www = response_header_get(&f->resp, "WWW-Authenticate");
		if (err_status((enum err)e) == 401) {
			if (www == NULL)
				fail_msg("%s: no WWW-Authenticate",
				    err_code((enum err)e));
			assert_string_equal(www, "Bearer");
		} else if (www != NULL) {
			fail_msg("%s: WWW-Authenticate on %d",
			    err_code((enum err)e), f->resp.status);
		}

		retry = response_header_get(&f->resp, "Retry-After");
		if (e == ERR_RATE_LIMITED || e == ERR_UNAVAILABLE) {
			if (retry == NULL)
				fail_msg("%s: no Retry-After",
				    err_code((enum err)e));
			assert_true(atoi(retry) >= 1);
			assert_int_equal(strspn(retry, "0123456789"),
			    strlen(retry));
		} else if (retry != NULL) {
			fail_msg("%s: Retry-After", err_code((enum err)e));
		}
	}
	assert_int_equal(reply_error(&f->resp, &f->req, ERR_AUTH_REQUIRED,
	    NULL, "sign in"), ERR_AUTH_REQUIRED);
	assert_int_equal(f->resp.status, 401);
}

static void
error_keeps_a_set_retry_after(void **state)
{
	struct fixture *f = *state;
	size_t n = 0;

	/* A handler that knows better sets Retry-After first: kept, once. */
	response_header(&f->resp, "Retry-After", "%d", 300);
	reply_error(&f->resp, &f->req, ERR_RATE_LIMITED, NULL, "slow down");
	assert_int_equal(f->resp.status, 429);
	assert_string_equal(response_header_get(&f->resp, "Retry-After"),
	    "300");
	for (size_t i = 0; i < f->resp.nheaders; i++)
		if (strcmp(f->resp.headers[i].name, "Retry-After") == 0)
			n++;
	assert_int_equal(n, 1);
}

/* --- headers --- */

static void
header_set_and_get(void **state)
{
	struct fixture *f = *state;

	response_header(&f->resp, "X-Request-Id", "%s", "abc");
	response_header(&f->resp, "Cache-Control", "no-store");
	response_header(&f->resp, "Content-Length", "%zu", (size_t)12345);
	assert_int_equal(f->resp.nheaders, 3);
	assert_string_equal(response_header_get(&f->resp, "X-Request-Id"),
	    "abc");
	assert_string_equal(response_header_get(&f->resp, "x-request-id"),
	    "abc");
	assert_string_equal(response_header_get(&f->resp, "CACHE-CONTROL"),
	    "no-store");
	assert_string_equal(response_header_get(&f->resp, "Content-Length"),
	    "12345");
	assert_null(response_header_get(&f->resp, "X-Request"));
	assert_null(response_header_get(&f->resp, "Allow"));
	/* The first of two with one name is the one found. */
	response_header(&f->resp, "Vary", "Origin");
	response_header(&f->resp, "vary", "Accept");
	assert_string_equal(response_header_get(&f->resp, "Vary"), "Origin");
}

static void
header_overflow_is_dropped(void **state)
{
	struct fixture *f = *state;
	char name[64], value[1024];

	/* Beyond RESPONSE_MAX_HEADERS: dropped, nheaders stays. */
	for (int i = 0; i < RESPONSE_MAX_HEADERS + 5; i++)
		response_header(&f->resp, "X-N", "%d", i);
	assert_int_equal(f->resp.nheaders, RESPONSE_MAX_HEADERS);
	assert_string_equal(f->resp.headers[RESPONSE_MAX_HEADERS - 1].value,
	    "11");
	/* A full response can still be answered. */
	reply_error(&f->resp, &f->req, ERR_INVALID_TOKEN, NULL, "full");
	assert_int_equal(f->resp.status, 401);
	assert_int_equal(f->resp.nheaders, RESPONSE_MAX_HEADERS);
	fresh(&f->resp);

	/* A header larger than the room left: dropped, the rest kept. */
	memset(name, 'N', sizeof(name));
	name[sizeof(name) - 1] = '\0';
	response_header(&f->resp, name, "v");
	assert_int_equal(f->resp.nheaders, 1);
	assert_string_equal(response_header_get(&f->resp, name), "v");
	memset(value, 'v', sizeof(value));
	value[sizeof(value) - 1] = '\0';            /* 1023: never fits */
	response_header(&f->resp, "X-Long", "%s", value);
	assert_int_equal(f->resp.nheaders, 1);
	assert_null(response_header_get(&f->resp, "X-Long"));
	value[RESPONSE_HEADER_BYTES - f->resp.hused - 8] = '\0'; /* just fits */
	response_header(&f->resp, "X-Long", "%s", value);
	assert_int_equal(f->resp.nheaders, 2);
	assert_int_equal(strlen(response_header_get(&f->resp, "X-Long")),
	    strlen(value));
	response_header(&f->resp, "X-After", "this does not fit now");
	assert_int_equal(f->resp.nheaders, 2);
	assert_true(f->resp.hused <= RESPONSE_HEADER_BYTES);
	fresh(&f->resp);
	response_header(&f->resp, "X-After", "ok");
	assert_int_equal(f->resp.nheaders, 1);
	assert_string_equal(response_header_get(&f->resp, "X-After"), "ok");
}

/* --- reply_json, reply_empty, reply_bytes --- */

static void
json_reply(void **state)
{
	struct fixture *f = *state;

	reply_json(&f->resp, 201, json_pack("{s:i, s:s}", "id", 7, "n", "\xc3\xa9"));
	assert_int_equal(f->resp.status, 201);
	assert_string_equal(f->resp.content_type, JSON_TYPE);
	assert_string_equal(f->resp.body, "{\"id\":7,\"n\":\"\xc3\xa9\"}");
	assert_int_equal(f->resp.body_len, strlen(f->resp.body));
	/* A second reply replaces the first without leaking it. */
	reply_json(&f->resp, 200, json_array());
	assert_int_equal(f->resp.status, 200);
	assert_string_equal(f->resp.body, "[]");
	assert_int_equal(f->resp.body_len, 2);
}

static void
json_reply_null_is_500(void **state)
{
	struct fixture *f = *state;
	json_t *j;

	reply_json(&f->resp, 200, NULL);
	assert_int_equal(f->resp.status, 500);
	assert_string_equal(f->resp.content_type, JSON_TYPE);
	assert_int_equal(f->resp.body_len, strlen(f->resp.body));
	j = parsed(&f->resp);
	assert_string_equal(str(json_object_get(j, "error"), "code"),
	    "internal");
	assert_non_null(str(json_object_get(j, "error"), "message"));
	json_decref(j);
}

static void
empty_and_bytes_replies(void **state)
{
	struct fixture *f = *state;
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', 0, 1, 2 };

	reply_json(&f->resp, 200, json_object());
	reply_empty(&f->resp, 204);
	assert_int_equal(f->resp.status, 204);
	assert_null(f->resp.body);
	assert_int_equal(f->resp.body_len, 0);
	assert_null(f->resp.content_type);

	reply_bytes(&f->resp, 200, "image/png", png, sizeof(png));
	assert_int_equal(f->resp.status, 200);
	assert_string_equal(f->resp.content_type, "image/png");
	assert_int_equal(f->resp.body_len, sizeof(png));
	assert_ptr_not_equal(f->resp.body, png);
	assert_memory_equal(f->resp.body, png, sizeof(png));

	reply_bytes(&f->resp, 200, "text/plain", "", 0);
	assert_int_equal(f->resp.body_len, 0);
	assert_string_equal(f->resp.content_type, "text/plain");
}

/* --- the error table --- */

static void
every_code_is_named(void **state)
{
	for (int e = 0; e < ERR__COUNT; e++) {
		const char *c = err_code((enum err)e);
		int s = err_status((enum err)e);

		if (c == NULL || c[0] == '\0')
			fail_msg("enum value %d has no code", e);
		assert_int_equal(strspn(c, "abcdefghijklmnopqrstuvwxyz_"),
		    strlen(c));
		if (s < 200 || s > 599)
			fail_msg("%s: status %d", c, s);
		/* One code per value. */
		for (int k = 0; k < e; k++)
			if (strcmp(c, err_code((enum err)k)) == 0)
				fail_msg("%s is used twice", c);
		if (e != ERR_OK && s < 400)
			fail_msg("%s: an error with status %d", c, s);
	}
	assert_string_equal(err_code(ERR_OK), "ok");
	assert_int_equal(err_status(ERR_OK), 200);
	/* Out of range: internal, 500, never NULL. */
	assert_string_equal(err_code(ERR__COUNT), "internal");
	assert_int_equal(err_status(ERR__COUNT), 500);
	assert_string_equal(err_code((enum err)-1), "internal");
	assert_int_equal(err_status((enum err)-1), 500);
	assert_string_equal(err_code((enum err)1000), "internal");
}

/* API.md's table, code by code. */
static const struct {
	enum err e;
	const char *code;
	int status;
} api_md[] = {
	{ ERR_INVALID_JSON, "invalid_json", 400 },
	{ ERR_MISSING_FIELD, "missing_field", 400 },
	{ ERR_INVALID_FIELD, "invalid_field", 400 },
	{ ERR_INVALID_PHONE, "invalid_phone", 400 },
	{ ERR_AUTH_REQUIRED, "auth_required", 401 },
	{ ERR_INVALID_TOKEN, "invalid_token", 401 },
	{ ERR_INVALID_CREDENTIALS, "invalid_credentials", 401 },
	{ ERR_INVALID_CHAT_KEY, "invalid_chat_key", 401 },
	{ ERR_FORBIDDEN, "forbidden", 403 },
	{ ERR_NOT_FOUND, "not_found", 404 },
	{ ERR_USER_NOT_FOUND, "user_not_found", 404 },
	{ ERR_CHAT_NOT_FOUND, "chat_not_found", 404 },
	{ ERR_MESSAGE_NOT_FOUND, "message_not_found", 404 },
	{ ERR_METHOD_NOT_ALLOWED, "method_not_allowed", 405 },
	{ ERR_ALREADY_EXISTS, "already_exists", 409 },
	{ ERR_LOGIN_TAKEN, "login_taken", 409 },
	{ ERR_PHONE_TAKEN, "phone_taken", 409 },
	{ ERR_CURSOR_EXPIRED, "cursor_expired", 410 },
	{ ERR_PAYLOAD_TOO_LARGE, "payload_too_large", 413 },
	{ ERR_AVATAR_TOO_LARGE, "avatar_too_large", 413 },
	{ ERR_UNSUPPORTED_MEDIA, "unsupported_media_type", 415 },
	{ ERR_RATE_LIMITED, "rate_limited", 429 },
	{ ERR_INTERNAL, "internal", 500 },
	{ ERR_UNAVAILABLE, "unavailable", 503 },
};

static void
codes_match_api_md(void **state)
{
	size_t n = sizeof(api_md) / sizeof(api_md[0]);
	bool listed[ERR__COUNT] = { false };

	for (size_t i = 0; i < n; i++) {
		assert_string_equal(err_code(api_md[i].e), api_md[i].code);
		if (err_status(api_md[i].e) != api_md[i].status)
			fail_msg("%s: %d, API.md says %d", api_md[i].code,
			    err_status(api_md[i].e), api_md[i].status);
		listed[api_md[i].e] = true;
	}
	/* Every enum value is in API.md's table, but ERR_OK and the one
	 * extension, storage_full (507 Insufficient Storage). */
	assert_string_equal(err_code(ERR_STORAGE_FULL), "storage_full");
	assert_int_equal(err_status(ERR_STORAGE_FULL), 507);
	listed[ERR_OK] = listed[ERR_STORAGE_FULL] = true;
	for (int e = 0; e < ERR__COUNT; e++)
		if (!listed[e])
			fail_msg("%s is not in API.md's table",
			    err_code((enum err)e));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(error_body_in_full),
		T(error_body_optional_keys),
		T(error_message_is_escaped_and_bounded),
		T(error_replaces_a_previous_body),
		T(error_status_and_headers_for_every_code),
		T(error_keeps_a_set_retry_after),
		T(header_set_and_get),
		T(header_overflow_is_dropped),
		T(json_reply),
		T(json_reply_null_is_500),
		T(empty_and_bytes_replies),
		cmocka_unit_test(every_code_is_named),
		cmocka_unit_test(codes_match_api_md),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
